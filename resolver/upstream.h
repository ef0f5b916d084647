// The engine's only way to the network: one query to one server, one
// verified reply or a reason there is none. vigild uses AsioTransport;
// tests play the authoritative servers through a scripted implementation,
// as PowerDNS Recursor's tests do.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cache/infra_cache.h"

namespace vigil::resolver {

using cache::ServerAddress;

struct UpstreamRequest {
  ServerAddress server;
  // The query as it goes out: its ID and the question (with the 0x20 letter
  // case the engine chose) are what a reply must echo.
  std::span<const std::uint8_t> query;
  bool tcp = false;
  std::chrono::milliseconds timeout{1000};
  // The largest UDP reply the query allows (its EDNS payload, or 512): the
  // receive buffer is this size, and a larger datagram is `oversized`.
  std::uint16_t max_udp_reply = 65535;
};

enum class UpstreamStatus : std::uint8_t {
  kOk,            // `message` is a reply matching the query
  kTimeout,       // nothing matching arrived in time
  kNetworkError,  // the send or the connection failed
  kNotAllowed,    // the address is in resolver.do_not_query, or its family is off
  kNoSocket,      // the upstream socket budget (below RLIMIT_NOFILE) is spent: nothing was sent
};
std::string_view upstream_status_name(UpstreamStatus s);

struct UpstreamReply {
  UpstreamStatus status = UpstreamStatus::kTimeout;
  std::vector<std::uint8_t> message;
  std::chrono::microseconds rtt{0};
  // The reply's question has the query's exact letter case (0x20); false
  // means it matched only case-insensitively.
  bool case_matched = true;
  // Datagrams that arrived on the query's socket but did not match it
  // (wrong ID, wrong question, not a response, malformed): ignored, counted.
  unsigned mismatched = 0;
  // A UDP reply larger than the query allowed (max_udp_reply): cut, to be
  // asked again over TCP like a truncated one.
  bool oversized = false;
};

class UpstreamTransport {
 public:
  virtual ~UpstreamTransport() = default;
  virtual boost::asio::awaitable<UpstreamReply> exchange(UpstreamRequest request) = 0;
};

// Whether `reply` answers `query`: a response (QR=1) with the same ID and
// the same question (name compared case-insensitively; `case_matched`
// tells whether the letter case was echoed too).
bool reply_matches(std::span<const std::uint8_t> query, std::span<const std::uint8_t> reply,
                   bool& case_matched);

}  // namespace vigil::resolver
