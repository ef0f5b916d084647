#include "monitor/query_log_format.h"

#include <array>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/edns.h"
#include "protocol/message.h"
#include "protocol/presentation.h"

namespace vigil::monitor {
namespace {

using nlohmann::json;

QueryEvent Event(const dns::Message& m, bool response = true) {
  QueryEvent e;
  e.time_ns = 1'764'000'000'123'456'789;  // 2025-11-24T16:00:00.123456Z
  e.duration_us = 250;
  e.client = {192, 0, 2, 7};
  e.client_port = 40000;
  e.server = {127, 0, 0, 1};
  e.server_port = 53;
  e.cache = CacheStatus::kHit;
  e.outcome = "answered";
  e.upstream_queries = 0;
  const auto wire = m.to_wire();
  e.set_message(wire, response);
  return e;
}

json Line(const QueryEvent& e, const ClientPrivacy& p = {}) {
  std::string out;
  append_json_line(out, e, p);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);  // one line
  return json::parse(out);
}

dns::Message Answer(const char* qname) {
  dns::Message m = dns::make_query(4242, *dns::Name::from_text(qname), dns::RRType::A, true, 1232);
  m.header.qr = true;
  m.header.ra = true;
  return m;
}

TEST(QueryLogFormatTest, EcsFieldsForAnAnswer) {
  dns::Message m = Answer("www.example.");
  m.answer.push_back(*dns::parse_record("www.example. 300 IN CNAME edge.example."));
  m.answer.push_back(*dns::parse_record("edge.example. 60 IN A 192.0.2.80"));
  json j = Line(Event(m));
  EXPECT_EQ(j["@timestamp"], "2025-11-24T16:00:00.123456Z");
  EXPECT_EQ(j["event"]["duration"], 250000);
  EXPECT_EQ(j["client"]["ip"], "192.0.2.7");
  EXPECT_EQ(j["client"]["port"], 40000);
  EXPECT_EQ(j["server"]["ip"], "127.0.0.1");
  EXPECT_EQ(j["network"]["transport"], "udp");
  EXPECT_EQ(j["dns"]["type"], "answer");
  EXPECT_EQ(j["dns"]["id"], 4242);
  EXPECT_EQ(j["dns"]["question"]["name"], "www.example");
  EXPECT_EQ(j["dns"]["question"]["type"], "A");
  EXPECT_EQ(j["dns"]["question"]["class"], "IN");
  EXPECT_EQ(j["dns"]["response_code"], "NOERROR");
  EXPECT_EQ(j["dns"]["header_flags"], json::array({"RD", "RA"}));
  ASSERT_EQ(j["dns"]["answers"].size(), 2u);
  EXPECT_EQ(j["dns"]["answers"][0]["type"], "CNAME");
  EXPECT_EQ(j["dns"]["answers"][0]["data"], "edge.example.");
  EXPECT_EQ(j["dns"]["answers"][1]["ttl"], 60);
  EXPECT_EQ(j["dns"]["answers"][1]["data"], "192.0.2.80");
  EXPECT_EQ(j["dns"]["resolved_ip"], json::array({"192.0.2.80"}));
  EXPECT_EQ(j["vigil"]["cache"], "hit");
  EXPECT_EQ(j["vigil"]["outcome"], "answered");
  EXPECT_EQ(j["vigil"]["verdicts"], json::array());
}

TEST(QueryLogFormatTest, OddNamesStayValidJson) {
  // A quote, a backslash, a non-ASCII octet and a zero octet in labels.
  std::vector<std::uint8_t> wire = {3, 'a', '"', 'b', 3, 'c', '\\', 'd', 2, 0xC3, 0x28, 2, 'x', 0, 0};
  auto name = dns::Name::from_wire(wire);
  ASSERT_TRUE(name.ok());
  dns::Message m = dns::make_query(1, *name, dns::RRType::TXT, true, 0);
  m.header.qr = true;
  m.answer.push_back({*name, dns::RRType::TXT, dns::RRClass::IN, 5, {3, 'q', '"', 0x01}});
  std::string out;
  append_json_line(out, Event(m), {});
  json j = json::parse(out);  // throws on invalid JSON
  const std::string shown = j["dns"]["question"]["name"];
  EXPECT_NE(shown.find('"'), std::string::npos) << shown;
  EXPECT_NE(shown.find('\\'), std::string::npos) << shown;
  EXPECT_EQ(j["dns"]["answers"][0]["type"], "TXT");
}

// Names are written in one pass (presentation escapes and JSON escapes at
// once); the result must be what the two steps give, for every octet, in
// every position, in questions and answers.
TEST(QueryLogFormatTest, NamesAreThePresentationFormatJsonEscaped) {
  for (unsigned c = 0; c < 256; ++c) {
    const std::vector<std::uint8_t> wire = {
        3, static_cast<std::uint8_t>(c), 'x', static_cast<std::uint8_t>(c),
        1, static_cast<std::uint8_t>(c), 0};
    auto name = dns::Name::from_wire(wire);
    ASSERT_TRUE(name.ok()) << c;
    std::string text;
    name->append_text(text);
    text.pop_back();  // the log leaves out the trailing dot
    std::string expected;
    append_json_string(expected, text);

    dns::Message m = dns::make_query(1, *name, dns::RRType::A, true, 0);
    m.header.qr = true;
    m.answer.push_back({*name, dns::RRType::A, dns::RRClass::IN, 5, {192, 0, 2, 1}});
    std::string out;
    append_json_line(out, Event(m), {});
    EXPECT_NE(out.find("\"question\":{\"name\":" + expected + ","), std::string::npos) << c << " " << out;
    EXPECT_NE(out.find("\"answers\":[{\"name\":" + expected + ","), std::string::npos) << c << " " << out;
    EXPECT_EQ(Line(Event(m))["dns"]["question"]["name"], json::parse(expected)) << c;
  }
}

TEST(QueryLogFormatTest, RootAndAddresses) {
  dns::Message m = dns::make_query(1, dns::Name(), dns::RRType::AAAA, true, 0);
  m.header.qr = true;
  m.answer.push_back(*dns::parse_record(". 5 IN AAAA 2001:db8::1"));
  m.answer.push_back(*dns::parse_record(". 5 IN A 0.10.100.255"));
  const json j = Line(Event(m));
  EXPECT_EQ(j["dns"]["question"]["name"], ".");
  EXPECT_EQ(j["dns"]["answers"][0]["data"], "2001:db8::1");
  EXPECT_EQ(j["dns"]["answers"][1]["data"], "0.10.100.255");
  EXPECT_EQ(j["dns"]["resolved_ip"], json::array({"2001:db8::1", "0.10.100.255"}));
}

TEST(QueryLogFormatTest, CopyCutKeepsWhatFitsAndMarksACut) {
  std::array<char, 8> out{};
  EXPECT_EQ(copy_cut("abc", out), 3u);
  EXPECT_EQ(std::string_view(out.data(), 3), "abc");
  EXPECT_EQ(copy_cut("12345678", out), 8u);  // exactly the room: not cut
  EXPECT_EQ(std::string_view(out.data(), 8), "12345678");
  EXPECT_EQ(copy_cut("123456789", out), 8u);
  EXPECT_EQ(std::string_view(out.data(), 8), "12345...");
  EXPECT_EQ(copy_cut("", out), 0u);
}

TEST(QueryLogFormatTest, Timestamps) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(iso8601_utc(1'764'000'000'000'001'000), "2025-11-24T16:00:00.000001Z");
  EXPECT_EQ(iso8601_utc(1'764'000'000'999'999'999), "2025-11-24T16:00:00.999999Z");
  EXPECT_EQ(iso8601_utc(1'764'000'001'000'000'000), "2025-11-24T16:00:01.000000Z");  // the next second
}

