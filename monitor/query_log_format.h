// One QueryEvent → one JSON line, with the Elastic Common Schema's field
// names where ECS has one (docs/query-log.md lists them all) and Vigil's own
// under "vigil". Runs on the query log's writer thread, never on the query
// path: the message octets are parsed here.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "monitor/client_privacy.h"
#include "monitor/line_buffer.h"
#include "monitor/query_event.h"
#include "monitor/verdict.h"
#include "protocol/message_view.h"

namespace vigil::monitor {

// Parses the event's message: whole, or for a message longer than the event
// holds (TCP answers over QueryEvent::kMaxMessage octets) its header,
// question and the records that fit (MessageView::parse_prefix), so the
// question, ID, RCODE and flags are always there. False: not even that.
bool parse_event_message(dns::MessageView& view, const QueryEvent& e);

// Appends the line (with its newline) to `out`. The writer thread formats
// into a LineBuffer, from the message it has parsed already (`view`,
// nullptr when it did not parse) and with the intent detectors' verdicts;
// the other forms parse the message themselves and have no verdicts (for
// tests and tools).
void append_json_line(LineBuffer& out, const QueryEvent& e, const dns::MessageView* view,
                      const ClientPrivacy& privacy, std::span<const Verdict> verdicts);
void append_json_line(LineBuffer& out, const QueryEvent& e, const ClientPrivacy& privacy);
void append_json_line(std::string& out, const QueryEvent& e, const ClientPrivacy& privacy);

// One alert (docs/intent.md, "Alerts"): the verdict with the query that
// raised it — client, question, response code, resolved addresses.
void append_alert_line(LineBuffer& out, const QueryEvent& e, const dns::MessageView* view,
                       const ClientPrivacy& privacy, const Verdict& v);

// An answer record that holds an address: A with 4 octets, AAAA with 16.
inline bool is_address_record(const dns::RecordRef& r) {
  return (r.type == dns::RRType::A && r.rdlength == 4) || (r.type == dns::RRType::AAAA && r.rdlength == 16);
}

// Calls f(octets) for each address in the answer section, in order, while
// f returns true.
template <typename F>
void for_each_answer_address(const dns::MessageView& view, F&& f) {
  auto cursor = view.records();
  dns::RecordRef r;
  while (cursor.next(r) && r.section == dns::Section::kAnswer) {
    if (is_address_record(r) && !f(view.rdata(r))) return;
  }
}

// JSON string escaping: quotes, backslashes and control characters; octets
// above 0x7F that are not valid UTF-8 become \u00XX (so every line is valid
// JSON whatever a name holds).
void append_json_string(LineBuffer& out, std::string_view s);
void append_json_string(std::string& out, std::string_view s);

// "2026-11-24T01:02:03.123456Z"
std::string iso8601_utc(std::int64_t unix_ns);

// Copies `text` into `out` (at least 3 characters); a longer text is cut
// and ends with "..." (how the views' tables keep long names). Returns the
// characters written.
std::size_t copy_cut(std::string_view text, std::span<char> out);

}  // namespace vigil::monitor
