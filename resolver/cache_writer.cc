#include "resolver/cache_writer.h"

#include "protocol/rdata.h"
#include "protocol/rrset.h"
#include "resolver/scrub.h"

namespace vigil::resolver {

using dns::Message;
using dns::Name;
using dns::RRClass;
using dns::RRType;

namespace {

bool taken(cache::InsertResult r) {
  return r == cache::InsertResult::kInserted || r == cache::InsertResult::kReplaced;
}

void learn_alias(Learned& learned, const std::vector<std::vector<std::uint8_t>>& rdatas) {
  if (rdatas.empty()) return;
  learned.alias = dns::rdata_target_name(RRType::CNAME, rdatas[0]);
  learned.alias_invalid = !learned.alias;
}

}  // namespace

// What the cache holds for (name, type) when it refused what the reply
// said (a higher rank is cached): the driver goes on from that, as a
// client would be answered from it.
std::vector<std::vector<std::uint8_t>> CacheWriter::held(const Name& name, RRType type) {
  auto c = cache_.lookup(name, type, RRClass::IN, clock_.wall());
  return c.positive ? c.positive->rrset.rdatas : std::vector<std::vector<std::uint8_t>>{};
}

Learned CacheWriter::write(const Message& m, ReplyKind kind, const Name& zone, const Name& name,
                           RRType type) {
  const auto now = clock_.wall();
  Learned learned;
  switch (kind) {
    case ReplyKind::kAnswer:
    case ReplyKind::kCname: {
      const cache::Rank rank = m.header.aa ? cache::Rank::kAuthAnswer : cache::Rank::kNonAuthAnswer;
      const dns::ResourceRecord* dname = dname_for(m, zone, name);
      bool type_at_name = false;
      for (const auto& set : dns::group_rrsets(m.answer)) {
        // Under a DNAME the CNAME is synthesised here, not taken from the server.
        if (dname != nullptr && set.type == RRType::CNAME && set.name == name) continue;
        if (!in_bailiwick(set.name, zone)) continue;  // the answer section is not scrubbed: see scrub.h
        const bool stored = taken(cache_.insert(set, rank, now));
        if (set.name != name) continue;
        if (set.type == type) {
          type_at_name = true;
          learned.rdatas = stored ? set.rdatas : held(name, type);
        } else if (set.type == RRType::CNAME) {
          learn_alias(learned, stored ? set.rdatas : held(name, RRType::CNAME));
        }
      }
      if (dname != nullptr) {
        auto dtarget = dns::rdata_target_name(RRType::DNAME, dname->rdata);
        auto target = dtarget ? name.replace_suffix(dname->name, *dtarget)
                              : dns::Expected<Name>(dns::Error::kNameTooLong);
        if (target.ok()) {
          dns::RRset cname{name, RRType::CNAME, RRClass::IN, dname->ttl, {dns::make_name_rdata(*target)}};
          learn_alias(learned,
                      taken(cache_.insert(cname, rank, now)) ? cname.rdatas : held(name, RRType::CNAME));
        }
      }
      // An alias is followed only when the name has no RRset of the type
      // asked: a CNAME answer, or a meta QTYPE (MAILB ...) answered by the
      // CNAME alone. A DNAME above a name that has the data is not.
      if (type_at_name || type == RRType::CNAME) {
        learned.alias.reset();
        learned.alias_invalid = false;
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
    case ReplyKind::kNoData: {
      if (const auto* soa = soa_of(m);
          soa != nullptr && name.is_subdomain_of(soa->name) && in_bailiwick(soa->name, zone)) {
        const auto negative =
            kind == ReplyKind::kNxDomain ? cache::NegativeKind::kNxDomain : cache::NegativeKind::kNoData;
        cache_.insert_negative(name, type, RRClass::IN, negative, *soa, cache::Rank::kAuthAuthority, now);
      }
      // Whether the cache answers it now: this entry, or one it holds
      // already (a refresh that got no SOA), and not one it refused or
      // that expired at once outside the stale window.
      if (auto held_negative = cache_.lookup(name, type, RRClass::IN, now).negative)
        learned.negative_cached = held_negative->kind;
      break;
    }
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
