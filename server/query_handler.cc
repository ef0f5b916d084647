#include "server/query_handler.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "protocol/edns.h"
#include "protocol/limits.h"
#include "protocol/message_builder.h"
#include "protocol/message_view.h"
#include "protocol/rdata.h"
#include "protocol/wire_reader.h"
#include "server/version.h"

namespace vigil::server {

using dns::Error;
using dns::MessageBuilder;
using dns::MessageView;
using dns::Name;
using dns::Rcode;
using dns::RRClass;
using dns::RRType;
using dns::Section;

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kAnswered: return "answered";
    case Outcome::kNegative: return "negative";
    case Outcome::kLocal: return "local";
    case Outcome::kAnyMinimal: return "any_minimal";
    case Outcome::kChaos: return "chaos";
    case Outcome::kNeedsResolution: return "needs_resolution";
    case Outcome::kServFail: return "servfail";
    case Outcome::kDroppedShort: return "dropped_short";
    case Outcome::kDroppedResponse: return "dropped_response";
    case Outcome::kDroppedAcl: return "dropped_acl";
    case Outcome::kRefusedAcl: return "refused_acl";
    case Outcome::kFormErr: return "formerr";
    case Outcome::kNotImp: return "notimp";
    case Outcome::kBadVers: return "badvers";
    case Outcome::kRefusedClass: return "refused_class";
    case Outcome::kRefusedTransfer: return "refused_transfer";
    case Outcome::kRefusedLocal: return "refused_local";
    case Outcome::kDroppedLocal: return "dropped_local";
    case Outcome::kBlocked: return "blocked";
    case Outcome::kPolicy: return "policy";
    case Outcome::kDroppedPolicy: return "dropped_policy";
  }
  return "unknown";
}

QueryHandler::QueryHandler(const config::Config& config, const LocalZones& local, cache::RRsetCache& cache,
                           bool resolver_attached, const monitor::BlockListPublisher* block,
                           const monitor::PolicySet* policy)
    : config_(config),
      local_(local),
      cache_(cache),
      resolver_attached_(resolver_attached),
      block_(block),
      policy_(policy),
      identity_(config.server.identity),
      version_(config.server.version) {
  if (version_.empty()) version_ = std::string("vigil ") + kVersion;
  if (identity_.empty()) {
    char host[256] = {};
    identity_ = gethostname(host, sizeof host - 1) == 0 && host[0] != 0 ? host : "vigil";
  }
}

std::optional<std::pair<dns::Name, dns::RRType>> question_of(std::span<const std::uint8_t> query) {
  MessageView view;
  if (view.parse(query) != Error::kOk || view.count(Section::kQuestion) != 1) return std::nullopt;
  return std::make_pair(view.question_name(), view.question_type());
}

config::AclAction QueryHandler::acl(const Client& client) const {
  for (const auto& rule : config_.access_control) {
    if (rule.from.contains(client.address_bytes())) return rule.action;
  }
  return config::AclAction::kRefuse;  // nothing matched: refuse, as the default list ends
}

namespace {

// The parts of a response every path shares: ID, opcode, RD and CD copied,
// QR and RA set, the question echoed when there is one, EDNS when the query
// had it.
class Response {
 public:
  Response(std::span<std::uint8_t> out, std::size_t limit, const dns::Header& query_header)
      : builder_(out, limit) {
    dns::Header h;
    h.id = query_header.id;
    h.qr = true;
    h.opcode = query_header.opcode;
    h.rd = query_header.rd;
    h.cd = query_header.cd;
    h.ra = true;
    builder_.set_header(h);
  }

  void edns(std::uint16_t payload, bool dnssec_ok, std::span<const std::uint8_t> options = {}) {
    (void)builder_.set_edns({payload, 0, dnssec_ok, options});
  }
  void question(const Name& name, RRType type, RRClass rclass) {
    (void)builder_.add_question(name, type, rclass);
  }
  MessageBuilder& builder() { return builder_; }

