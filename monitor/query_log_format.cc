#include "monitor/query_log_format.h"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <vector>

#include "protocol/message_view.h"
#include "protocol/rdata.h"
#include "protocol/types.h"

namespace vigil::monitor {

namespace {

void append_uint(std::string& out, std::uint64_t v) {
  char buf[20];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
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
    // Runs of plain octets (nearly every name) are appended at once.
    std::size_t run = i;
    while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      if (i == s.size()) break;
    }
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
  // The date and time change once a second: formatted once per second.
  thread_local std::time_t cached_secs = -1;
  thread_local char prefix[80];
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  std::string out(prefix);
  char frac[8] = {'0', '0', '0', '0', '0', '0', 'Z', 0};
  for (int k = 5, v = static_cast<int>(micros); k >= 0; --k, v /= 10)
    frac[k] = static_cast<char>('0' + v % 10);
  out += frac;
  return out;
}

void append_json_line(std::string& out, const QueryEvent& e, const ClientPrivacy& privacy) {
  // Scratch space reused line after line: after the first lines, formatting
  // allocates nothing.
  thread_local std::string text;
  thread_local std::vector<std::uint8_t> rdata;
  auto name_json = [&](const dns::Name& n) {
    text.clear();
    n.append_text(text);
    if (text.size() > 1 && text.back() == '.') text.pop_back();  // ECS: no trailing dot
    append_json_string(out, text);
  };

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

  dns::MessageView view;
  const bool cut = e.message_size < e.message_full_size;
  const bool ok = view.parse(e.message_octets()) == dns::Error::kOk;
  if (!ok) {
    out += cut ? "\"type\":\"answer\"" : "\"type\":\"unknown\"";
  } else {
    const dns::Header& h = view.header();
    out += e.is_response ? "\"type\":\"answer\"" : "\"type\":\"query\"";
    out += ",\"id\":";
    append_uint(out, h.id);
    out += ",\"op_code\":";
    append_json_string(out, dns::opcode_to_string(h.opcode));
    if (view.count(dns::Section::kQuestion) > 0) {
      out += ",\"question\":{\"name\":";
      name_json(view.question_name());
      out += ",\"type\":";
      append_json_string(out, dns::type_to_string(view.question_type()));
      out += ",\"class\":";
      append_json_string(out, dns::class_to_string(view.question_class()));
      out += '}';
    }
    if (e.is_response) {
      out += ",\"response_code\":";
      append_json_string(out, dns::rcode_to_string(view.rcode()));
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
      flag(h.aa, "AA");
      flag(h.tc, "TC");
      flag(h.rd, "RD");
      flag(h.ra, "RA");
      flag(h.ad, "AD");
      flag(h.cd, "CD");
      flag(view.has_edns() && view.edns().flags.dnssec_ok, "DO");
      out += "],\"answers\":[";
      std::size_t resolved_start = 0;
      thread_local std::string resolved;
      resolved.clear();
      auto cursor = view.records();
      dns::RecordRef r;
      bool first_answer = true;
      while (cursor.next(r)) {
        if (r.section != dns::Section::kAnswer) break;
        if (!first_answer) out += ',';
        first_answer = false;
        out += "{\"name\":";
        name_json(view.name_at(r.name_pos));
        out += ",\"type\":";
        append_json_string(out, dns::type_to_string(r.type));
        out += ",\"class\":";
        append_json_string(out, dns::class_to_string(static_cast<dns::RRClass>(r.rclass)));
        out += ",\"ttl\":";
        append_uint(out, r.ttl);
        out += ",\"data\":";
        text.clear();
        rdata.clear();
        if (dns::read_rdata(view.wire(), r.rdata_pos, r.rdlength, r.type, rdata) == dns::Error::kOk) {
          dns::append_rdata_text(text, r.type, rdata);
        }
        append_json_string(out, text);
        out += '}';
        if (r.type == dns::RRType::A || r.type == dns::RRType::AAAA) {
          if (resolved.size() > resolved_start) resolved += ',';
          append_json_string(resolved, text);
        }
      }
      out += "],\"resolved_ip\":[";
      out += resolved;
      out += ']';
    }
  }
  out += "},\"vigil\":{\"cache\":";
  append_json_string(out, cache_status_name(e.cache));
  out += ",\"outcome\":";
  append_json_string(out, e.outcome);
  out += ",\"upstream_queries\":";
  append_uint(out, e.upstream_queries);
  if (cut) out += ",\"answers_cut\":true";
  if (ok && view.has_edns()) {
    // The first Extended DNS Error option (RFC 8914: code 15, INFO-CODE, text).
    const auto opts = view.edns().options;
    for (std::size_t p = 0; p + 4 <= opts.size();) {
      const unsigned code = (unsigned{opts[p]} << 8) | opts[p + 1];
      const std::size_t len = (std::size_t{opts[p + 2]} << 8) | opts[p + 3];
      if (p + 4 + len > opts.size()) break;
      if (code == 15 && len >= 2) {
        out += ",\"ede\":{\"code\":";
        append_uint(out, (unsigned{opts[p + 4]} << 8) | opts[p + 5]);
        out += ",\"text\":";
        append_json_string(out,
                           std::string_view(reinterpret_cast<const char*>(opts.data() + p + 6), len - 2));
        out += '}';
        break;
      }
      p += 4 + len;
    }
  }
  out += ",\"verdicts\":[]}}\n";
}

}  // namespace vigil::monitor
