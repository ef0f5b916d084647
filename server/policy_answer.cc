#include "server/policy_answer.h"

#include <algorithm>
#include <optional>

#include "protocol/rdata.h"

namespace vigil::server {

using dns::Error;
using dns::Name;
using dns::Rcode;
using dns::RRClass;
using dns::RRType;
using dns::Section;

namespace {

bool is_address(RRType t) {
  return t == RRType::A || t == RRType::AAAA;
}

}  // namespace

void PolicyAnswers::remember(PolicyNote& note, const policy::PolicyHit& h, const Name& at) const {
  note.feed = h.feed;
  note.action = h.match.rule->action;
  note.enforced = h.enforced;
  note.address = h.match.address_length != 0;
  note.trigger = h.match.trigger_text(at);
  note.feed_name = &set_.feeds()[h.feed].name;
  note.counters = set_.feeds()[h.feed].counters;
}

// No zero-copy hot path once a rule may apply: the answer is looked at
// before it is written.
HandleResult PolicyAnswers::answer(AnswerContext& c) const {
  PolicyNote note;
  // A rule that lets the answer through: PASSTHRU, and TCP-only over TCP.
  auto lets_through = [&](const policy::PolicyHit& h) {
    const auto a = h.match.rule->action;
    return a == policy::PolicyAction::kPassthru ||
           (a == policy::PolicyAction::kTcpOnly && c.client.transport == Transport::kTcp);
  };
  std::size_t limit = policy::PolicySet::kAll;  // feeds that may still rewrite: [0, limit)
  std::optional<policy::PolicyHit> name_hit;    // the query name's, waiting on earlier feeds' IP triggers
  {
    if (!c.name_policy) c.name_policy = set_.match_name(c.qname);
    const policy::PolicyLookup& look = *c.name_policy;
    if (look.logged) remember(note, *look.logged, c.qname);
    if (look.enforced) {
      limit = look.enforced->feed;
      if (lets_through(*look.enforced)) {
        remember(note, *look.enforced, c.qname);
      } else {
        name_hit = look.enforced;
        if (!set_.addresses_before(limit) || c.qtype == RRType::ANY) {
          return rewrite(c, *name_hit, c.qname, {}, note);
        }
      }
    }
  }
  auto finish_with = [&](HandleResult r) {
    r.policy = note;
    return r;
  };
  // ANY is answered as without feeds (RFC 8482), its addresses not checked.
  if (c.qtype == RRType::ANY) return finish_with(cache_.any(c));

  // Nothing left to check in a direct answer (no rule waiting on the name,
  // no response-IP trigger that could fire on it): the hot path, as without
  // feeds. A CNAME at the name is not a direct answer; its targets are
  // checked below.
  if (!name_hit && !(is_address(c.qtype) && set_.addresses_before(limit))) {
    if (auto hit = cache_.direct_hit(c)) return finish_with(*hit);
  }

  std::optional<policy::PolicyHit> target_hit;
  Name target_name;
  const Chain chain = cache_.follow(c.qname, c.qtype, c, [&](const Name& target) {
    if (limit == 0) return false;
    const policy::PolicyLookup look = set_.match_name(target, limit);
    if (look.logged && note.feed == PolicyNote::kNone) remember(note, *look.logged, target);
    if (!look.enforced) return false;
    limit = look.enforced->feed;
    if (lets_through(*look.enforced)) {
      remember(note, *look.enforced, target);
      return false;
    }
    target_hit = look.enforced;
    target_name = target;
    return true;
  });
  if (target_hit) return rewrite(c, *target_hit, target_name, chain.links, note);
  if (chain.positive && is_address(chain.positive->rrset.type) && set_.addresses_before(limit)) {
    const auto& rs = chain.positive->rrset;
    for (const auto& rd : rs.rdatas) {
      const policy::PolicyLookup look = set_.match_address(rd, limit);
      if (look.logged && note.feed == PolicyNote::kNone) remember(note, *look.logged, rs.name);
      if (!look.enforced) continue;
      if (lets_through(*look.enforced)) {
        remember(note, *look.enforced, rs.name);
        name_hit.reset();  // an earlier feed's PASSTHRU outranks the name's rule
        break;
      }
      return rewrite(c, *look.enforced, chain.links.empty() ? c.qname : rs.name, chain.links, note);
    }
  }
  if (chain.positive || chain.negative) {
    if (name_hit) return rewrite(c, *name_hit, c.qname, {}, note);
    return finish_with(cache_.chain(c, chain));
  }
  if (c.resolve_on_miss) return finish_with(c.needs_resolution(c.qname, c.qtype));
  if (name_hit) return rewrite(c, *name_hit, c.qname, {}, note);
  return finish_with(cache_.servfail(c, chain.links));
}

HandleResult PolicyAnswers::rewrite(AnswerContext& c, const policy::PolicyHit& hit, const Name& at,
                                    const std::vector<cache::CachedRRset>& links, PolicyNote& note) const {
  remember(note, hit, at);
  note.enforced = true;
  const policy::PolicyFeed& feed = *set_.feeds()[hit.feed].feed;
  const std::uint32_t max_ttl = set_.max_ttl();
  auto done = [&](HandleResult r) {
    r.policy = note;
    return r;
  };
  // The feed's SOA in the additional section, as BIND's add-soa does: it
  // tells the client (and whoever reads a capture) which policy answered.
  auto add_soa = [&] {
    if (!set_.add_soa() || !feed.soa()) return;
    const auto& soa = *feed.soa();
    (void)c.resp.builder().add_record(Section::kAdditional, soa.name, RRType::SOA, soa.rclass, soa.ttl,
                                      soa.rdata);
  };
  auto start_blocked = [&] {
    c.start_with_error(dns::EdeCode::kBlocked, "policy " + set_.feeds()[hit.feed].name);
  };
  const Name& owner = at == c.qname ? c.qname : at;
  switch (hit.match.rule->action) {
    case policy::PolicyAction::kDrop: return done(silent(Outcome::kDroppedPolicy));
    case policy::PolicyAction::kPassthru:  // not rewritten here (answer() lets it through)
    case policy::PolicyAction::kTcpOnly: {
      c.start();
      c.resp.builder().header().tc = true;
      HandleResult r = c.resp.finish(Rcode::kNoError, Outcome::kPolicy);
      r.truncated = true;
      return done(r);
    }
    case policy::PolicyAction::kNxDomain:
    case policy::PolicyAction::kNoData: {
      start_blocked();
      write_links(c.resp, c.qname, links);
      add_soa();
      return done(c.resp.finish(
          hit.match.rule->action == policy::PolicyAction::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError,
          Outcome::kPolicy));
    }
    case policy::PolicyAction::kLocalData: break;
  }
  const auto& data = hit.match.rule->data;
  start_blocked();
  write_links(c.resp, c.qname, links);
  bool any = false;
  for (const auto& rs : data) {
    if (c.qtype != RRType::ANY && rs.type != c.qtype) continue;
    any = true;
    c.resp.answer(owner, rs.type, rs.rclass, std::min(rs.ttl, max_ttl), [&](auto add) {
      for (const auto& rd : rs.rdatas) add(rd);
    });
  }
  const dns::RRset* cname = nullptr;
  for (const auto& rs : data) {
    if (rs.type == RRType::CNAME && !rs.rdatas.empty()) cname = &rs;
  }
  if (any || cname == nullptr) {
    add_soa();
    return done(c.resp.finish(Rcode::kNoError, Outcome::kPolicy));
  }
  // A redirect: the CNAME ("*.suffix." stands for the name itself + suffix),
  // then the target's answer as the cache has it.
  auto target = dns::rdata_target_name(RRType::CNAME, cname->rdatas[0]);
  dns::Expected<Name> resolved = target && target->is_wildcard() ? at.concat(target->parent())
                                 : target                        ? dns::Expected<Name>(*target)
                                                                 : dns::Expected<Name>(Error::kNameTooLong);
  if (!resolved.ok()) {
    add_soa();
    return done(c.resp.finish(Rcode::kNXDomain, Outcome::kPolicy));
  }
  std::vector<std::uint8_t> rdata(resolved->wire().begin(), resolved->wire().end());
  (void)c.resp.builder().add_record(Section::kAnswer, owner, RRType::CNAME, RRClass::IN,
                                    std::min(cname->ttl, max_ttl), rdata);
  const Chain rest = cache_.follow(*resolved, c.qtype, c);
  if (!rest.positive && !rest.negative && c.resolve_on_miss) {
    return done(c.needs_resolution(*resolved, c.qtype));
  }
  write_links(c.resp, c.qname, rest.links);
  Rcode rcode = Rcode::kNoError;
  if (rest.positive) {
    c.resp.answer(rest.positive->rrset.name, rest.positive->rrset);
  } else if (rest.negative) {
    const auto& neg = *rest.negative;
    c.resp.authority_soa(neg.soa.name, neg.soa.rclass, neg.soa.ttl, neg.soa.rdata);
    if (neg.kind == cache::NegativeKind::kNxDomain) rcode = Rcode::kNXDomain;
  }
  add_soa();
  return done(c.resp.finish(rcode, Outcome::kPolicy));
}

}  // namespace vigil::server
