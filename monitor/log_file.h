// Where query-log lines go: standard output ("-"), or a file that rotates
// by size (path → path.1 → … → path.KEEP, the oldest deleted), as
// logrotate's "size" rule would. Writes are write(2) calls from the writer
// thread, never under a lock anyone else waits for; a failure (full disk,
// unwritable path) is reported once per kind through `on_error` and counted,
// never thrown.
//
// What a write guarantees:
//   - whole lines only: a write cut short (a full disk) is undone back to
//     the last whole line, so the file never holds half a line; the lines
//     that made it are counted as written, the others as dropped;
//   - a destination that does not take more (a pipe nobody reads) is
//     waited for, in slices, for as long as it is not abandon()ed; each
//     write(2) to it is at most PIPE_BUF octets of whole lines, so a pipe
//     never gets half a line either (a single line longer than PIPE_BUF is
//     written in pieces and finished unless abandoned mid-way);
//   - reopen() (SIGHUP, `vigilctl log-reopen`) makes the next write open the
//     path afresh: after logrotate has moved the file, lines go to the new
//     one, not to the moved or deleted inode.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vigil::monitor {

struct LogWriteResult {
  std::uint64_t lines_written = 0;
  std::uint64_t lines_dropped = 0;
  std::uint64_t bytes_written = 0;
  bool ok() const { return lines_dropped == 0; }
};

class LogFile {
 public:
  using ErrorReporter = std::function<void(const std::string&)>;

  LogFile(std::string path, std::uint64_t max_bytes, unsigned keep, ErrorReporter on_error);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Writes whole lines (`lines` ends with a newline).
  LogWriteResult write(std::string_view lines);
  void sync();  // fdatasync (files only)

  // From any thread.
  void reopen() { reopen_.store(true, std::memory_order_relaxed); }
  // Stop waiting for the destination: the write in progress, and every one
  // after, takes what the destination accepts at once and drops the rest.
  void abandon() { abandoned_.store(true, std::memory_order_relaxed); }

  const std::string& path() const { return path_; }
  std::uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }

 private:
  bool open();
  void rotate();
  void report(const std::string& what);
  // Waits until fd_ takes more octets; false when abandoned meanwhile.
  bool wait_writable();

  std::string path_;
  std::uint64_t max_bytes_;
  unsigned keep_;
  ErrorReporter on_error_;
  int fd_ = -1;
  bool stdout_ = false;
  bool regular_ = false;     // a regular file: a cut-short write can be undone
  bool own_stdout_ = false;  // fd_ is our own non-blocking description of the stdout pipe
  bool torn_ = false;        // the last write ended inside a line that cannot be undone
  std::uint64_t size_ = 0;
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<bool> reopen_{false};
  std::atomic<bool> abandoned_{false};
  std::string last_error_;  // reported once until it changes or writing works again
};

}  // namespace vigil::monitor
