// libFuzzer target: a query-log line from arbitrary message octets (as a
// response and as a query, whole and cut). The line must always be one line
// of JSON-safe text: ending in its only newline, without raw control
// characters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "monitor/query_log_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::monitor;
  static const ClientPrivacy kHash(ClientIpMode::kHash, "fuzzing-secret-0123");
  for (bool response : {true, false}) {
    QueryEvent e;
    e.time_ns = 1'700'000'000'000'000'000;
    e.outcome = "answered";
    e.set_message(std::span<const std::uint8_t>(data, size), response);
    std::string line;
    append_json_line(line, e, response ? ClientPrivacy() : kHash);
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
    for (char c : line.substr(0, line.size() - 1)) {
      if (static_cast<unsigned char>(c) < 0x20) std::abort();
    }
  }
  return 0;
}
