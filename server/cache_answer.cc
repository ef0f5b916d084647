#include "server/cache_answer.h"

#include <algorithm>
#include <string>

#include "protocol/rdata.h"

namespace vigil::server {

using dns::Error;
using dns::Name;
using dns::Rcode;
using dns::RRClass;
using dns::RRType;
using dns::Section;

namespace {

// RFC 8482 §4.1: an ANY query gets one RRset the resolver already has; the
// types a client most likely wants come first.
constexpr RRType kAnyOrder[] = {RRType::A,    RRType::AAAA, RRType::CNAME, RRType::MX,   RRType::TXT,
                                RRType::NS,   RRType::SOA,  RRType::PTR,   RRType::SRV,  RRType::HTTPS,
                                RRType::SVCB, RRType::CAA,  RRType::DNAME, RRType::HINFO};

Rcode rcode_of(const cache::CachedNegative& neg) {
  return neg.kind == cache::NegativeKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError;
}

}  // namespace

bool Chain::stale() const {
  bool s = (positive && positive->stale) || (negative && negative->stale);
  for (const auto& l : links) s = s || l.stale;
  return s;
}

HandleResult CacheAnswers::answer(AnswerContext& c) const {
  if (c.qtype == RRType::ANY) return any(c);
  if (auto hit = direct_hit(c)) return *hit;
  // Otherwise: follow cached CNAMEs (the client gets the whole chain), then
  // the answer or the negative answer at the chain's end.
  const Chain found = follow(c.qname, c.qtype, c);
  if (found.positive || found.negative) return chain(c, found);
  if (c.resolve_on_miss) return c.needs_resolution(c.qname, c.qtype);
  return servfail(c, found.links);
}

std::optional<HandleResult> CacheAnswers::direct_hit(AnswerContext& c) const {
  HandleResult hit;
  if (!cache_.visit(c.qname, c.qtype, RRClass::IN, c.now, {}, [&](const cache::RRsetView& set) {
        c.start();
        c.resp.answer(c.qname, set.type(), set.rclass(), set.ttl(),
                      [&](auto add) { set.for_each_rdata(add); });
        hit = c.resp.finish(Rcode::kNoError, Outcome::kAnswered);
      })) {
    return std::nullopt;
  }
  return hit;
}

HandleResult CacheAnswers::any(AnswerContext& c) const {
  for (RRType t : kAnyOrder) {
    cache::CacheAnswer cached = cache_.lookup(c.qname, t, RRClass::IN, c.now);
    if (cached.positive) {
      c.start();
      c.resp.answer(c.qname, cached.positive->rrset);
      return c.resp.finish(Rcode::kNoError, Outcome::kAnswered);
    }
    if (cached.negative && cached.negative->kind == cache::NegativeKind::kNxDomain) {
      const auto& neg = *cached.negative;
      c.start();
      c.resp.authority_soa(neg.soa.name, neg.soa.rclass, neg.soa.ttl, neg.soa.rdata);
      return c.resp.finish(Rcode::kNXDomain, Outcome::kNegative);
    }
  }
  if (c.resolve_on_miss) return c.needs_resolution(c.qname, c.qtype);
  // RFC 8482 §4.2: a synthesised HINFO says "ANY is not answered in full".
  c.start();
  static const std::vector<std::string> kHinfo = {"RFC8482", ""};
  static const std::vector<std::uint8_t> kHinfoRdata = dns::make_txt_rdata(kHinfo);
  (void)c.resp.builder().add_record(Section::kAnswer, c.qname, RRType::HINFO, RRClass::IN, 3600, kHinfoRdata);
  return c.resp.finish(Rcode::kNoError, Outcome::kAnyMinimal);
}

Chain CacheAnswers::follow(const Name& start, RRType qtype, const AnswerContext& c,
                           const std::function<bool(const Name&)>& stop) const {
  Chain out;
  Name current = start;
  for (unsigned links = 0; links <= max_links_; ++links) {
    cache::CacheAnswer found = cache_.lookup(current, qtype, RRClass::IN, c.now, c.lookup);
    if (found.positive) {
      out.positive = std::move(found.positive);
      break;
    }
    if (found.negative) {
      out.negative = std::move(found.negative);
      break;
    }
    if (qtype == RRType::CNAME) break;
    cache::CacheAnswer alias = cache_.lookup(current, RRType::CNAME, RRClass::IN, c.now, c.lookup);
    if (!alias.positive || alias.positive->rrset.rdatas.empty()) break;
    auto target = dns::rdata_target_name(RRType::CNAME, alias.positive->rrset.rdatas[0]);
    if (!target) break;
    // A CNAME synthesised from a DNAME above the name goes out after its
    // DNAME (RFC 6672 §3.4), so the client sees why.
    for (Name owner = current.parent(); !owner.is_root(); owner = owner.parent()) {
      cache::CacheAnswer d = cache_.lookup(owner, RRType::DNAME, RRClass::IN, c.now, c.lookup);
      if (!d.positive || d.positive->rrset.rdatas.empty()) continue;
      auto dtarget = dns::rdata_target_name(RRType::DNAME, d.positive->rrset.rdatas[0]);
      auto synthesised =
          dtarget ? current.replace_suffix(owner, *dtarget) : dns::Expected<Name>(Error::kNameTooLong);
      if (synthesised.ok() && *synthesised == *target) out.links.push_back(std::move(*d.positive));
      break;
    }
    out.links.push_back(std::move(*alias.positive));
    const bool loop = *target == start || std::any_of(out.links.begin(), out.links.end(),
                                                      [&](const auto& l) { return l.rrset.name == *target; });
    if (loop) break;
    if (stop && stop(*target)) break;
    current = *target;
  }
  return out;
}

HandleResult CacheAnswers::chain(AnswerContext& c, const Chain& found) const {
  const bool stale = found.stale();
  if (stale) {
    c.start_with_error(dns::EdeCode::kStaleAnswer, "");
  } else {
    c.start();
  }
  write_links(c.resp, c.qname, found.links);
  HandleResult done;
  if (found.positive) {
    const auto& set = found.positive->rrset;
    c.resp.answer(found.links.empty() ? c.qname : set.name, set);
    done = c.resp.finish(Rcode::kNoError, Outcome::kAnswered);
  } else {
    const auto& neg = *found.negative;
    c.resp.authority_soa(neg.soa.name, neg.soa.rclass, neg.soa.ttl, neg.soa.rdata);
    // RFC 6604: the rcode is that of the last name in the chain.
    done = c.resp.finish(rcode_of(neg), Outcome::kNegative);
  }
  done.stale = stale;
  return done;
}

HandleResult CacheAnswers::servfail(AnswerContext& c, const std::vector<cache::CachedRRset>& links) const {
  if (c.after != nullptr && c.after->negative_uncached) {
    // Not a failure: a negative answer without the SOA that would let it
    // be cached. The chain followed to it, then the RCODE (RFC 6604).
    c.start();
    write_links(c.resp, c.qname, links);
    return c.resp.finish(*c.after->negative_uncached, Outcome::kNegative);
  }
  if (c.after != nullptr) {
    c.start_with_error(c.after->ede, c.after->text);
    write_links(c.resp, c.qname, links);
  } else {
    c.start_with_error(dns::EdeCode::kNotReady, "recursive resolution is not available");
  }
  return c.resp.finish(Rcode::kServFail, Outcome::kServFail);
}

}  // namespace vigil::server
