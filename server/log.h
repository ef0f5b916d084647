// The daemon's operational log: one line per event on stderr, with a UTC
// timestamp and a level, written with a single write(2) so lines from
// several threads never interleave. (The query log is separate: monitor/.)
#pragma once

#include <exception>
#include <string_view>

namespace vigil::server {

enum class LogLevel : unsigned char { kInfo, kWarning, kError };

void log(LogLevel level, std::string_view message);
inline void log_info(std::string_view m) {
  log(LogLevel::kInfo, m);
}
inline void log_warning(std::string_view m) {
  log(LogLevel::kWarning, m);
}
inline void log_error(std::string_view m) {
  log(LogLevel::kError, m);
}

// Completion handler for detached coroutines: logs what one threw, so a
// coroutine never takes a worker down silently.
void log_coroutine_exception(std::exception_ptr e);

}  // namespace vigil::server
