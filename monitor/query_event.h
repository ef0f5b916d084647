// One client query as the listeners saw it, captured on the query path for
// the query log: fixed-size, no allocation (the message octets are copied
// into the slot), so capturing costs a copy and nothing else. The writer
// thread turns it into a log line later (query_log_format.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::monitor {

enum class CacheStatus : std::uint8_t {
  kNone,   // never got that far (dropped, refused, malformed)
  kHit,    // answered from the cache
  kMiss,   // resolved upstream for this query
  kStale,  // served stale after a failed resolution
  kLocal,  // local zones / data, CHAOS
};
inline constexpr std::size_t kCacheStatusCount = 5;

inline const char* cache_status_name(CacheStatus c) {
  switch (c) {
    case CacheStatus::kNone: return "none";
    case CacheStatus::kHit: return "hit";
    case CacheStatus::kMiss: return "miss";
    case CacheStatus::kStale: return "stale";
    case CacheStatus::kLocal: return "local";
  }
  return "none";
}

// The threat-feed rule a query met (server/query_handler.h PolicyNote),
// copied into the event: the feed's name and the trigger as text.
struct PolicyEvent {
  static constexpr std::size_t kMaxFeed = 64;
  static constexpr std::size_t kMaxTrigger = 320;
  bool hit = false;
  bool enforced = false;    // false: a log-only feed's
  bool address = false;     // a response-IP trigger
  std::uint8_t action = 0;  // policy::PolicyAction
  std::uint8_t feed_size = 0;
  std::uint16_t trigger_size = 0;
  std::array<char, kMaxFeed> feed{};
  std::array<char, kMaxTrigger> trigger{};
  std::string_view feed_name() const { return {feed.data(), feed_size}; }
  std::string_view trigger_text() const { return {trigger.data(), trigger_size}; }
  void set(std::string_view f, std::string_view t) {
    feed_size = static_cast<std::uint8_t>(f.size() < kMaxFeed ? f.size() : kMaxFeed);
    for (std::size_t i = 0; i < feed_size; ++i) feed[i] = f[i];
    trigger_size = static_cast<std::uint16_t>(t.size() < kMaxTrigger ? t.size() : kMaxTrigger);
    for (std::size_t i = 0; i < trigger_size; ++i) trigger[i] = t[i];
  }
};

struct QueryEvent {
  // What fits inline: every UDP answer up to the EDNS default payload.
  // Longer messages (TCP) keep their first kMaxMessage octets and the log
  // line says the answers were cut.
  static constexpr std::size_t kMaxMessage = 1232;

  std::int64_t time_ns = 0;  // arrival, Unix time in nanoseconds
  std::uint32_t duration_us = 0;
  std::array<std::uint8_t, 16> client{};
  std::array<std::uint8_t, 16> server{};
  std::uint16_t client_port = 0;
  std::uint16_t server_port = 0;
  std::uint8_t client_len = 4;  // 4 or 16
  std::uint8_t server_len = 4;
  bool tcp = false;
  bool is_response = false;  // `message` is the response (else the query: nothing was sent)
  CacheStatus cache = CacheStatus::kNone;
  const char* outcome = "";  // why it got this response (server::outcome_name; static storage)
  std::uint16_t upstream_queries = 0;
  PolicyEvent policy;
  std::uint16_t message_size = 0;       // octets held in `message`
  std::uint16_t message_full_size = 0;  // octets of the whole message
  std::array<std::uint8_t, kMaxMessage> message{};
  // The query too, when `message` is the response and dnstap logs client
  // queries (QueryLog::wants_queries); larger queries are not kept.
  static constexpr std::size_t kMaxQuery = 512;
  std::uint16_t query_size = 0;
  std::array<std::uint8_t, kMaxQuery> query{};

  void set_message(std::span<const std::uint8_t> m, bool response) {
    is_response = response;
    message_full_size = static_cast<std::uint16_t>(m.size() > 0xFFFF ? 0xFFFF : m.size());
    message_size = static_cast<std::uint16_t>(m.size() < kMaxMessage ? m.size() : kMaxMessage);
    for (std::size_t i = 0; i < message_size; ++i) message[i] = m[i];
  }
  void set_query(std::span<const std::uint8_t> q) {
    query_size = static_cast<std::uint16_t>(q.size() <= kMaxQuery ? q.size() : 0);
    for (std::size_t i = 0; i < query_size; ++i) query[i] = q[i];
  }
  std::span<const std::uint8_t> message_octets() const { return {message.data(), message_size}; }
  std::span<const std::uint8_t> query_octets() const { return {query.data(), query_size}; }
};

}  // namespace vigil::monitor
