#include "monitor/dnstap.h"

#include <memory>

#include <gtest/gtest.h>

#include "dnstap.pb-c.h"
#include "protocol/message.h"

namespace vigil::monitor {
namespace {

struct Unpacked {
  explicit Unpacked(const std::vector<std::uint8_t>& frame)
      : d(dnstap__dnstap__unpack(nullptr, frame.size(), frame.data())) {}
  ~Unpacked() {
    if (d != nullptr) dnstap__dnstap__free_unpacked(d, nullptr);
  }
  Unpacked(const Unpacked&) = delete;
  Unpacked& operator=(const Unpacked&) = delete;
  Dnstap__Dnstap* d;
};

std::vector<std::uint8_t> Bytes(const ProtobufCBinaryData& b) {
  return {b.data, b.data + b.len};
}

std::vector<std::uint8_t> Wire(const char* name, bool response) {
  dns::Message m = dns::make_query(7, *dns::Name::from_text(name), dns::RRType::AAAA, true, 1232);
  m.header.qr = response;
  return m.to_wire();
}

QueryEvent Event(bool tcp = false) {
  QueryEvent e;
  e.time_ns = 1'764'000'000'123'456'789;
  e.duration_us = 250;
  e.client = {192, 0, 2, 7};
  e.client_port = 40000;
  e.server = {127, 0, 0, 1};
  e.server_port = 53;
  e.tcp = tcp;
  e.set_message(Wire("www.example.", true), true);
  e.set_query(Wire("www.example.", false));
  return e;
}

DnstapOptions Options() {
  DnstapOptions o;
  o.identity = "resolver-1";
  o.version = "vigil 0.1.0";
  return o;
}

TEST(DnstapTest, AClientQueryAndItsResponse) {
  const QueryEvent e = Event();
  const auto frames = encode_dnstap(e, Options(), {});
  ASSERT_EQ(frames.size(), 2u);

  Unpacked q(frames[0]);
  ASSERT_NE(q.d, nullptr);
  EXPECT_EQ(q.d->type, DNSTAP__DNSTAP__TYPE__MESSAGE);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(q.d->identity.data), q.d->identity.len), "resolver-1");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(q.d->version.data), q.d->version.len), "vigil 0.1.0");
  const Dnstap__Message* m = q.d->message;
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, DNSTAP__MESSAGE__TYPE__CLIENT_QUERY);
  EXPECT_EQ(m->socket_family, DNSTAP__SOCKET_FAMILY__INET);
  EXPECT_EQ(m->socket_protocol, DNSTAP__SOCKET_PROTOCOL__UDP);
  EXPECT_EQ(Bytes(m->query_address), (std::vector<std::uint8_t>{192, 0, 2, 7}));
  EXPECT_EQ(m->query_port, 40000u);
  EXPECT_EQ(Bytes(m->response_address), (std::vector<std::uint8_t>{127, 0, 0, 1}));
  EXPECT_EQ(m->response_port, 53u);
  EXPECT_EQ(m->query_time_sec, 1'764'000'000u);
  EXPECT_EQ(m->query_time_nsec, 123'456'789u);
  EXPECT_EQ(Bytes(m->query_message), Wire("www.example.", false));
  EXPECT_FALSE(m->has_response_message);

  Unpacked r(frames[1]);
  ASSERT_NE(r.d, nullptr);
  m = r.d->message;
  EXPECT_EQ(m->type, DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE);
  EXPECT_FALSE(m->has_query_message);
  EXPECT_EQ(Bytes(m->response_message), Wire("www.example.", true));
  EXPECT_EQ(m->query_time_sec, 1'764'000'000u);
  EXPECT_EQ(m->response_time_sec, 1'764'000'000u);
  EXPECT_EQ(m->response_time_nsec, 123'706'789u);  // 250 µs later
}

TEST(DnstapTest, TcpAndIpv6) {
  QueryEvent e = Event(/*tcp=*/true);
  e.client = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  e.client_len = 16;
  Unpacked q(encode_dnstap(e, Options(), {}).at(0));
  EXPECT_EQ(q.d->message->socket_protocol, DNSTAP__SOCKET_PROTOCOL__TCP);
  EXPECT_EQ(q.d->message->socket_family, DNSTAP__SOCKET_FAMILY__INET6);
  EXPECT_EQ(q.d->message->query_address.len, 16u);
}

TEST(DnstapTest, TheClientAddressFollowsThePrivacyMode) {
  const QueryEvent e = Event();
  Unpacked truncated(encode_dnstap(e, Options(), ClientPrivacy(ClientIpMode::kTruncate, "")).at(0));
  EXPECT_EQ(Bytes(truncated.d->message->query_address), (std::vector<std::uint8_t>{192, 0, 2, 0}));
  Unpacked hashed(
      encode_dnstap(e, Options(), ClientPrivacy(ClientIpMode::kHash, "a secret of 16+ chars")).at(0));
  EXPECT_FALSE(hashed.d->message->has_query_address);
}

TEST(DnstapTest, OnlyWhatTheOptionsAskAndTheEventHas) {
  DnstapOptions o = Options();
  o.client_queries = false;
  EXPECT_EQ(encode_dnstap(Event(), o, {}).size(), 1u);
  o = Options();
  o.client_responses = false;
  EXPECT_EQ(encode_dnstap(Event(), o, {}).size(), 1u);
  // The query was not kept (dnstap was off for queries when it was logged).
  QueryEvent no_query = Event();
  no_query.query_size = 0;
  EXPECT_EQ(encode_dnstap(no_query, Options(), {}).size(), 1u);
  // Nothing was sent back: the event holds the query, the only message.
  QueryEvent dropped;
  dropped.set_message(Wire("x.example.", false), false);
  const auto frames = encode_dnstap(dropped, Options(), {});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(Unpacked(frames[0]).d->message->type, DNSTAP__MESSAGE__TYPE__CLIENT_QUERY);
  // A response cut to fit the event is not passed off as whole.
  QueryEvent cut = Event(/*tcp=*/true);
  cut.message_full_size = static_cast<std::uint16_t>(cut.message_size + 100);
  EXPECT_EQ(encode_dnstap(cut, Options(), {}).size(), 1u);
}

TEST(DnstapTest, WithoutACollectorFramesAreDroppedAndCounted) {
  DnstapOptions o = Options();
  o.socket = "/nonexistent/dnstap.sock";
  DnstapWriter w(o);
  w.write(Event(), {});
  EXPECT_FALSE(w.connected());
  EXPECT_EQ(w.stats().dropped_no_collector, 2u);
  EXPECT_EQ(w.stats().written, 0u);
}

TEST(DnstapTest, ASocketPathTooLongIsAClearError) {
  DnstapOptions o = Options();
  o.socket = "/" + std::string(200, 'x');
  EXPECT_THROW(DnstapWriter w(o), std::runtime_error);
}

}  // namespace
}  // namespace vigil::monitor