  // Adds one RRset to the answer, all or nothing: one that does not fit is
  // left out whole and TC is set. The owner is the question's name, so it
  // compresses to the question and keeps the client's letter case (0x20).
  // `for_each_rdata(add)` calls add(std::span<const uint8_t>) per RDATA.
  template <class ForEachRdata>
  void answer(const Name& owner, RRType type, RRClass rclass, std::uint32_t ttl,
              ForEachRdata&& for_each_rdata) {
    auto mark = builder_.mark();
    bool fits = true;
    for_each_rdata([&](std::span<const std::uint8_t> rd) {
      if (fits && builder_.add_record(Section::kAnswer, owner, type, rclass, ttl, rd) != Error::kOk) {
        builder_.rollback(mark);
        fits = false;
      }
    });
  }

  HandleResult finish(Rcode rcode, Outcome outcome) {
    builder_.set_rcode(rcode);
    HandleResult r;
    r.outcome = outcome;
    r.truncated = builder_.truncated();
    r.size = builder_.finish();
    return r;
  }

 private:
  MessageBuilder builder_;
};

bool is_name(const Name& n, const char* text) {
  return n == *Name::from_text(text);
}

// RFC 8482 §4.1: an ANY query gets one RRset the resolver already has; the
// types a client most likely wants come first.
constexpr RRType kAnyOrder[] = {RRType::A,    RRType::AAAA, RRType::CNAME, RRType::MX,   RRType::TXT,
                                RRType::NS,   RRType::SOA,  RRType::PTR,   RRType::SRV,  RRType::HTTPS,
                                RRType::SVCB, RRType::CAA,  RRType::DNAME, RRType::HINFO};

}  // namespace

// One query as the answer paths see it once it is known to be answerable:
// its question, how to start the response, the pass it is on, and what the
// first pass learned that finish() takes over.
struct QueryHandler::Context {
  Context(Response& r, const Name& name, RRType type, RRClass cls, const Client& cl, cache::Time t,
          const ResolutionStatus* a, bool e, bool dok, std::uint16_t payload, std::vector<std::uint8_t>& opts)
      : resp(r),
        qname(name),
        qtype(type),
        qclass(cls),
        client(cl),
        now(t),
        after(a),
        edns(e),
        dnssec_ok(dok),
        max_payload(payload),
        options(opts) {}

  Response& resp;
  const Name& qname;
  RRType qtype;
  RRClass qclass;
  const Client& client;
  cache::Time now;
  const ResolutionStatus* after;  // null on the first pass
  bool edns;
  bool dnssec_ok;
  std::uint16_t max_payload;
  std::vector<std::uint8_t>& options;  // must outlive the builder until finish()
  // The threat feeds' verdict on the query name, once looked up.
  std::optional<monitor::PolicyLookup> name_policy;
  // kNeedsResolution: what to resolve (the question, or a redirect's target).
  std::optional<std::pair<Name, RRType>> resolve;

  void start(std::span<const std::uint8_t> opts = {}) {
    if (edns) resp.edns(max_payload, dnssec_ok, opts);
    resp.question(qname, qtype, qclass);
  }
  HandleResult needs_resolution(const Name& name, RRType type) {
    resolve = std::make_pair(name, type);
    return silent(Outcome::kNeedsResolution);
  }
};

struct QueryHandler::Chain {
  std::vector<cache::CachedRRset> links;  // CNAMEs (each after its DNAME, if any), in answer order
  std::optional<cache::CachedRRset> positive;
  std::optional<cache::CachedNegative> negative;
  bool stale() const {
    bool s = (positive && positive->stale) || (negative && negative->stale);
    for (const auto& l : links) s = s || l.stale;
    return s;
  }
};

