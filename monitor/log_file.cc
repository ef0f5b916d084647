#include "monitor/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

namespace vigil::monitor {

LogFile::LogFile(std::string path, std::uint64_t max_bytes, unsigned keep, ErrorReporter on_error)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep), on_error_(std::move(on_error)) {
  stdout_ = path_ == "-";
  if (stdout_) {
    fd_ = STDOUT_FILENO;
  } else {
    (void)open();
  }
}

LogFile::~LogFile() {
  if (fd_ >= 0 && !stdout_) ::close(fd_);
}

void LogFile::report(const std::string& what) {
  if (what == last_error_) return;
  last_error_ = what;
  if (on_error_) on_error_(what);
}

bool LogFile::open() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    report("query log: cannot open " + path_ + ": " + std::strerror(errno));
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
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
  ++rotations_;
  (void)open();
}

bool LogFile::write(std::string_view lines) {
  if (lines.empty()) return true;
  if (fd_ < 0 && (stdout_ || !open())) return false;
  if (!stdout_ && max_bytes_ > 0 && size_ > 0 && size_ + lines.size() > max_bytes_) {
    rotate();
    if (fd_ < 0) return false;
  }
  std::size_t done = 0;
  while (done < lines.size()) {
    const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      report("query log: cannot write " + path_ + ": " + std::strerror(errno));
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += lines.size();
  last_error_.clear();
  return true;
}

void LogFile::sync() {
  if (fd_ >= 0 && !stdout_) (void)::fdatasync(fd_);
}

}  // namespace vigil::monitor
