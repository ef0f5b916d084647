// RRsets (RFC 2181 §5): records sharing owner, type and class, with one TTL.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "protocol/message.h"
#include "protocol/name.h"
#include "protocol/types.h"

namespace vigil::dns {

struct RRset {
  Name name;
  RRType type = RRType::A;
  RRClass rclass = RRClass::IN;
  std::uint32_t ttl = 0;
  std::vector<std::vector<std::uint8_t>> rdatas;

  std::vector<ResourceRecord> to_records() const;
};

// Groups records into RRsets in order of first appearance. Records of one
// RRset with different TTLs get the smallest (RFC 2181 §5.2 says such sets
// are invalid; taking the minimum is the safe reading); duplicate RDATA is
// dropped (RFC 2181 §5).
std::vector<RRset> group_rrsets(std::span<const ResourceRecord> records);

}  // namespace vigil::dns
