#include "monitor/query_log_format.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "policy/policy_feed.h"
#include "protocol/message_view.h"
#include "protocol/rdata.h"
#include "protocol/types.h"

namespace vigil::monitor {

namespace {

void append_uint(LineBuffer& out, std::uint64_t v) {
  char* p = out.reserve(20);
  out.set_end(std::to_chars(p, p + 20, v).ptr);
}

// Octets a JSON string can hold as they are: printable ASCII but the quote
// and the backslash.
constexpr bool plain(unsigned char c) {
  return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

// How many octets the UTF-8 sequence starting at s[i] has (0 = invalid).
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// Characters a name's presentation format escapes with a backslash (RFC
// 1035 §5.1 and the zone-file specials; as dns::Name::append_text does).
constexpr bool presentation_special(unsigned char c) {
  return c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' || c == '$';
}

// A name as a JSON string in one pass: its presentation format (what
// Name::append_text gives) with JSON's escaping on top, without the
// trailing dot (ECS) except for the root. At most 5 chars per octet
// ("\\ddd").
void append_name(LineBuffer& out, const dns::Name& name) {
  const std::span<const std::uint8_t> w = name.wire();
  char* p = out.reserve(2 + 5 * w.size());
  *p++ = '"';
  if (w.empty() || w[0] == 0) *p++ = '.';
  for (std::size_t pos = 0; pos < w.size() && w[pos] != 0;) {
    if (pos > 0) *p++ = '.';
    const std::size_t len = w[pos];
    for (std::size_t i = pos + 1; i <= pos + len && i < w.size(); ++i) {
      const unsigned char c = w[i];
      if (c <= 0x20 || c >= 0x7F) {  // \ddd, its backslash escaped for JSON
        *p++ = '\\';
        *p++ = '\\';
        *p++ = static_cast<char>('0' + c / 100);
        *p++ = static_cast<char>('0' + c / 10 % 10);
        *p++ = static_cast<char>('0' + c % 10);
      } else if (presentation_special(c)) {
        *p++ = '\\';  // the presentation backslash, escaped for JSON
        *p++ = '\\';
        if (c == '"' || c == '\\') *p++ = '\\';  // and the character itself
        *p++ = static_cast<char>(c);
      } else {
        *p++ = static_cast<char>(c);
      }
    }
    pos += 1 + len;
  }
  *p++ = '"';
  out.set_end(p);
}

// "2026-11-24T01:02:03.123456Z" into a buffer of 27 chars or more.
constexpr std::size_t kTimestampChars = 27;
char* format_iso8601(char* out, std::int64_t unix_ns) {
  if (unix_ns < 0) unix_ns = 0;
  const std::time_t secs = unix_ns / 1'000'000'000;
  auto micros = static_cast<unsigned>((unix_ns % 1'000'000'000) / 1000);
  // The date and time change once a second: formatted once per second.
  thread_local std::time_t cached_secs = -1;
  thread_local char prefix[20];
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.", (tm.tm_year + 1900) % 10000,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::memcpy(prefix, buf, sizeof prefix);
    cached_secs = secs;
  }
  std::memcpy(out, prefix, sizeof prefix);
  for (int k = 25; k >= 20; --k, micros /= 10) out[k] = static_cast<char>('0' + micros % 10);
  out[26] = 'Z';
  return out + kTimestampChars;
}

// A string known to need no escaping (type, class and RCODE mnemonics,
// fixed words).
void append_plain(LineBuffer& out, std::string_view s) {
  out.put('"');
  out.put(s);
  out.put('"');
}

const dns::MessageView& empty_view() {
  static const dns::MessageView view;
  return view;
}

void append_score(LineBuffer& out, double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.1f", v);
  out.put(std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
}

// {"category":"dga","domain":"x.com","score":41.2,"alert":true,"evidence":{...}}
void append_verdict(LineBuffer& out, const Verdict& v) {
  out.put("{\"category\":");
  append_plain(out, intent_category_name(v.category));
  out.put(",\"domain\":");
  append_json_string(out, v.domain);
  out.put(",\"score\":");
  append_score(out, v.score);
  if (v.alert) out.put(",\"alert\":true");
  out.put(",\"evidence\":{");
  out.put(v.evidence);  // the detectors' own JSON members
  out.put("}}");
}

}  // namespace

void append_json_string(LineBuffer& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = out.reserve(2 + 6 * s.size());
  *p++ = '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    // Runs of plain octets (nearly every string) are copied at once.
    std::size_t run = i;
    while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
    if (run > i) {
      std::memcpy(p, s.data() + i, run - i);
      p += run - i;
      i = run;
      if (i == s.size()) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
    } else if (c == '\n' || c == '\t' || c == '\r') {
      *p++ = '\\';
      *p++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
    } else if (c < 0x20 || c == 0x7F) {
      std::memcpy(p, "\\u00", 4);
      p[4] = kHex[c >> 4];
      p[5] = kHex[c & 0x0F];
      p += 6;
    } else if (const std::size_t n = utf8_length(s, i); n > 0) {
      std::memcpy(p, s.data() + i, n);
      p += n;
      i += n - 1;
    } else {  // a lone octet: shown as the Latin-1 code point, never invalid JSON
      std::memcpy(p, "\\u00", 4);
      p[4] = kHex[c >> 4];
      p[5] = kHex[c & 0x0F];
      p += 6;
    }
  }
  *p++ = '"';
  out.set_end(p);
}

void append_json_string(std::string& out, std::string_view s) {
  thread_local LineBuffer buffer;
  buffer.clear();
  append_json_string(buffer, s);
  out += buffer.view();
}

std::size_t copy_cut(std::string_view text, std::span<char> out) {
  if (text.size() <= out.size()) {
    std::memcpy(out.data(), text.data(), text.size());
    return text.size();
  }
  std::memcpy(out.data(), text.data(), out.size() - 3);
  std::memcpy(out.data() + out.size() - 3, "...", 3);
  return out.size();
}

std::string iso8601_utc(std::int64_t unix_ns) {
  char buf[kTimestampChars];
  return std::string(buf, format_iso8601(buf, unix_ns));
}

void append_json_line(std::string& out, const QueryEvent& e, const ClientPrivacy& privacy) {
  thread_local LineBuffer buffer;
  buffer.clear();
  append_json_line(buffer, e, privacy);
  out += buffer.view();
}

bool parse_event_message(dns::MessageView& view, const QueryEvent& e) {
  if (view.parse(e.message_octets()) == dns::Error::kOk) return true;
  return e.message_size < e.message_full_size && view.parse_prefix(e.message_octets()) == dns::Error::kOk;
}

void append_json_line(LineBuffer& out, const QueryEvent& e, const ClientPrivacy& privacy) {
  dns::MessageView view;
  const bool ok = parse_event_message(view, e);
  append_json_line(out, e, ok ? &view : nullptr, privacy, {});
}

void append_json_line(LineBuffer& out, const QueryEvent& e, const dns::MessageView* parsed,
                      const ClientPrivacy& privacy, std::span<const Verdict> verdicts) {
  // Scratch space reused line after line: after the first lines, formatting
  // allocates nothing.
  thread_local std::string text;
  thread_local std::vector<std::uint8_t> rdata;
  thread_local LineBuffer resolved;

  out.put("{\"@timestamp\":\"");
  out.set_end(format_iso8601(out.reserve(kTimestampChars), e.time_ns));
  out.put(
      "\",\"event\":{\"kind\":\"event\",\"category\":[\"network\"],\"type\":[\"protocol\"],\"duration\":");
  append_uint(out, std::uint64_t{e.duration_us} * 1000);  // ECS: nanoseconds
  // ECS's client.ip must be an address: the address or its network; in
  // hash mode it is left out and the token goes into vigil.client_token.
  const bool hashed = privacy.mode() == ClientIpMode::kHash;
  if (hashed) {
    out.put("},\"client\":{\"port\":");
  } else {
    out.put("},\"client\":{\"ip\":\"");
    out.set_end(privacy.show(out.reserve(ClientPrivacy::kMaxShown), {e.client.data(), e.client_len}));
    out.put("\",\"port\":");
  }
  append_uint(out, e.client_port);
  out.put("},\"server\":{\"ip\":\"");
  out.set_end(dns::format_address(out.reserve(dns::kMaxAddressText), {e.server.data(), e.server_len}));
  out.put("\",\"port\":");
  append_uint(out, e.server_port);
  out.put(e.tcp ? std::string_view("},\"network\":{\"transport\":\"tcp\"")
                : "},\"network\":{\"transport\":\"udp\"");
  out.put(",\"protocol\":\"dns\"},\"dns\":{");

  const bool cut = e.message_size < e.message_full_size;
  const bool ok = parsed != nullptr;
  const dns::MessageView& view = ok ? *parsed : empty_view();
  if (!ok) {
    out.put(cut ? std::string_view("\"type\":\"answer\"") : "\"type\":\"unknown\"");
  } else {
    const dns::Header& h = view.header();
    out.put(e.is_response ? std::string_view("\"type\":\"answer\"") : "\"type\":\"query\"");
    out.put(",\"id\":");
    append_uint(out, h.id);
    out.put(",\"op_code\":");
    append_plain(out, dns::opcode_to_string(h.opcode));
    if (view.count(dns::Section::kQuestion) > 0) {
      out.put(",\"question\":{\"name\":");
      append_name(out, view.question_name());
      out.put(",\"type\":");
      append_plain(out, dns::type_to_string(view.question_type()));
      out.put(",\"class\":");
      append_plain(out, dns::class_to_string(view.question_class()));
      out.put('}');
    }
    if (e.is_response) {
      out.put(",\"response_code\":");
      append_plain(out, dns::rcode_to_string(view.rcode()));
      out.put(",\"header_flags\":[");
      bool first = true;
      auto flag = [&](bool on, std::string_view f) {
        if (!on) return;
        if (!first) out.put(',');
        first = false;
        append_plain(out, f);
      };
      flag(h.aa, "AA");
      flag(h.tc, "TC");
      flag(h.rd, "RD");
      flag(h.ra, "RA");
      flag(h.ad, "AD");
      flag(h.cd, "CD");
      flag(view.has_edns() && view.edns().flags.dnssec_ok, "DO");
      out.put("],\"answers\":[");
      resolved.clear();
      auto cursor = view.records();
      dns::RecordRef r;
      bool first_answer = true;
      while (cursor.next(r)) {
        if (r.section != dns::Section::kAnswer) break;
        if (!first_answer) out.put(',');
        first_answer = false;
        out.put("{\"name\":");
        append_name(out, view.name_at(r.name_pos));
        out.put(",\"type\":");
        append_plain(out, dns::type_to_string(r.type));
        out.put(",\"class\":");
        append_plain(out, dns::class_to_string(static_cast<dns::RRClass>(r.rclass)));
        out.put(",\"ttl\":");
        append_uint(out, r.ttl);
        out.put(",\"data\":");
        const bool address = is_address_record(r);
        const std::size_t data_start = out.size();
        if (address) {  // the common case, straight from the message
          out.put('"');
          out.set_end(dns::format_address(out.reserve(dns::kMaxAddressText),
                                          view.wire().subspan(r.rdata_pos, r.rdlength)));
          out.put('"');
        } else {
          text.clear();
          rdata.clear();
          if (dns::read_rdata(view.wire(), r.rdata_pos, r.rdlength, r.type, rdata) == dns::Error::kOk) {
            dns::append_rdata_text(text, r.type, rdata);
          }
          append_json_string(out, text);
        }
        if (r.type == dns::RRType::A || r.type == dns::RRType::AAAA) {
          if (!resolved.empty()) resolved.put(',');
          resolved.put(out.view().substr(data_start));
        }
        out.put('}');
      }
      out.put("],\"resolved_ip\":[");
      out.put(resolved.view());
      out.put(']');
    }
  }
  out.put("},\"vigil\":{");
  if (hashed) {
    out.put("\"client_token\":\"");
    out.set_end(privacy.show(out.reserve(ClientPrivacy::kMaxShown), {e.client.data(), e.client_len}));
    out.put("\",");
  }
  out.put("\"cache\":");
  append_plain(out, cache_status_name(e.cache));
  out.put(",\"outcome\":");
  append_json_string(out, e.outcome);
  out.put(",\"upstream_queries\":");
  append_uint(out, e.upstream_queries);
  if (e.policy.hit) {
    out.put(",\"policy\":{\"feed\":");
    append_json_string(out, e.policy.feed_name());
    out.put(",\"action\":");
    append_json_string(out, policy::policy_action_name(static_cast<policy::PolicyAction>(e.policy.action)));
    out.put(",\"trigger\":");
    append_json_string(out, e.policy.trigger_text());
    out.put(e.policy.address ? ",\"trigger_type\":\"response-ip\"" : ",\"trigger_type\":\"qname\"");
    out.put(e.policy.enforced ? ",\"mode\":\"enforce\"}" : ",\"mode\":\"log\"}");
  }
  if (cut) {
    // How many answer records the line lacks (the header announced them;
    // the event kept only the message's first octets).
    out.put(",\"answers_cut\":");
    append_uint(out, ok ? view.declared(dns::Section::kAnswer) - view.count(dns::Section::kAnswer) : 0);
  }
  if (ok && view.has_edns()) {
    // The first Extended DNS Error option (RFC 8914: code 15, INFO-CODE, text).
    const auto opts = view.edns().options;
    for (std::size_t p = 0; p + 4 <= opts.size();) {
      const unsigned code = (unsigned{opts[p]} << 8) | opts[p + 1];
      const std::size_t len = (std::size_t{opts[p + 2]} << 8) | opts[p + 3];
      if (p + 4 + len > opts.size()) break;
      if (code == 15 && len >= 2) {
        out.put(",\"ede\":{\"code\":");
        append_uint(out, (unsigned{opts[p + 4]} << 8) | opts[p + 5]);
        out.put(",\"text\":");
        append_json_string(out,
                           std::string_view(reinterpret_cast<const char*>(opts.data() + p + 6), len - 2));
        out.put('}');
        break;
      }
      p += 4 + len;
    }
  }
  out.put(",\"verdicts\":[");
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    if (i > 0) out.put(',');
    append_verdict(out, verdicts[i]);
  }
  out.put("]}}\n");
}

void append_alert_line(LineBuffer& out, const QueryEvent& e, const dns::MessageView* view,
                       const ClientPrivacy& privacy, const Verdict& v) {
  out.put("{\"@timestamp\":\"");
  out.set_end(format_iso8601(out.reserve(kTimestampChars), e.time_ns));
  out.put(
      "\",\"event\":{\"kind\":\"alert\",\"category\":[\"network\",\"intrusion_detection\"],\"type\":["
      "\"info\"],"
      "\"dataset\":\"vigil.intent\"},\"rule\":{\"name\":");
  append_plain(out, intent_category_name(v.category));
  const bool hashed = privacy.mode() == ClientIpMode::kHash;
  out.put(hashed ? std::string_view("},\"client\":{},\"dns\":{") : "},\"client\":{\"ip\":\"");
  if (!hashed) {
    out.set_end(privacy.show(out.reserve(ClientPrivacy::kMaxShown), {e.client.data(), e.client_len}));
    out.put("\"},\"dns\":{");
  }
  if (view != nullptr && view->count(dns::Section::kQuestion) > 0) {
    out.put("\"question\":{\"name\":");
    append_name(out, view->question_name());
    out.put(",\"type\":");
    append_plain(out, dns::type_to_string(view->question_type()));
    out.put('}');
  }
  if (view != nullptr && view->count(dns::Section::kQuestion) > 0 && e.is_response) {
    out.put(",\"response_code\":");
    append_plain(out, dns::rcode_to_string(view->rcode()));
    out.put(",\"resolved_ip\":[");
    bool first = true;
    for_each_answer_address(*view, [&](std::span<const std::uint8_t> address) {
      out.put(first ? std::string_view("\"") : ",\"");
      first = false;
      out.set_end(dns::format_address(out.reserve(dns::kMaxAddressText), address));
      out.put('"');
      return true;
    });
    out.put(']');
  }
  out.put("},\"vigil\":{");
  if (hashed) {
    out.put("\"client_token\":\"");
    out.set_end(privacy.show(out.reserve(ClientPrivacy::kMaxShown), {e.client.data(), e.client_len}));
    out.put("\",");
  }
  out.put("\"outcome\":");
  append_json_string(out, e.outcome);
  out.put(",\"alert\":");
  append_verdict(out, v);
  out.put("}}\n");
}

}  // namespace vigil::monitor
