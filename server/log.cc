#include "server/log.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <ctime>
#include <string>

namespace vigil::server {

void log(LogLevel level, std::string_view message) {
  using std::chrono::system_clock;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> stamp{};
  const std::size_t n = std::strftime(stamp.data(), stamp.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line(stamp.data(), n);
  std::array<char, 8> buf{};
  buf[0] = '.';
  buf[1] = static_cast<char>('0' + ms / 100);
  buf[2] = static_cast<char>('0' + ms / 10 % 10);
  buf[3] = static_cast<char>('0' + ms % 10);
  line.append(buf.data(), 4);
  line.append("Z vigild ");
  switch (level) {
    case LogLevel::kInfo: line.append("info: "); break;
    case LogLevel::kWarning: line.append("warning: "); break;
    case LogLevel::kError: line.append("error: "); break;
  }
  line.append(message);
  line.push_back('\n');
  // One write: atomic with respect to other log lines for pipes and files.
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t w = ::write(STDERR_FILENO, p, left);
    if (w <= 0) return;  // stderr closed or full: the log is best effort
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

void log_coroutine_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    log_error(std::string("coroutine failed: ") + x.what());
  } catch (...) {
    log_error("coroutine failed with a non-standard exception");
  }
}

}  // namespace vigil::server
