#include "protocol/rrset.h"

#include <algorithm>

namespace vigil::dns {

std::vector<ResourceRecord> RRset::to_records() const {
  std::vector<ResourceRecord> out;
  out.reserve(rdatas.size());
  for (const auto& rd : rdatas) out.push_back({name, type, rclass, ttl, rd});
  return out;
}

std::vector<RRset> group_rrsets(std::span<const ResourceRecord> records) {
  std::vector<RRset> sets;
  for (const ResourceRecord& rr : records) {
    auto it = std::find_if(sets.begin(), sets.end(), [&](const RRset& s) {
      return s.type == rr.type && s.rclass == rr.rclass && s.name == rr.name;
    });
    if (it == sets.end()) {
      sets.push_back({rr.name, rr.type, rr.rclass, rr.ttl, {rr.rdata}});
      continue;
    }
    it->ttl = std::min(it->ttl, rr.ttl);
    if (std::find(it->rdatas.begin(), it->rdatas.end(), rr.rdata) == it->rdatas.end()) {
      it->rdatas.push_back(rr.rdata);
    }
  }
  return sets;
}

}  // namespace vigil::dns
