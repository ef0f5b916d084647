#include "resolver/scrub.h"

#include <algorithm>

#include "protocol/rdata.h"

namespace vigil::resolver {

using dns::RRType;

namespace {

void lowercase(dns::ResourceRecord& rr) {
  rr.name = rr.name.lowercased();
  if (rr.type == RRType::CNAME || rr.type == RRType::DNAME || rr.type == RRType::NS ||
      rr.type == RRType::PTR) {
    if (auto target = dns::rdata_target_name(rr.type, rr.rdata))
      rr.rdata = dns::make_name_rdata(target->lowercased());
  }
}

template <class Drop>
unsigned drop_if(std::vector<dns::ResourceRecord>& section, Drop drop) {
  const auto end = std::remove_if(section.begin(), section.end(), drop);
  const auto n = static_cast<unsigned>(section.end() - end);
  section.erase(end, section.end());
  return n;
}

}  // namespace

ScrubCounts scrub(dns::Message& m, const dns::Name& bailiwick) {
  for (auto* section : {&m.answer, &m.authority, &m.additional}) {
    for (auto& rr : *section) lowercase(rr);
  }
  ScrubCounts c;
  auto outside = [&](const dns::ResourceRecord& rr) { return !in_bailiwick(rr.name, bailiwick); };
  c.dropped += drop_if(m.authority,
                       [&](const dns::ResourceRecord& rr) { return rr.type == RRType::NS && outside(rr); });
  c.dropped += drop_if(m.additional, outside);
  return c;
}

}  // namespace vigil::resolver
