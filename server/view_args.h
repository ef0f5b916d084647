// The arguments of vigilctl's intent views (alerts, client, who-resolved,
// top), built by vigilctl and read by vigild with the same code, so that
// neither reinterprets the other: options travel by name ("n=5",
// "since=10m"), a bare word where an option is due is an error, never a
// different option ("top domains --since 10" once meant "top 10, all time").
//
//   request = view_request("top", "domains", 5, "10m");  // vigilctl
//   auto v = parse_view_args(request);                   // vigild (and vigilctl, to check first)
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vigil::server {

struct ViewArgs {
  std::string cmd;                                 // alerts | client | who-resolved | top
  std::vector<std::uint8_t> ip;                    // client, who-resolved: 4 or 16 octets
  std::string kind;                                // top: domains | clients | nxdomain | blocked
  std::size_t n = 10;                              // top: how many (1 – 10 000)
  std::optional<std::chrono::milliseconds> since;  // only the last DURATION
};

inline constexpr std::size_t kMaxTopN = 10000;

// {cmd, positional (when not empty), "n=N" (when given), "since=D" (when not empty)}.
std::vector<std::string> view_request(const std::string& cmd, const std::string& positional,
                                      std::optional<std::size_t> n, const std::string& since);

// The request read back, or what is wrong with it (a message for the user).
std::variant<ViewArgs, std::string> parse_view_args(const std::vector<std::string>& args);

}  // namespace vigil::server
