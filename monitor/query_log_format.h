// One QueryEvent → one JSON line, with the Elastic Common Schema's field
// names where ECS has one (docs/query-log.md lists them all) and Vigil's own
// under "vigil". Runs on the query log's writer thread, never on the query
// path: the message octets are parsed here.
#pragma once

#include <string>
#include <string_view>

#include "monitor/client_privacy.h"
#include "monitor/line_buffer.h"
#include "monitor/query_event.h"

namespace vigil::monitor {

// Appends the line (with its newline) to `out`. The writer thread formats
// into a LineBuffer; the std::string form is for tests and tools.
void append_json_line(LineBuffer& out, const QueryEvent& e, const ClientPrivacy& privacy);
void append_json_line(std::string& out, const QueryEvent& e, const ClientPrivacy& privacy);

// JSON string escaping: quotes, backslashes and control characters; octets
// above 0x7F that are not valid UTF-8 become \u00XX (so every line is valid
// JSON whatever a name holds).
void append_json_string(LineBuffer& out, std::string_view s);
void append_json_string(std::string& out, std::string_view s);

// "2026-11-24T01:02:03.123456Z"
std::string iso8601_utc(std::int64_t unix_ns);

}  // namespace vigil::monitor
