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

QueryHandler::QueryHandler(const config::Config& config, const LocalZones& local, cache::RRsetCache& cache,
                           bool resolver_attached, const monitor::BlockListPublisher* block,
                           const policy::PolicySet* policy)
    : config_(config),
      local_(local),
      cache_(cache),
      resolver_attached_(resolver_attached),
      block_(block),
      policy_(policy),
      cache_answers_(cache, config.resolver.max_cname_chain),
      identity_(config.server.identity),
      version_(config.server.version) {
  if (policy_ != nullptr && !policy_->empty()) policy_answers_.emplace(*policy_, cache_answers_);
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

bool is_name(const Name& n, const char* text) {
  return n == *Name::from_text(text);
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
  AnswerContext ctx(resp, p.qname, p.qtype, p.qclass, p.client, now, &after, p.edns, p.dnssec_ok,
                    static_cast<std::uint16_t>(config_.server.max_udp_payload), resolver_attached_,
                    cache_.options().serve_stale);
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

  AnswerContext ctx(resp, qname, qtype, qclass, client, now, nullptr, edns, dnssec_ok,
                    static_cast<std::uint16_t>(config_.server.max_udp_payload), resolver_attached_,
                    cache_.options().serve_stale);
  auto start = [&] { ctx.start(); };

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

  // Local zones and data come before the cache: they are policy.
  const LocalAnswer local = local_.lookup(qname, qtype);
  switch (local.kind) {
    case LocalKind::kNone: break;
    case LocalKind::kDeny: return silent(Outcome::kDroppedLocal);
    case LocalKind::kRefuse: start(); return resp.finish(Rcode::kRefused, Outcome::kRefusedLocal);
    case LocalKind::kAnswer:
      start();
      resp.answer(qname, *local.rrset);
      return resp.finish(Rcode::kNoError, Outcome::kLocal);
    case LocalKind::kNxDomain:
    case LocalKind::kNoData:
      start();
      if (local.soa != nullptr)
        resp.authority_soa(local.soa->name, local.soa->rclass, local.soa->ttl, local.soa->rdata);
      return resp.finish(local.kind == LocalKind::kNxDomain ? Rcode::kNXDomain : Rcode::kNoError,
                         Outcome::kLocal);
  }

  // The intent detectors' block list: after local data (the operator's
  // word), before the cache.
  if (block_ != nullptr && block_->active()) {
    // A threat feed's PASSTHRU for the name beats the detectors' block (the
    // operator's allow list, as intent.allow is).
    auto passed = [&] {
      if (!policy_answers_) return false;
      ctx.name_policy = policy_->match_name(qname);  // kept for the feeds' step
      const auto& look = *ctx.name_policy;
      return look.enforced && look.enforced->match.rule->action == policy::PolicyAction::kPassthru;
    };
    if (const auto rcode = block_->current()->match(qname); rcode && !passed()) {
      ctx.start_with_error(dns::EdeCode::kBlocked, "blocked by intent detection");
      return resp.finish(static_cast<Rcode>(*rcode), Outcome::kBlocked);
    }
  }

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

}  // namespace vigil::server
