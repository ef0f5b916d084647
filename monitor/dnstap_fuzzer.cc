// libFuzzer target: dnstap frames from arbitrary event fields and message
// octets. Every frame must decode again as a Dnstap message carrying the
// octets it was given, whatever they hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "dnstap.pb-c.h"
#include "monitor/dnstap.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil::monitor;
  if (size < 8) return 0;
  QueryEvent e;
  // The first octets pick the fields; the rest is the message.
  e.client_len = (data[0] & 1) != 0 ? 16 : 4;
  e.server_len = (data[0] & 2) != 0 ? 16 : 4;
  e.tcp = (data[0] & 4) != 0;
  const bool response = (data[0] & 8) != 0;
  e.client_port = static_cast<std::uint16_t>(data[1] << 8 | data[2]);
  e.duration_us = static_cast<std::uint32_t>(data[3]) << 16;
  e.time_ns = static_cast<std::int64_t>(data[4]) << 56 | data[5];
  std::memcpy(e.client.data(), data, 8);
  const std::span<const std::uint8_t> message(data + 8, size - 8);
  e.set_message(message, response);
  if (response) e.set_query(message.first(message.size() / 2));
  DnstapOptions o;
  o.identity = "fuzz";
  const ClientPrivacy privacy(static_cast<ClientIpMode>(data[6] % 3), "fuzzing-secret-0123");
  for (const auto& frame : encode_dnstap(e, o, privacy)) {
    Dnstap__Dnstap* d = dnstap__dnstap__unpack(nullptr, frame.size(), frame.data());
    if (d == nullptr || d->message == nullptr) std::abort();
    const Dnstap__Message* m = d->message;
    const ProtobufCBinaryData& got = m->has_response_message ? m->response_message : m->query_message;
    const auto want = m->has_response_message ? e.message_octets()
                      : response              ? e.query_octets()
                                              : e.message_octets();
    if (got.len != want.size() || (got.len > 0 && std::memcmp(got.data, want.data(), got.len) != 0))
      std::abort();
    dnstap__dnstap__free_unpacked(d, nullptr);
  }
  return 0;
}