TEST(QueryLogFormatTest, JsonStringEscaping) {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\nd\x01\x7f", 9));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001\\u007f\"");
  out.clear();
  append_json_string(out, "caf\xc3\xa9 \xff");  // valid UTF-8 kept, a lone octet escaped
  EXPECT_EQ(out, "\"caf\xc3\xa9 \\u00ff\"");
  out.clear();
  append_json_string(out, std::string("\0", 1));
  EXPECT_EQ(out, "\"\\u0000\"");
}

TEST(QueryLogFormatTest, ADroppedQueryAndAServfailWithItsReason) {
  dns::Message q = dns::make_query(7, *dns::Name::from_text("blocked.example."), dns::RRType::AAAA, true, 0);
  QueryEvent dropped = Event(q, /*response=*/false);
  dropped.cache = CacheStatus::kNone;
  dropped.outcome = "dropped_acl";
  json j = Line(dropped);
  EXPECT_EQ(j["dns"]["type"], "query");
  EXPECT_FALSE(j["dns"].contains("response_code"));
  EXPECT_EQ(j["vigil"]["outcome"], "dropped_acl");

  dns::Message sf = Answer("dead.example.");
  sf.set_rcode(dns::Rcode::kServFail);
  dns::Edns edns;
  edns.add_extended_error(dns::EdeCode::kNoReachableAuthority, "no server for dead.example. answered");
  sf.edns = edns;
  QueryEvent e = Event(sf);
  e.cache = CacheStatus::kMiss;
  e.upstream_queries = 3;
  j = Line(e);
  EXPECT_EQ(j["dns"]["response_code"], "SERVFAIL");
  EXPECT_EQ(j["vigil"]["cache"], "miss");
  EXPECT_EQ(j["vigil"]["upstream_queries"], 3);
  EXPECT_EQ(j["vigil"]["ede"]["code"], 22);
  EXPECT_EQ(j["vigil"]["ede"]["text"], "no server for dead.example. answered");
}

