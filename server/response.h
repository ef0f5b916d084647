// What every answer path writes with: Response, the parts of a response
// they share (ID, opcode, RD and CD echoed, QR and RA set, the question,
// EDNS when the query had it, RRsets added all or nothing), and
// AnswerContext, one query as the answer paths see it once the handler
// has found it answerable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "cache/rrset_cache.h"
#include "policy/policy_set.h"
#include "protocol/header.h"
#include "protocol/message_builder.h"
#include "protocol/name.h"
#include "protocol/types.h"
#include "server/answer_types.h"

namespace vigil::server {

class Response {
 public:
  // Inline, as finish(): every answer, the cache hit's too, goes through them.
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
  void question(const dns::Name& name, dns::RRType type, dns::RRClass rclass) {
    (void)builder_.add_question(name, type, rclass);
  }
  dns::MessageBuilder& builder() { return builder_; }

  // Adds one RRset to the answer, all or nothing: one that does not fit is
  // left out whole and TC is set. The owner is the question's name, so it
  // compresses to the question and keeps the client's letter case (0x20).
  // `for_each_rdata(add)` calls add(std::span<const uint8_t>) per RDATA.
  template <class ForEachRdata>
  void answer(const dns::Name& owner, dns::RRType type, dns::RRClass rclass, std::uint32_t ttl,
              ForEachRdata&& for_each_rdata) {
    auto mark = builder_.mark();
    bool fits = true;
    for_each_rdata([&](std::span<const std::uint8_t> rd) {
      if (fits &&
          builder_.add_record(dns::Section::kAnswer, owner, type, rclass, ttl, rd) != dns::Error::kOk) {
        builder_.rollback(mark);
        fits = false;
      }
    });
  }
  // An RRset the cache copied out (or local data), all or nothing.
  void answer(const dns::Name& owner, const dns::RRset& set) {
    answer(owner, set.type, set.rclass, set.ttl, [&](auto add) {
      for (const auto& rd : set.rdatas) add(rd);
    });
  }
  // A negative answer's SOA in the authority section.
  void authority_soa(const dns::Name& owner, dns::RRClass rclass, std::uint32_t ttl,
                     std::span<const std::uint8_t> rdata) {
    (void)builder_.add_record(dns::Section::kAuthority, owner, dns::RRType::SOA, rclass, ttl, rdata);
  }

  HandleResult finish(dns::Rcode rcode, Outcome outcome) {
    builder_.set_rcode(rcode);
    HandleResult r;
    r.outcome = outcome;
    r.truncated = builder_.truncated();
    r.size = builder_.finish();
    return r;
  }

 private:
  dns::MessageBuilder builder_;
};

// Writes a chain's CNAMEs (and DNAMEs) to the answer; the question's own
// CNAME keeps the question's name (the client's letter case).
void write_links(Response& resp, const dns::Name& qname, const std::vector<cache::CachedRRset>& links);

// One query as the answer paths see it once it is known to be answerable:
// its question, how to start the response, the pass it is on, and what the
// first pass learned that QueryHandler::finish() takes over.
struct AnswerContext {
  AnswerContext(Response& r, const dns::Name& name, dns::RRType type, dns::RRClass cls, const Client& cl,
                cache::Time t, const ResolutionStatus* a, bool e, bool dok, std::uint16_t payload,
                bool resolver_attached, bool serve_stale)
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
        resolve_on_miss(resolver_attached && a == nullptr),
        lookup{.for_resolution = false, .allow_stale = a != nullptr && serve_stale} {}

  Response& resp;
  const dns::Name& qname;
  dns::RRType qtype;
  dns::RRClass qclass;
  const Client& client;
  cache::Time now;
  const ResolutionStatus* after;  // null on the first pass
  bool edns;
  bool dnssec_ok;
  std::uint16_t max_payload;
  // A miss is "needs resolution" (the first pass, with a resolver), else
  // answered as a failure.
  bool resolve_on_miss;
  // How the cache is read: after a failed resolution, expired data within
  // the stale window too (RFC 8767).
  cache::LookupOptions lookup;
  std::vector<std::uint8_t> options;  // EDNS options; outlives the builder until finish()
  // The threat feeds' verdict on the query name, once looked up.
  std::optional<policy::PolicyLookup> name_policy;
  // kNeedsResolution: what to resolve (the question, or a redirect's target).
  std::optional<std::pair<dns::Name, dns::RRType>> resolve;

  void start(std::span<const std::uint8_t> opts = {}) {
    if (edns) resp.edns(max_payload, dnssec_ok, opts);
    resp.question(qname, qtype, qclass);
  }
  // Starts the response with one Extended DNS Error (RFC 8914) in its OPT.
  void start_with_error(dns::EdeCode code, std::string_view text);
  HandleResult needs_resolution(const dns::Name& name, dns::RRType type) {
    resolve = std::make_pair(name, type);
    return silent(Outcome::kNeedsResolution);
  }
};

}  // namespace vigil::server