QueryHandler::Chain QueryHandler::follow(const Name& start, RRType qtype, cache::Time now,
                                         const cache::LookupOptions& lo,
                                         const std::function<bool(const Name&)>& stop) const {
  Chain out;
  Name current = start;
  for (unsigned links = 0; links <= config_.resolver.max_cname_chain; ++links) {
    cache::CacheAnswer c = cache_.lookup(current, qtype, RRClass::IN, now, lo);
    if (c.positive) {
      out.positive = std::move(c.positive);
      break;
    }
    if (c.negative) {
      out.negative = std::move(c.negative);
      break;
    }
    if (qtype == RRType::CNAME) break;
    cache::CacheAnswer alias = cache_.lookup(current, RRType::CNAME, RRClass::IN, now, lo);
    if (!alias.positive || alias.positive->rrset.rdatas.empty()) break;
    auto target = dns::rdata_target_name(RRType::CNAME, alias.positive->rrset.rdatas[0]);
    if (!target) break;
    // A CNAME synthesised from a DNAME above the name goes out after its
    // DNAME (RFC 6672 §3.4), so the client sees why.
    for (Name owner = current.parent(); !owner.is_root(); owner = owner.parent()) {
      cache::CacheAnswer d = cache_.lookup(owner, RRType::DNAME, RRClass::IN, now, lo);
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

namespace {

// Writes a chain's CNAMEs (and DNAMEs) to the answer; the question's own
// CNAME keeps the question's name (the client's letter case).
void write_links(Response& resp, const Name& qname, const std::vector<cache::CachedRRset>& links) {
  for (const auto& link : links) {
    const auto& set = link.rrset;
    const bool own = set.type == RRType::CNAME && set.name == qname;
    resp.answer(own ? qname : set.name, set.type, set.rclass, set.ttl, [&](auto add) {
      for (const auto& rd : set.rdatas) add(rd);
    });
  }
}

bool is_address(RRType t) {
  return t == RRType::A || t == RRType::AAAA;
}

}  // namespace

namespace {

// Where an answer came from, for the counters and the query log
// (`resolved`: written after a resolution).
monitor::CacheStatus cache_status(const HandleResult& r, bool resolved) {
  switch (r.outcome) {
    case Outcome::kAnswered:
    case Outcome::kNegative:
      if (r.stale) return monitor::CacheStatus::kStale;
      return resolved ? monitor::CacheStatus::kMiss : monitor::CacheStatus::kHit;
    case Outcome::kServFail:
    case Outcome::kAnyMinimal: return resolved ? monitor::CacheStatus::kMiss : monitor::CacheStatus::kNone;
    case Outcome::kLocal:
    case Outcome::kChaos:
    case Outcome::kRefusedLocal:
    case Outcome::kDroppedLocal: return monitor::CacheStatus::kLocal;
    default: return monitor::CacheStatus::kNone;
  }
}

}  // namespace

HandleResult QueryHandler::handle(std::span<const std::uint8_t> query, const Client& client,
                                  std::span<std::uint8_t> out, cache::Time now, PendingQuery* pending) const {
  HandleResult r = first_pass(query, client, out, now, pending);
  r.cache = cache_status(r, false);
  return r;
}

HandleResult QueryHandler::finish(const PendingQuery& p, const ResolutionStatus& after,
                                  std::span<std::uint8_t> out, cache::Time now) const {
  Response resp(out, std::min(out.size(), p.limit), p.header);
  std::vector<std::uint8_t> options;
  Context ctx(resp, p.qname, p.qtype, p.qclass, p.client, now, &after, p.edns, p.dnssec_ok,
              static_cast<std::uint16_t>(config_.server.max_udp_payload), options);
  ctx.name_policy = p.name_policy;
  HandleResult r = answer(ctx);
  r.cache = cache_status(r, true);
  return r;
}

HandleResult QueryHandler::handle_resolved(std::span<const std::uint8_t> query, const Client& client,
                                           std::span<std::uint8_t> out, cache::Time now,
                                           const ResolutionStatus& after) const {
  PendingQuery pending;
  const HandleResult r = handle(query, client, out, now, &pending);
  if (r.outcome != Outcome::kNeedsResolution) return r;
  return finish(pending, after, out, now);
}

HandleResult QueryHandler::first_pass(std::span<const std::uint8_t> query, const Client& client,
                                      std::span<std::uint8_t> out, cache::Time now,
                                      PendingQuery* pending) const {
  if (query.size() < dns::kHeaderSize) return silent(Outcome::kDroppedShort);
  const dns::Header qh = dns::Header::from_wire(dns::load_u16(&query[0]), dns::load_u16(&query[2]));
  if (qh.qr) return silent(Outcome::kDroppedResponse);

  config::AclAction action = acl(client);
  if (action == config::AclAction::kDeny) return silent(Outcome::kDroppedAcl);

  MessageView view;
  const Error parsed = view.parse(query);
  const bool one_question = parsed == Error::kOk && view.count(Section::kQuestion) == 1;
  // UDP answers fit the client's EDNS size (at least 512, at most our
  // configured maximum); TCP answers may use the whole buffer.
  std::size_t payload = std::numeric_limits<std::size_t>::max();
  if (client.transport == Transport::kUdp) {
    payload = dns::kMinUdpPayload;
    if (parsed == Error::kOk && view.has_edns()) {
      payload = std::clamp<std::size_t>(view.edns().udp_payload, dns::kMinUdpPayload,
                                        config_.server.max_udp_payload);
    }
  }
  Response resp(out, std::min(out.size(), payload), qh);
  const bool edns = parsed == Error::kOk && view.has_edns();
  const bool dnssec_ok = edns && view.edns().flags.dnssec_ok;

  if (action == config::AclAction::kRefuse) {
    if (edns) resp.edns(config_.server.max_udp_payload, dnssec_ok);
    if (one_question) resp.question(view.question_name(), view.question_type(), view.question_class());
    return resp.finish(Rcode::kRefused, Outcome::kRefusedAcl);
  }
  if (parsed != Error::kOk) return resp.finish(Rcode::kFormErr, Outcome::kFormErr);
  if (edns) {
    if (view.edns().flags.version > 0) {
      // RFC 6891 §6.1.3: BADVERS, with our highest version (0) in the OPT.
      resp.edns(config_.server.max_udp_payload, dnssec_ok);
      return resp.finish(Rcode::kBadVers, Outcome::kBadVers);
    }
  }
  if (qh.opcode != dns::Opcode::kQuery) {
    if (edns) resp.edns(config_.server.max_udp_payload, dnssec_ok);
    if (one_question) resp.question(view.question_name(), view.question_type(), view.question_class());
    return resp.finish(Rcode::kNotImp, Outcome::kNotImp);
  }
  if (!one_question) {
    if (edns) resp.edns(config_.server.max_udp_payload, dnssec_ok);
    return resp.finish(Rcode::kFormErr, Outcome::kFormErr);
  }

  const Name qname = view.question_name();
  const RRType qtype = view.question_type();
  const RRClass qclass = view.question_class();

  // Options that must outlive the builder until finish().
  std::vector<std::uint8_t> options;
  auto start = [&](std::span<const std::uint8_t> opts = {}) {
    if (edns) resp.edns(config_.server.max_udp_payload, dnssec_ok, opts);
    resp.question(qname, qtype, qclass);
  };

  if (qtype == RRType::AXFR || qtype == RRType::IXFR) {
    start();
    return resp.finish(Rcode::kRefused, Outcome::kRefusedTransfer);
  }
  if (qclass == RRClass::CH) {
    const std::string* text = nullptr;
    if (qtype == RRType::TXT || qtype == RRType::ANY) {
      if (!config_.server.hide_version &&
          (is_name(qname, "version.bind.") || is_name(qname, "version.server."))) {
        text = &version_;
      }
      if (!config_.server.hide_identity &&
          (is_name(qname, "hostname.bind.") || is_name(qname, "id.server."))) {
        text = &identity_;
      }
    }
    start();
    if (text == nullptr) return resp.finish(Rcode::kRefused, Outcome::kRefusedClass);
    std::vector<std::string> strings = {*text};
    auto rdata = dns::make_txt_rdata(strings);
    (void)resp.builder().add_record(Section::kAnswer, qname, RRType::TXT, RRClass::CH, 0, rdata);
    return resp.finish(Rcode::kNoError, Outcome::kChaos);
  }
  if (qclass != RRClass::IN) {
    start();
    return resp.finish(Rcode::kRefused, Outcome::kRefusedClass);
  }

  auto answer_rrset = [&](const dns::RRset& set, Outcome outcome) {
    start();
    resp.answer(qname, set.type, set.rclass, set.ttl, [&](auto add) {
      for (const auto& rd : set.rdatas) add(rd);
    });
    return resp.finish(Rcode::kNoError, outcome);
  };

  // Local zones and data come before the cache: they are policy.
  const LocalAnswer local = local_.lookup(qname, qtype);
  switch (local.kind) {
    case LocalKind::kNone: break;
    case LocalKind::kDeny: return silent(Outcome::kDroppedLocal);
    case LocalKind::kRefuse: start(); return resp.finish(Rcode::kRefused, Outcome::kRefusedLocal);
    case LocalKind::kAnswer: return answer_rrset(*local.rrset, Outcome::kLocal);
    case LocalKind::kNxDomain:
    case LocalKind::kNoData:
      start();
      if (local.soa != nullptr) {
        (void)resp.builder().add_record(Section::kAuthority, local.soa->name, RRType::SOA, local.soa->rclass,
                                        local.soa->ttl, local.soa->rdata);
      }
      return resp.finish(local.kind == LocalKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError,
                         Outcome::kLocal);
  }

  // The intent detectors' block list: after local data (the operator's
  // word), before the cache.
  if (block_ != nullptr && block_->active()) {
    // A threat feed's PASSTHRU for the name beats the detectors' block (the
    // operator's allow list, as intent.allow is).
    auto passed = [&] {
      if (policy_ == nullptr || policy_->empty()) return false;
      const monitor::PolicyLookup look = policy_->match_name(qname);
      return look.enforced && look.enforced->match.rule->action == monitor::PolicyAction::kPassthru;
    };
    if (const auto rcode = block_->current()->match(qname); rcode && !passed()) {
      dns::Edns e;
      e.add_extended_error(dns::EdeCode::kBlocked, "blocked by intent detection");
      options = e.options_wire();
      start(options);
      return resp.finish(static_cast<Rcode>(*rcode), Outcome::kBlocked);
    }
  }

  Context ctx(resp, qname, qtype, qclass, client, now, nullptr, edns, dnssec_ok,
              static_cast<std::uint16_t>(config_.server.max_udp_payload), options);
  HandleResult r = answer(ctx);
  if (r.outcome == Outcome::kNeedsResolution && pending != nullptr) {
    pending->query.assign(query.begin(), query.end());
    pending->client = client;
    pending->header = qh;
    pending->limit = payload;
    pending->edns = edns;
    pending->dnssec_ok = dnssec_ok;
    pending->qname = qname;
    pending->qtype = qtype;
    pending->qclass = qclass;
    pending->resolve_name = ctx.resolve ? ctx.resolve->first : qname;
    pending->resolve_type = ctx.resolve ? ctx.resolve->second : qtype;
    pending->name_policy = std::move(ctx.name_policy);
  }
  return r;
}

HandleResult QueryHandler::answer(Context& ctx) const {
  if (policy_ != nullptr && !policy_->empty()) return with_policy(ctx);
  Response& resp = ctx.resp;
  const Name& qname = ctx.qname;
  const RRType qtype = ctx.qtype;
  const cache::Time now = ctx.now;
  const ResolutionStatus* after = ctx.after;

  auto answer_negative = [&](const cache::CachedNegative& neg) {
    ctx.start();
    (void)resp.builder().add_record(Section::kAuthority, neg.soa.name, RRType::SOA, neg.soa.rclass,
                                    neg.soa.ttl, neg.soa.rdata);
    return resp.finish(neg.kind == cache::NegativeKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError,
                       Outcome::kNegative);
  };

  if (qtype == RRType::ANY) {
    for (RRType t : kAnyOrder) {
      cache::CacheAnswer cached = cache_.lookup(qname, t, RRClass::IN, now);
      if (cached.positive) {
        const auto& set = cached.positive->rrset;
        ctx.start();
        resp.answer(qname, set.type, set.rclass, set.ttl, [&](auto add) {
          for (const auto& rd : set.rdatas) add(rd);
        });
        return resp.finish(Rcode::kNoError, Outcome::kAnswered);
      }
      if (cached.negative && cached.negative->kind == cache::NegativeKind::kNxDomain) {
        return answer_negative(*cached.negative);
      }
    }
    if (resolver_attached_ && after == nullptr) return ctx.needs_resolution(qname, qtype);
    // RFC 8482 §4.2: a synthesised HINFO says "ANY is not answered in full".
    ctx.start();
    static const std::vector<std::string> kHinfo = {"RFC8482", ""};
    std::vector<std::uint8_t> rdata = dns::make_txt_rdata(kHinfo);
    (void)resp.builder().add_record(Section::kAnswer, qname, RRType::HINFO, RRClass::IN, 3600, rdata);
    return resp.finish(Rcode::kNoError, Outcome::kAnyMinimal);
  }

  if (auto hit = answer_direct_hit(ctx)) return *hit;
  // Otherwise: follow cached CNAMEs (the client gets the whole chain), then
  // the answer or the negative answer at the chain's end. After a failed
  // resolution, expired data within the stale window may be used (RFC 8767).
  const bool use_stale = after != nullptr && cache_.options().serve_stale;
  const cache::LookupOptions lo{.for_resolution = false, .allow_stale = use_stale};
  Chain chain = follow(qname, qtype, now, lo, {});
  if (chain.positive || chain.negative) return answer_chain(ctx, chain);
  if (resolver_attached_ && after == nullptr) return ctx.needs_resolution(qname, qtype);
  return servfail(ctx, chain.links);
}

// Under the shard's read lock: the entry's octets go straight into the
// response.
std::optional<HandleResult> QueryHandler::answer_direct_hit(Context& c) const {
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

HandleResult QueryHandler::answer_chain(Context& c, const Chain& chain) const {
  const bool stale = chain.stale();
  if (stale) {
    dns::Edns e;
    e.add_extended_error(dns::EdeCode::kStaleAnswer, "");
    c.options = e.options_wire();
  }
  c.start(c.options);
  write_links(c.resp, c.qname, chain.links);
  if (chain.positive) {
    const auto& set = chain.positive->rrset;
    c.resp.answer(chain.links.empty() ? c.qname : set.name, set.type, set.rclass, set.ttl, [&](auto add) {
      for (const auto& rd : set.rdatas) add(rd);
    });
    HandleResult done = c.resp.finish(Rcode::kNoError, Outcome::kAnswered);
    done.stale = stale;
    return done;
  }
  const auto& neg = *chain.negative;
  (void)c.resp.builder().add_record(Section::kAuthority, neg.soa.name, RRType::SOA, neg.soa.rclass,
                                    neg.soa.ttl, neg.soa.rdata);
  // RFC 6604: the rcode is that of the last name in the chain.
  HandleResult done = c.resp.finish(
      neg.kind == cache::NegativeKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError, Outcome::kNegative);
  done.stale = stale;
  return done;
}

HandleResult QueryHandler::servfail(Context& c, const std::vector<cache::CachedRRset>& links) const {
  if (c.after != nullptr && c.after->negative_uncached) {
    // Not a failure: a negative answer without the SOA that would let it
    // be cached. The chain followed to it, then the RCODE (RFC 6604).
    c.start();
    write_links(c.resp, c.qname, links);
    return c.resp.finish(*c.after->negative_uncached, Outcome::kNegative);
  }
  dns::Edns e;
  if (c.after != nullptr) {
    e.add_extended_error(c.after->ede, c.after->text);
  } else {
    e.add_extended_error(dns::EdeCode::kNotReady, "recursive resolution is not available");
  }
  c.options = e.options_wire();
  c.start(c.options);
  if (c.after != nullptr) write_links(c.resp, c.qname, links);
  return c.resp.finish(Rcode::kServFail, Outcome::kServFail);
}

// The threat feeds' path (monitor/policy_set.h), BIND's order of checks:
// the query name, then each CNAME target and the answer's addresses in the
// feeds before the one the name matched. No zero-copy hot path here: the
// answer is looked at before it is written.
HandleResult QueryHandler::with_policy(Context& c) const {
  const monitor::PolicySet& set = *policy_;
  PolicyNote note;
  auto remember = [&](const monitor::PolicyHit& h, const Name& at) {
    note.feed = h.feed;
    note.action = h.match.rule->action;
    note.enforced = h.enforced;
    note.address = h.match.address_length != 0;
    note.trigger = h.match.trigger_text(at);
    note.feed_name = &set.feeds()[h.feed].name;
    note.counters = set.feeds()[h.feed].counters;
  };
  // A rule that lets the answer through: PASSTHRU, and TCP-only over TCP.
  auto lets_through = [&](const monitor::PolicyHit& h) {
    const auto a = h.match.rule->action;
    return a == monitor::PolicyAction::kPassthru ||
           (a == monitor::PolicyAction::kTcpOnly && c.client.transport == Transport::kTcp);
  };
  std::size_t limit = monitor::PolicySet::kAll;  // feeds that may still rewrite: [0, limit)
  std::optional<monitor::PolicyHit> name_hit;    // the query name's, waiting on earlier feeds' IP triggers
  {
    if (!c.name_policy) c.name_policy = set.match_name(c.qname);
    const monitor::PolicyLookup& look = *c.name_policy;
    if (look.logged) remember(*look.logged, c.qname);
    if (look.enforced) {
      limit = look.enforced->feed;
      if (lets_through(*look.enforced)) {
        remember(*look.enforced, c.qname);
      } else {
        name_hit = look.enforced;
        if (!set.addresses_before(limit) || c.qtype == RRType::ANY) {
          return rewrite(c, *name_hit, c.qname, {}, note);
        }
      }
    }
  }
  auto finish_with = [&](HandleResult r) {
    r.policy = note;
    return r;
  };
  if (c.qtype == RRType::ANY) {
    // ANY is answered minimally (RFC 8482) and its addresses not checked.
    for (RRType t : kAnyOrder) {
      cache::CacheAnswer cached = cache_.lookup(c.qname, t, RRClass::IN, c.now);
      if (cached.positive) {
        c.start();
        const auto& rs = cached.positive->rrset;
        c.resp.answer(c.qname, rs.type, rs.rclass, rs.ttl, [&](auto add) {
          for (const auto& rd : rs.rdatas) add(rd);
        });
        return finish_with(c.resp.finish(Rcode::kNoError, Outcome::kAnswered));
      }
    }
    if (resolver_attached_ && c.after == nullptr) return finish_with(c.needs_resolution(c.qname, c.qtype));
    c.start();
    return finish_with(c.resp.finish(Rcode::kNoError, Outcome::kAnyMinimal));
  }

  // Nothing left to check in a direct answer (no rule waiting on the name,
  // no response-IP trigger that could fire on it): the hot path, as without
  // feeds. A CNAME at the name is not a direct answer; its targets are
  // checked below.
  if (!name_hit && !(is_address(c.qtype) && set.addresses_before(limit))) {
    if (auto hit = answer_direct_hit(c)) return finish_with(*hit);
  }

  const bool use_stale = c.after != nullptr && cache_.options().serve_stale;
  const cache::LookupOptions lo{.for_resolution = false, .allow_stale = use_stale};
  std::optional<monitor::PolicyHit> target_hit;
  Name target_name;
  Chain chain = follow(c.qname, c.qtype, c.now, lo, [&](const Name& target) {
    if (limit == 0) return false;
    const monitor::PolicyLookup look = set.match_name(target, limit);
    if (look.logged && note.feed == PolicyNote::kNone) remember(*look.logged, target);
    if (!look.enforced) return false;
    limit = look.enforced->feed;
    if (lets_through(*look.enforced)) {
      remember(*look.enforced, target);
      return false;
    }
    target_hit = look.enforced;
    target_name = target;
    return true;
  });
  if (target_hit) return rewrite(c, *target_hit, target_name, chain.links, note);
  if (chain.positive && is_address(chain.positive->rrset.type) && set.addresses_before(limit)) {
    const auto& rs = chain.positive->rrset;
    for (const auto& rd : rs.rdatas) {
      const monitor::PolicyLookup look = set.match_address(rd, limit);
      if (look.logged && note.feed == PolicyNote::kNone) remember(*look.logged, rs.name);
      if (!look.enforced) continue;
      if (lets_through(*look.enforced)) {
        remember(*look.enforced, rs.name);
        name_hit.reset();  // an earlier feed's PASSTHRU outranks the name's rule
        break;
      }
      return rewrite(c, *look.enforced, chain.links.empty() ? c.qname : rs.name, chain.links, note);
    }
  }
  if (chain.positive || chain.negative) {
    if (name_hit) return rewrite(c, *name_hit, c.qname, {}, note);
    return finish_with(answer_chain(c, chain));
  }
  if (resolver_attached_ && c.after == nullptr) return finish_with(c.needs_resolution(c.qname, c.qtype));
  if (name_hit) return rewrite(c, *name_hit, c.qname, {}, note);
  return finish_with(servfail(c, chain.links));
}

HandleResult QueryHandler::rewrite(Context& c, const monitor::PolicyHit& hit, const Name& at,
                                   const std::vector<cache::CachedRRset>& links, PolicyNote& note) const {
  const monitor::PolicySet& set = *policy_;
  note.feed = hit.feed;
  note.action = hit.match.rule->action;
  note.enforced = true;
  note.address = hit.match.address_length != 0;
  note.trigger = hit.match.trigger_text(at);
  note.feed_name = &set.feeds()[hit.feed].name;
  note.counters = set.feeds()[hit.feed].counters;
  const monitor::PolicyFeed& feed = *set.feeds()[hit.feed].feed;
  const std::uint32_t max_ttl = set.max_ttl();
  auto done = [&](HandleResult r) {
    r.policy = note;
    return r;
  };
  // The feed's SOA in the additional section, as BIND's add-soa does: it
  // tells the client (and whoever reads a capture) which policy answered.
  auto add_soa = [&] {
    if (!set.add_soa() || !feed.soa()) return;
    const auto& soa = *feed.soa();
    (void)c.resp.builder().add_record(Section::kAdditional, soa.name, RRType::SOA, soa.rclass, soa.ttl,
                                      soa.rdata);
  };
  auto start_blocked = [&] {
    dns::Edns e;
    e.add_extended_error(dns::EdeCode::kBlocked, "policy " + set.feeds()[hit.feed].name);
    c.options = e.options_wire();
    c.start(c.options);
  };
  const Name& owner = at == c.qname ? c.qname : at;
  switch (hit.match.rule->action) {
    case monitor::PolicyAction::kDrop: return done(silent(Outcome::kDroppedPolicy));
    case monitor::PolicyAction::kPassthru:  // not rewritten here (with_policy lets it through)
    case monitor::PolicyAction::kTcpOnly: {
      c.start();
      c.resp.builder().header().tc = true;
      HandleResult r = c.resp.finish(Rcode::kNoError, Outcome::kPolicy);
      r.truncated = true;
      return done(r);
    }
    case monitor::PolicyAction::kNxDomain:
    case monitor::PolicyAction::kNoData: {
      start_blocked();
      write_links(c.resp, c.qname, links);
      add_soa();
      return done(c.resp.finish(
          hit.match.rule->action == monitor::PolicyAction::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError,
          Outcome::kPolicy));
    }
    case monitor::PolicyAction::kLocalData: break;
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
  const bool use_stale = c.after != nullptr && cache_.options().serve_stale;
  const cache::LookupOptions lo{.for_resolution = false, .allow_stale = use_stale};
  Chain rest = follow(*resolved, c.qtype, c.now, lo, {});
  if (!rest.positive && !rest.negative && resolver_attached_ && c.after == nullptr) {
    return done(c.needs_resolution(*resolved, c.qtype));
  }
  write_links(c.resp, c.qname, rest.links);
  Rcode rcode = Rcode::kNoError;
  if (rest.positive) {
    const auto& rs = rest.positive->rrset;
    c.resp.answer(rs.name, rs.type, rs.rclass, rs.ttl, [&](auto add) {
      for (const auto& rd : rs.rdatas) add(rd);
    });
  } else if (rest.negative) {
    const auto& neg = *rest.negative;
    (void)c.resp.builder().add_record(Section::kAuthority, neg.soa.name, RRType::SOA, neg.soa.rclass,
                                      neg.soa.ttl, neg.soa.rdata);
    if (neg.kind == cache::NegativeKind::kNxDomain) rcode = Rcode::kNXDomain;
  }
  add_soa();
  return done(c.resp.finish(rcode, Outcome::kPolicy));
}

}  // namespace vigil::server
