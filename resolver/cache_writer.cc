#include "resolver/cache_writer.h"

#include "protocol/rdata.h"
#include "protocol/rrset.h"
#include "resolver/scrub.h"

namespace vigil::resolver {

using dns::Message;
using dns::Name;
using dns::RRClass;
using dns::RRType;

Learned CacheWriter::write(const Message& m, ReplyKind kind, const Name& zone, const Name& name,
                           RRType type) {
  const auto now = clock_.wall();
  Learned learned;
  switch (kind) {
    case ReplyKind::kAnswer:
    case ReplyKind::kCname: {
      const cache::Rank rank = m.header.aa ? cache::Rank::kAuthAnswer : cache::Rank::kNonAuthAnswer;
      const dns::ResourceRecord* dname = dname_for(m, zone, name);
      for (const auto& set : dns::group_rrsets(m.answer)) {
        // Under a DNAME the CNAME is synthesised here, not taken from the server.
        if (dname != nullptr && set.type == RRType::CNAME && set.name == name) continue;
        cache_.insert(set, rank, now);
        if (set.name != name) continue;
        if (kind == ReplyKind::kAnswer && set.type == type) learned.rdatas = set.rdatas;
        if (kind == ReplyKind::kCname && set.type == RRType::CNAME && !set.rdatas.empty()) {
          learned.alias = dns::rdata_target_name(RRType::CNAME, set.rdatas[0]);
          learned.alias_invalid = !learned.alias;
        }
      }
      if (dname != nullptr) {
        auto dtarget = dns::rdata_target_name(RRType::DNAME, dname->rdata);
        auto target = dtarget ? name.replace_suffix(dname->name, *dtarget)
                              : dns::Expected<Name>(dns::Error::kNameTooLong);
        if (target.ok()) {
          dns::RRset cname{name, RRType::CNAME, RRClass::IN, dname->ttl, {dns::make_name_rdata(*target)}};
          cache_.insert(cname, rank, now);
          learned.alias = *target;
        }
      }
      if (kind == ReplyKind::kAnswer && type == RRType::NS) {
        // The NS names' addresses (priming, RFC 8109 §3.3).
        for (const auto& set : dns::group_rrsets(m.additional)) {
          if (set.type == RRType::A || set.type == RRType::AAAA)
            cache_.insert(set, cache::Rank::kAdditional, now);
        }
      }
      break;
    }
    case ReplyKind::kNxDomain:
    case ReplyKind::kNoData:
      if (const auto* soa = soa_of(m);
          soa != nullptr && name.is_subdomain_of(soa->name) && in_bailiwick(soa->name, zone)) {
        const auto negative =
            kind == ReplyKind::kNxDomain ? cache::NegativeKind::kNxDomain : cache::NegativeKind::kNoData;
        cache_.insert_negative(name, type, RRClass::IN, negative, *soa, cache::Rank::kAuthAuthority, now);
        // Whether the cache answers it now (the entry may have been
        // refused, or be expired at once and outside the stale window).
        if (cache_.lookup(name, type, RRClass::IN, now).negative) learned.negative_cached = negative;
      }
      break;
    case ReplyKind::kReferral: {
      for (const auto& set : dns::group_rrsets(m.authority)) {
        if (set.type == RRType::NS && set.name != zone)
          cache_.insert(set, cache::Rank::kNonAuthAuthority, now);
      }
      for (const auto& set : dns::group_rrsets(m.additional)) {
        // Glue: the address of a name server the referral names, at glue rank.
        if (set.type != RRType::A && set.type != RRType::AAAA) continue;
        bool named = false;
        for (const auto& ns : m.authority) {
          if (ns.type != RRType::NS || ns.name == zone) continue;
          auto target = dns::rdata_target_name(RRType::NS, ns.rdata);
          named = named || (target && *target == set.name);
        }
        if (named) cache_.insert(set, cache::Rank::kAdditional, now);
      }
      break;
    }
    case ReplyKind::kLame:
    case ReplyKind::kServerFailure: break;
  }
  return learned;
}

}  // namespace vigil::resolver
