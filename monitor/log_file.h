// Where query-log lines go: standard output ("-"), or a file that rotates
// by size (path → path.1 → … → path.KEEP, the oldest deleted), as
// logrotate's "size" rule would. Writes are plain write(2) calls from the
// writer thread; a failure (full disk, unwritable path) is reported once
// per kind through `on_error` and counted, never thrown.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vigil::monitor {

class LogFile {
 public:
  using ErrorReporter = std::function<void(const std::string&)>;

  LogFile(std::string path, std::uint64_t max_bytes, unsigned keep, ErrorReporter on_error);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Writes whole lines; returns false when they could not be written.
  bool write(std::string_view lines);
  void sync();  // fdatasync (files only)

  const std::string& path() const { return path_; }
  std::uint64_t rotations() const { return rotations_; }

 private:
  bool open();
  void rotate();
  void report(const std::string& what);

  std::string path_;
  std::uint64_t max_bytes_;
  unsigned keep_;
  ErrorReporter on_error_;
  int fd_ = -1;
  bool stdout_ = false;
  std::uint64_t size_ = 0;
  std::uint64_t rotations_ = 0;
  std::string last_error_;  // reported once until it changes or writing works again
};

}  // namespace vigil::monitor
