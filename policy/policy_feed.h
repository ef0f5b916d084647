// One threat feed, parsed into an immutable index: which rule does this
// query name, or this address in an answer, trigger? Three formats:
//
//   rpz      a Response Policy Zone, the zone-file format BIND, Unbound,
//            Knot and PowerDNS share. Owners below the zone's apex are
//            triggers:
//              bad.example.rpz.        QNAME bad.example exactly
//              *.bad.example.rpz.      QNAME below bad.example, found as a
//                                      zone lookup finds a wildcard: at the
//                                      name's closest encloser in the policy
//                                      zone (an empty non-terminal stops it)
//              24.0.2.0.192.rpz-ip.rpz.        an A in the answer within
//              48.zz.db8.2001.rpz-ip.rpz.      192.0.2.0/24, an AAAA within
//                                              2001:db8::/48 (longest wins)
//            and their records the action:
//              CNAME .              NXDOMAIN
//              CNAME *.             NODATA
//              CNAME rpz-passthru.  answer normally, stop looking
//              CNAME rpz-drop.      no response at all
//              CNAME rpz-tcp-only.  over UDP an empty truncated answer
//              anything else        local data: the records of the query's
//                                   type, a CNAME to redirect (a target
//                                   "*.suffix." becomes "<qname>.suffix."),
//                                   or NODATA
//            rpz-nsdname, rpz-nsip and rpz-client-ip triggers are counted
//            and skipped (not supported).
//   hosts    /etc/hosts lines "ADDRESS NAME...": a name on 0.0.0.0, ::,
//            127.0.0.1 or ::1 is blocked with the feed's action, a name on
//            another address answers it (local data); exact names only.
//   domains  one domain per line: the domain and every name below it get
//            the feed's action.
// '#' starts a comment in hosts and domain lists.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/name_table.h"
#include "policy/policy_types.h"
#include "protocol/message.h"
#include "protocol/name.h"
#include "protocol/result.h"
#include "protocol/rrset.h"

namespace vigil::policy {

// "nxdomain", "nodata", "passthru", "drop", "tcp-only", "local-data"
std::string_view policy_action_name(PolicyAction a);
std::optional<PolicyAction> policy_action_from_name(std::string_view name);

std::string_view feed_format_name(FeedFormat f);
std::optional<FeedFormat> feed_format_from_name(std::string_view name);

struct PolicyRule {
  PolicyAction action = PolicyAction::kNxDomain;
  std::vector<dns::RRset> data;  // kLocalData: by type; the owner is not used
};

struct FeedError {
  std::size_t line = 0;  // 1-based; 0 when not tied to a line
  std::string message;
};

struct FeedOptions {
  FeedFormat format = FeedFormat::kRpz;
  dns::Name zone;                                      // rpz: the apex; root = the SOA's owner
  PolicyAction list_action = PolicyAction::kNxDomain;  // hosts, domains
  std::size_t max_rules = 0;                           // 0 = kMaxPolicyRules
};

// What a name or an address triggered in one feed.
struct FeedMatch {
  const PolicyRule* rule = nullptr;
  bool wildcard = false;
  std::uint8_t labels = 0;  // the trigger name: the query name's last `labels` labels (+ "*." if wildcard)
  std::uint8_t prefix = 0;  // response-IP: prefix length (of 32 or 128), address in `address`
  std::array<std::uint8_t, 16> address{};
  std::uint8_t address_length = 0;  // 0: a name trigger; 4 or 16: an address trigger
  // "*.bad.example." / "bad.example." / "192.0.2.0/24" / "2001:db8::/48"
  std::string trigger_text(const dns::Name& qname) const;
};

// A name's suffixes (the name from each label on, down to the root) and
// their hashes, worked out once for every feed a name is looked up in.
struct NameSuffixes {
  explicit NameSuffixes(const dns::Name& name);
  std::array<std::uint64_t, 128> hashes{};
  std::array<std::uint8_t, 128> offsets{};
  std::size_t count = 0;  // labels + 1
};

class PolicyFeed {
 public:
  static dns::Expected<std::shared_ptr<const PolicyFeed>, FeedError> parse(std::string_view text,
                                                                           const FeedOptions& options);

  // `suffixes` must be qname's.
  std::optional<FeedMatch> match_name(const dns::Name& qname, const NameSuffixes& suffixes) const;
  std::optional<FeedMatch> match_name(const dns::Name& qname) const {
    return match_name(qname, NameSuffixes(qname));
  }
  // `address`: 4 (A) or 16 (AAAA) octets; the longest matching prefix.
  std::optional<FeedMatch> match_address(std::span<const std::uint8_t> address) const;

  std::size_t name_triggers() const { return name_triggers_; }
  std::size_t address_triggers() const { return address_triggers_; }
  bool has_address_triggers() const { return address_triggers_ > 0; }
  std::size_t skipped() const { return skipped_; }  // unsupported RPZ triggers
  std::uint32_t serial() const { return soa_ ? soa_serial_ : 0; }
  // The RPZ's SOA, TTL already min(TTL, MINIMUM): added to rewritten
  // answers, as BIND's add-soa does.
  const std::optional<dns::ResourceRecord>& soa() const { return soa_; }
  std::size_t memory_bytes() const;

 private:
  struct Node {
    std::uint32_t exact = kNone;     // rule of the name itself
    std::uint32_t wildcard = kNone;  // rule of "*." + the name
  };
  struct IpEntry {
    std::array<std::uint8_t, 16> address;  // IPv4 as ::ffff:a.b.c.d, masked
    std::uint32_t rule;
    bool operator<(const IpEntry& o) const { return address < o.address; }
  };
  static constexpr std::uint32_t kNone = 0xFFFFFFFF;
  friend class FeedBuilder;

  bool zone_semantics_ = true;  // rpz: the closest existing node decides; lists: the closest rule
  NameTable names_;             // value: index into nodes_
  std::vector<Node> nodes_;
  std::vector<PolicyRule> rules_;
  std::array<std::vector<IpEntry>, 129> by_prefix_;  // by prefix length over the 128-bit form
  std::vector<std::uint8_t> prefixes_;               // the lengths in use, longest first
  std::size_t name_triggers_ = 0;
  std::size_t address_triggers_ = 0;
  std::size_t skipped_ = 0;
  std::optional<dns::ResourceRecord> soa_;
  std::uint32_t soa_serial_ = 0;
};

}  // namespace vigil::policy
