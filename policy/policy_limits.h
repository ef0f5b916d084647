// Every limit of the policy feeds (threat feeds, RPZ) in one place.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::policy {

// Feeds in one configuration; their order is their precedence.
inline constexpr std::size_t kMaxPolicyFeeds = 32;
// Triggers (names and prefixes) in one feed unless it says otherwise
// (policy.feeds[].max_rules): 10 million fit in about 1 GB.
inline constexpr std::size_t kMaxPolicyRules = 10'000'000;
// The largest feed file read (policy.feeds[].max_size overrides).
inline constexpr std::uint64_t kMaxFeedBytes = 1ULL << 30;
// The TTL of policy records written without one ($TTL missing).
inline constexpr std::uint32_t kDefaultFeedTtl = 3600;
// The TTL of a hosts file's local data (before policy.max_ttl caps it).
inline constexpr std::uint32_t kHostsTtl = 3600;
// The longest TTL a rewritten answer carries: BIND's max-policy-ttl default.
inline constexpr std::uint32_t kDefaultMaxPolicyTtl = 5;
// How often feed files are checked for changes (policy.check_interval).
inline constexpr std::uint32_t kDefaultFeedCheckSeconds = 5;
// Records of local data one trigger may carry: an answer must fit in a
// TCP message (64 KiB holds about 4 000 A records), and an RPZ with 100 000
// records at one owner is a mistake or an attack on the parser.
inline constexpr std::size_t kMaxPolicyRecordsPerTrigger = 1024;
// A CNAME chain longer than this is not checked for policy past its end.
inline constexpr std::size_t kMaxPolicyChain = 16;

}  // namespace vigil::policy
