// Local zones and local data, as Unbound has them: names the resolver
// answers itself (or refuses, or ignores) before the cache or the engine see
// the query.
//
//   static       answer from local data; otherwise NXDOMAIN / NODATA
//   transparent  answer from local data where the name has some; else resolve
//   refuse       local data where present; otherwise REFUSED
//   deny         local data where present; otherwise silence
//   redirect     every name at or below the zone gets the apex's data
//   nodefault    (config only) removes a built-in zone of the same name
//
// Built in, as RFC 6761, RFC 6303 and Unbound do: `localhost.` and the
// loopback reverse zones answer locally; `invalid.`, `onion.`, `home.arpa.`,
// `resolver.arpa.` and the private-use, link-local, documentation and
// shared-address reverse zones answer NXDOMAIN. `test.` is deliberately not
// built in (test labs, this project's included, delegate under it).
//
// Records in local_data outside any zone behave as a transparent zone at
// their owner name. A and AAAA records get matching PTR records
// (local_data_ptr), unless a PTR for that address is configured.
//
// The structure is immutable after build(): a reload builds a new one.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "protocol/message.h"
#include "protocol/name.h"
#include "protocol/result.h"
#include "protocol/rrset.h"

namespace vigil::server {

enum class LocalKind : std::uint8_t {
  kNone,      // not local: go on to the cache and the resolver
  kAnswer,    // answer with `rrset` (owner = the query name)
  kNxDomain,  // NXDOMAIN, `soa` (if any) in the authority section
  kNoData,    // NOERROR without answers, `soa` (if any) in authority
  kRefuse,    // REFUSED
  kDeny,      // no response
};

struct LocalAnswer {
  LocalKind kind = LocalKind::kNone;
  const dns::RRset* rrset = nullptr;
  const dns::ResourceRecord* soa = nullptr;  // TTL already min(TTL, MINIMUM) (RFC 2308 §3)
};

class LocalZones {
 public:
  // The built-in zones merged with the configuration's. Errors name the
  // configuration file and the line of the offending entry.
  static dns::Expected<LocalZones, config::ConfigError> build(const config::Config& cfg,
                                                              const std::string& file = "<config>");

  // `qtype` ANY answers with one RRset of the name (RFC 8482).
  LocalAnswer lookup(const dns::Name& qname, dns::RRType qtype) const;

  std::size_t zone_count() const { return zones_.size(); }
  std::size_t rrset_count() const;

 private:
  struct Zone {
    dns::Name apex;
    config::LocalZoneType type = config::LocalZoneType::kStatic;
    std::vector<dns::ResourceRecord> soa;  // zero or one record
  };
  struct Node {
    std::vector<dns::RRset> rrsets;  // empty: an empty non-terminal
  };

  const Zone* closest_zone(const dns::Name& qname) const;
  LocalAnswer from_node(const Node& node, dns::RRType qtype, const Zone* zone) const;

  std::unordered_map<dns::Name, Zone> zones_;
  std::unordered_map<dns::Name, Node> nodes_;
  // The last label of every zone apex and data owner: a query whose top
  // label is not here is not local, found with one probe.
  std::unordered_set<dns::Name> tops_;
  bool root_is_local_ = false;
};

}  // namespace vigil::server