TEST(QueryLogFormatTest, MalformedAndCutMessagesStillGiveALine) {
  QueryEvent e;
  const std::uint8_t junk[] = {1, 2, 3};
  e.set_message(junk, false);
  e.outcome = "dropped_short";
  json j = Line(e);
  EXPECT_EQ(j["dns"]["type"], "unknown");
}

TEST(QueryLogFormatTest, ALongTcpAnswerKeepsItsQuestionAndSaysHowManyRecordsWereCut) {
  // txt.big.test. TXT as the lab serves it: 10 TXT records of 200 octets,
  // 2 171 octets over TCP; the event keeps the first 1 232.
  dns::Message m = dns::make_query(777, *dns::Name::from_text("txt.big.test."), dns::RRType::TXT, true, 0);
  m.header.qr = true;
  m.header.ra = true;
  m.header.tc = false;
  for (int k = 0; k < 10; ++k) {
    m.answer.push_back(
        *dns::parse_record("txt.big.test. 300 IN TXT \"" + std::string(200, char('a' + k)) + "\""));
  }
  QueryEvent e = Event(m);
  e.tcp = true;
  ASSERT_GT(e.message_full_size, QueryEvent::kMaxMessage);
  json j = Line(e);
  EXPECT_EQ(j["network"]["transport"], "tcp");
  EXPECT_EQ(j["dns"]["type"], "answer");
  EXPECT_EQ(j["dns"]["id"], 777);
  EXPECT_EQ(j["dns"]["question"]["name"], "txt.big.test");
  EXPECT_EQ(j["dns"]["question"]["type"], "TXT");
  EXPECT_EQ(j["dns"]["response_code"], "NOERROR");
  EXPECT_EQ(j["dns"]["header_flags"], json::array({"RD", "RA"}));
  const std::size_t kept = j["dns"]["answers"].size();
  EXPECT_EQ(kept, 5u);  // (1232 - 12 - 18) / 213 whole records
  EXPECT_EQ(j["vigil"]["answers_cut"], 10 - kept);
  EXPECT_EQ(j["dns"]["answers"][0]["data"], "\"" + std::string(200, 'a') + "\"");

  // Junk that is cut: no question to give, still one line.
  std::vector<std::uint8_t> big(3000, 0xFF);
  e.set_message(big, true);
  j = Line(e);
  EXPECT_EQ(j["dns"]["type"], "answer");
  EXPECT_EQ(j["vigil"]["answers_cut"], 0);
}

TEST(QueryLogFormatTest, PrivacyModesApplyToTheClientOnly) {
  QueryEvent e = Event(Answer("www.example."));
  EXPECT_EQ(Line(e, ClientPrivacy(ClientIpMode::kTruncate, ""))["client"]["ip"], "192.0.2.0");
  EXPECT_EQ(Line(e, ClientPrivacy(ClientIpMode::kTruncate, ""))["server"]["ip"], "127.0.0.1");
  // Hash mode: ECS's client.ip must be an address, so it is left out; the
  // token is vigil.client_token (issue 22: ECS index templates rejected it).
  const json hashed = Line(e, ClientPrivacy(ClientIpMode::kHash, "0123456789abcdef"));
  EXPECT_FALSE(hashed["client"].contains("ip"));
  EXPECT_EQ(hashed["client"]["port"], 40000);
  const std::string h = hashed["vigil"]["client_token"];
  EXPECT_EQ(h.size(), 32u);
  EXPECT_EQ(
      h,
      ClientPrivacy(ClientIpMode::kHash, "0123456789abcdef").show(std::vector<std::uint8_t>{192, 0, 2, 7}));
  EXPECT_FALSE(Line(e)["vigil"].contains("client_token"));
}

}  // namespace
}  // namespace vigil::monitor
