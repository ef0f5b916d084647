// A blocking DNS client for tests and tools (never for vigild itself, which
// is asynchronous): sends one query over UDP or TCP and returns the reply.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil::testing {

struct Endpoint {
  std::string address;  // IPv4 or IPv6 literal
  std::uint16_t port = 53;
};

// Sends `query` and waits up to `timeout` for a reply whose ID matches.
// Returns nullopt on timeout or socket error.
std::optional<std::vector<std::uint8_t>> udp_exchange(
    const Endpoint& server, const std::vector<std::uint8_t>& query,
    std::chrono::milliseconds timeout = std::chrono::seconds(2));
// Same over TCP with the two-octet length prefix (RFC 7766).
std::optional<std::vector<std::uint8_t>> tcp_exchange(
    const Endpoint& server, const std::vector<std::uint8_t>& query,
    std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace vigil::testing
