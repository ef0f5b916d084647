#include "monitor/query_log_format.h"

#include <cstdio>
#include <ctime>

#include "protocol/message.h"
#include "protocol/rdata.h"
#include "protocol/types.h"

namespace vigil::monitor {

namespace {

void append_uint(std::string& out, std::uint64_t v) {
  out += std::to_string(v);
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

// ECS writes names without the trailing dot ("www.example.com"); the root
// stays ".".
std::string ecs_name(const dns::Name& n) {
  std::string t = n.to_text();
  if (t.size() > 1 && t.back() == '.') t.pop_back();
  return t;
}

const char* cache_name(CacheStatus c) {
  switch (c) {
    case CacheStatus::kNone: return "none";
    case CacheStatus::kHit: return "hit";
    case CacheStatus::kMiss: return "miss";
    case CacheStatus::kStale: return "stale";
    case CacheStatus::kLocal: return "local";
  }
  return "none";
}

void key(std::string& out, const char* k) {
  out += '"';
  out += k;
  out += "\":";
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (const std::size_t n = utf8_length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      out += "\\u00";  // a lone octet: shown as the Latin-1 code point, never invalid JSON
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  out += '"';
}

std::string iso8601_utc(std::int64_t unix_ns) {
  if (unix_ns < 0) unix_ns = 0;
  const std::time_t secs = unix_ns / 1'000'000'000;
  const auto micros = static_cast<unsigned>((unix_ns % 1'000'000'000) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  return buf;
}

void append_json_line(std::string& out, const QueryEvent& e, const ClientPrivacy& privacy) {
  out += '{';
  key(out, "@timestamp");
  append_json_string(out, iso8601_utc(e.time_ns));
  out += ",\"event\":{\"kind\":\"event\",\"category\":[\"network\"],\"type\":[\"protocol\"],\"duration\":";
  append_uint(out, std::uint64_t{e.duration_us} * 1000);  // ECS: nanoseconds
  out += "},\"client\":{\"ip\":";
  append_json_string(out, privacy.show({e.client.data(), e.client_len}));
  out += ",\"port\":";
  append_uint(out, e.client_port);
  out += "},\"server\":{\"ip\":";
  append_json_string(out, address_text({e.server.data(), e.server_len}));
  out += ",\"port\":";
  append_uint(out, e.server_port);
  out += "},\"network\":{\"transport\":";
  out += e.tcp ? "\"tcp\"" : "\"udp\"";
  out += ",\"protocol\":\"dns\"},\"dns\":{";

  auto parsed = dns::Message::parse(e.message_octets());
  const bool cut = e.message_size < e.message_full_size;
  if (!parsed.ok() && !cut) {
    out += "\"type\":\"unknown\"";  // malformed: nothing more can be said
  } else if (parsed.ok()) {
    const dns::Message& m = *parsed;
    out += e.is_response ? "\"type\":\"answer\"" : "\"type\":\"query\"";
    out += ",\"id\":";
    append_uint(out, m.header.id);
    out += ",\"op_code\":";
    append_json_string(out, dns::opcode_to_string(m.header.opcode));
    if (!m.questions.empty()) {
      const auto& q = m.questions[0];
      out += ",\"question\":{\"name\":";
      append_json_string(out, ecs_name(q.name));
      out += ",\"type\":";
      append_json_string(out, dns::type_to_string(q.type));
      out += ",\"class\":";
      append_json_string(out, dns::class_to_string(q.rclass));
      out += '}';
    }
    if (e.is_response) {
      out += ",\"response_code\":";
      append_json_string(out, dns::rcode_to_string(m.rcode()));
      out += ",\"header_flags\":[";
      bool first = true;
      auto flag = [&](bool on, const char* f) {
        if (!on) return;
        if (!first) out += ',';
        first = false;
        out += '"';
        out += f;
        out += '"';
      };
      flag(m.header.aa, "AA");
      flag(m.header.tc, "TC");
      flag(m.header.rd, "RD");
      flag(m.header.ra, "RA");
      flag(m.header.ad, "AD");
      flag(m.header.cd, "CD");
      flag(m.edns && m.edns->flags.dnssec_ok, "DO");
      out += "],\"answers\":[";
      std::string resolved;
      for (std::size_t i = 0; i < m.answer.size(); ++i) {
        const auto& rr = m.answer[i];
        if (i != 0) out += ',';
        out += "{\"name\":";
        append_json_string(out, ecs_name(rr.name));
        out += ",\"type\":";
        append_json_string(out, dns::type_to_string(rr.type));
        out += ",\"class\":";
        append_json_string(out, dns::class_to_string(rr.rclass));
        out += ",\"ttl\":";
        append_uint(out, rr.ttl);
        out += ",\"data\":";
        const std::string data = dns::rdata_to_text(rr.type, rr.rdata);
        append_json_string(out, data);
        out += '}';
        if (rr.type == dns::RRType::A || rr.type == dns::RRType::AAAA) {
          if (!resolved.empty()) resolved += ',';
          append_json_string(resolved, data);
        }
      }
      out += "],\"resolved_ip\":[";
      out += resolved;
      out += ']';
    }
  } else {
    out += "\"type\":\"answer\"";
  }
  out += "},\"vigil\":{\"cache\":";
  append_json_string(out, cache_name(e.cache));
  out += ",\"outcome\":";
  append_json_string(out, e.outcome);
  out += ",\"upstream_queries\":";
  append_uint(out, e.upstream_queries);
  if (cut) out += ",\"answers_cut\":true";
  if (parsed.ok() && parsed->edns) {
    const auto edes = parsed->edns->extended_errors();
    if (!edes.empty()) {
      out += ",\"ede\":{\"code\":";
      append_uint(out, static_cast<std::uint16_t>(edes[0].code));
      out += ",\"text\":";
      append_json_string(out, edes[0].text);
      out += '}';
    }
  }
  out += ",\"verdicts\":[]}}\n";
}

}  // namespace vigil::monitor
