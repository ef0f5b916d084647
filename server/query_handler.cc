#include "server/query_handler.h"

#include <unistd.h>

#include <algorithm>
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
  }
  return "unknown";
}

QueryHandler::QueryHandler(const config::Config& config, const LocalZones& local, cache::RRsetCache& cache,
                           bool resolver_attached, const monitor::BlockListPublisher* block)
    : config_(config),
      local_(local),
      cache_(cache),
      resolver_attached_(resolver_attached),
      block_(block),
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
constexpr RRType kAnyOrder[] = {RRType::A,    RRType::AAAA, RRType::CNAME, RRType::MX,  RRType::TXT,
                                RRType::NS,   RRType::SOA,  RRType::PTR,   RRType::SRV, RRType::HTTPS,
                                RRType::SVCB, RRType::CAA,  RRType::DNAME};

}  // namespace

HandleResult QueryHandler::handle(std::span<const std::uint8_t> query, const Client& client,
                                  std::span<std::uint8_t> out, cache::Time now,
                                  const ResolutionStatus* after) const {
  if (query.size() < dns::kHeaderSize) return {Outcome::kDroppedShort, 0, false};
  const dns::Header qh = dns::Header::from_wire(dns::load_u16(&query[0]), dns::load_u16(&query[2]));
  if (qh.qr) return {Outcome::kDroppedResponse, 0, false};

  config::AclAction action = acl(client);
  if (action == config::AclAction::kDeny) return {Outcome::kDroppedAcl, 0, false};

  MessageView view;
  const Error parsed = view.parse(query);
  const bool one_question = parsed == Error::kOk && view.count(Section::kQuestion) == 1;
  // UDP answers fit the client's EDNS size (at least 512, at most our
  // configured maximum); TCP answers may use the whole buffer.
  std::size_t limit = out.size();
  if (client.transport == Transport::kUdp) {
    std::size_t payload = dns::kMinUdpPayload;
    if (parsed == Error::kOk && view.has_edns()) {
      payload = std::clamp<std::size_t>(view.edns().udp_payload, dns::kMinUdpPayload,
                                        config_.server.max_udp_payload);
    }
    limit = std::min(limit, payload);
  }
  Response resp(out, limit, qh);
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
    case LocalKind::kDeny: return {Outcome::kDroppedLocal, 0, false};
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
    if (const auto rcode = block_->current()->match(qname)) {
      dns::Edns e;
      e.add_extended_error(dns::EdeCode::kBlocked, "blocked by intent detection");
      options = e.options_wire();
      start(options);
      return resp.finish(static_cast<Rcode>(*rcode), Outcome::kBlocked);
    }
  }

  auto answer_negative = [&](const cache::CachedNegative& neg) {
    start();
    (void)resp.builder().add_record(Section::kAuthority, neg.soa.name, RRType::SOA, neg.soa.rclass,
                                    neg.soa.ttl, neg.soa.rdata);
    return resp.finish(neg.kind == cache::NegativeKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError,
                       Outcome::kNegative);
  };

  if (qtype == RRType::ANY) {
    for (RRType t : kAnyOrder) {
      cache::CacheAnswer cached = cache_.lookup(qname, t, RRClass::IN, now);
      if (cached.positive) return answer_rrset(cached.positive->rrset, Outcome::kAnswered);
      if (cached.negative && cached.negative->kind == cache::NegativeKind::kNxDomain) {
        return answer_negative(*cached.negative);
      }
    }
    if (resolver_attached_ && after == nullptr) return {Outcome::kNeedsResolution, 0, false};
    // RFC 8482 §4.2: a synthesised HINFO says "ANY is not answered in full".
    start();
    static const std::vector<std::string> kHinfo = {"RFC8482", ""};
    std::vector<std::uint8_t> rdata = dns::make_txt_rdata(kHinfo);
    (void)resp.builder().add_record(Section::kAnswer, qname, RRType::HINFO, RRClass::IN, 3600, rdata);
    return resp.finish(Rcode::kNoError, Outcome::kAnyMinimal);
  }

  // The hot path: a positive answer is written straight from the cache
  // entry under its shard's read lock, without copying the RRset out.
  HandleResult hit;
  if (cache_.visit(qname, qtype, RRClass::IN, now, {}, [&](const cache::RRsetView& set) {
        start();
        resp.answer(qname, set.type(), set.rclass(), set.ttl(), [&](auto add) { set.for_each_rdata(add); });
        hit = resp.finish(Rcode::kNoError, Outcome::kAnswered);
      })) {
    return hit;
  }
  // Otherwise: follow cached CNAMEs (the client gets the whole chain), then
  // the answer or the negative answer at the chain's end. After a failed
  // resolution, expired data within the stale window may be used (RFC 8767).
  const bool use_stale = after != nullptr && cache_.options().serve_stale;
  const cache::LookupOptions lo{.for_resolution = false, .allow_stale = use_stale};
  std::vector<cache::CachedRRset> chain;
  std::optional<cache::CachedRRset> positive;
  std::optional<cache::CachedNegative> negative;
  Name current = qname;
  for (unsigned links = 0; links <= config_.resolver.max_cname_chain; ++links) {
    cache::CacheAnswer c = cache_.lookup(current, qtype, RRClass::IN, now, lo);
    if (c.positive) {
      positive = std::move(c.positive);
      break;
    }
    if (c.negative) {
      negative = std::move(c.negative);
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
      if (synthesised.ok() && *synthesised == *target) chain.push_back(std::move(*d.positive));
      break;
    }
    chain.push_back(std::move(*alias.positive));
    const bool loop = *target == qname || std::any_of(chain.begin(), chain.end(),
                                                      [&](const auto& l) { return l.rrset.name == *target; });
    if (loop) break;
    current = *target;
  }
  if (positive || negative) {
    bool stale = (positive && positive->stale) || (negative && negative->stale);
    for (const auto& link : chain) stale = stale || link.stale;
    if (stale) {
      dns::Edns e;
      e.add_extended_error(dns::EdeCode::kStaleAnswer, "");
      options = e.options_wire();
    }
    start(options);
    // The question's own CNAME goes out with the question's name (the
    // client's letter case).
    for (std::size_t i = 0; i < chain.size(); ++i) {
      const auto& set = chain[i].rrset;
      const bool own = set.type == RRType::CNAME && set.name == qname;
      resp.answer(own ? qname : set.name, set.type, set.rclass, set.ttl, [&](auto add) {
        for (const auto& rd : set.rdatas) add(rd);
      });
    }
    if (positive) {
      const auto& set = positive->rrset;
      resp.answer(chain.empty() ? qname : set.name, set.type, set.rclass, set.ttl, [&](auto add) {
        for (const auto& rd : set.rdatas) add(rd);
      });
      HandleResult done = resp.finish(Rcode::kNoError, Outcome::kAnswered);
      done.stale = stale;
      return done;
    }
    (void)resp.builder().add_record(Section::kAuthority, negative->soa.name, RRType::SOA,
                                    negative->soa.rclass, negative->soa.ttl, negative->soa.rdata);
    // RFC 6604: the rcode is that of the last name in the chain.
    HandleResult done =
        resp.finish(negative->kind == cache::NegativeKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError,
                    Outcome::kNegative);
    done.stale = stale;
    return done;
  }
  if (resolver_attached_ && after == nullptr) return {Outcome::kNeedsResolution, 0, false};
  dns::Edns e;
  if (after != nullptr) {
    e.add_extended_error(after->ede, after->text);
  } else {
    e.add_extended_error(dns::EdeCode::kNotReady, "recursive resolution is not available");
  }
  options = e.options_wire();
  start(options);
  return resp.finish(Rcode::kServFail, Outcome::kServFail);
}

}  // namespace vigil::server
