#include "monitor/log_file.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

namespace vigil::monitor {

LogFile::LogFile(std::string path, std::uint64_t max_bytes, unsigned keep, ErrorReporter on_error)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep), on_error_(std::move(on_error)) {
  stdout_ = path_ == "-";
  if (stdout_) {
    fd_ = STDOUT_FILENO;
    struct stat st {};
    if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)) {
      // A pipe: a description of our own, non-blocking, so that a write
      // never blocks past poll() (others writing to the same pipe, a
      // reader draining it slowly) and abandon() always ends a wait.
      const int own = ::open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (own >= 0) {
        fd_ = own;
        own_stdout_ = true;
      }
    }
    regular_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
  } else {
    (void)open();
  }
}

LogFile::~LogFile() {
  if (fd_ >= 0 && (!stdout_ || own_stdout_)) ::close(fd_);
}

void LogFile::report(const std::string& what) {
  if (what == last_error_) return;
  last_error_ = what;
  if (on_error_) on_error_(what);
}

bool LogFile::open() {
  // O_NONBLOCK: a FIFO nobody reads fails at once (ENXIO) instead of
  // holding the writer in open(2); written to, it is waited for by poll().
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
  if (fd_ < 0) {
    report("query log: cannot open " + path_ + ": " + std::strerror(errno));
    return false;
  }
  struct stat st {};
  const bool stat_ok = ::fstat(fd_, &st) == 0;
  size_ = stat_ok ? static_cast<std::uint64_t>(st.st_size) : 0;
  regular_ = stat_ok && S_ISREG(st.st_mode);
  return true;
}

void LogFile::rotate() {
  ::close(fd_);
  fd_ = -1;
  if (keep_ == 0) {
    (void)::unlink(path_.c_str());
  } else {
    for (unsigned i = keep_; i > 1; --i) {
      const std::string from = path_ + "." + std::to_string(i - 1);
      const std::string to = path_ + "." + std::to_string(i);
      (void)::rename(from.c_str(), to.c_str());  // a missing one is fine
    }
    (void)::rename(path_.c_str(), (path_ + ".1").c_str());
  }
  rotations_.fetch_add(1, std::memory_order_relaxed);
  (void)open();
}

bool LogFile::wait_writable() {
  // In slices, so that abandon() is seen within one.
  constexpr int kSliceMs = 50;
  for (;;) {
    const bool abandoned = abandoned_.load(std::memory_order_relaxed);
    pollfd p{fd_, POLLOUT, 0};
    const int r = ::poll(&p, 1, abandoned ? 0 : kSliceMs);
    if (r > 0) return true;  // writable, or an error write(2) will report
    if (r < 0 && errno != EINTR) return true;
    if (abandoned) return false;
  }
}

namespace {

// memchr from line to line: std::count is a byte at a time at -O2, and
// counting a 256 KiB batch twice cost more than formatting it.
std::uint64_t count_lines(std::string_view s) {
  std::uint64_t n = 0;
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (p == nullptr) break;
    ++n;
    ++p;
  }
  return n;
}

}  // namespace

LogWriteResult LogFile::write(std::string_view lines) {
  LogWriteResult result;
  if (lines.empty()) return result;
  if (!stdout_ && reopen_.exchange(false, std::memory_order_relaxed) && fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (fd_ < 0 && (stdout_ || !open())) {
    result.lines_dropped = count_lines(lines);
    return result;
  }
  if (torn_) {
    // The last write stopped inside a line (a pipe abandoned mid-way): end
    // it, so that the next line does not glue onto the fragment.
    if (::write(fd_, "\n", 1) == 1) torn_ = false;
  }
  // Rotation is for files: never rename a FIFO or /dev/stdout away.
  if (!stdout_ && regular_ && max_bytes_ > 0 && size_ > 0 && size_ + lines.size() > max_bytes_) {
    rotate();
    if (fd_ < 0) {
      result.lines_dropped = count_lines(lines);
      return result;
    }
  }
  std::size_t done = 0;  // octets written
  bool failed = false;
  while (done < lines.size()) {
    // A regular file takes the batch in one call (a short write is undone
    // below); anything else is waited for, and written PIPE_BUF octets at
    // most per call, ending at a line's end when a line ends in them: a
    // pipe takes such a write whole or not at all.
    if (!regular_ && !wait_writable()) break;  // abandoned
    std::size_t chunk = regular_ ? lines.size() - done : std::min<std::size_t>(lines.size() - done, PIPE_BUF);
    if (!regular_ && done + chunk < lines.size()) {
      const std::size_t nl = lines.substr(done, chunk).rfind('\n');
      if (nl != std::string_view::npos) chunk = nl + 1;
    }
    const ssize_t n = ::write(fd_, lines.data() + done, chunk);
    if (n == 0) {
      failed = true;  // cannot happen for a non-empty write; never spin on it
      break;
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      report("query log: cannot write " + path_ + ": " + std::strerror(errno));
      failed = true;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  // Whole lines only: what was written past the last newline is undone (a
  // regular file; a pipe took whole lines, see above).
  std::size_t whole = done;
  if (done > 0 && lines[done - 1] != '\n') {
    const std::size_t nl = lines.substr(0, done).rfind('\n');
    whole = nl == std::string_view::npos ? 0 : nl + 1;
    struct stat st {};
    if (regular_ && !stdout_ && ::fstat(fd_, &st) == 0 &&
        static_cast<std::uint64_t>(st.st_size) >= done - whole) {
      (void)::ftruncate(fd_, st.st_size - static_cast<off_t>(done - whole));
    } else {
      torn_ = true;  // cannot be undone: the next write ends the line first
    }
  }
  result.bytes_written = whole;
  const std::uint64_t total = count_lines(lines);
  result.lines_written = whole == lines.size() ? total : count_lines(lines.substr(0, whole));
  result.lines_dropped = total - result.lines_written;
  size_ += whole;
  if (!failed && result.lines_dropped == 0) last_error_.clear();
  return result;
}

void LogFile::sync() {
  if (fd_ >= 0 && !stdout_) (void)::fdatasync(fd_);
}

}  // namespace vigil::monitor
