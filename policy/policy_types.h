// The threat feeds' vocabulary: what a feed's rule does, the format of its
// file and whether it is enforced. A leaf header: config/config.h names
// these enums without pulling in the feeds' index (policy_feed.h,
// name_table.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::policy {

enum class PolicyAction : std::uint8_t { kNxDomain, kNoData, kPassthru, kDrop, kTcpOnly, kLocalData };
inline constexpr std::size_t kPolicyActionCount = 6;

enum class FeedFormat : std::uint8_t { kRpz, kHosts, kDomains };

enum class FeedMode : std::uint8_t { kEnforce, kLog };

}  // namespace vigil::policy
