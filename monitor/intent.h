// The intent detectors' driver: one call per answered client query, on the
// query log's writer thread (never the query path), gives the verdicts for
// it. Each detector keeps its state in fixed-size tables
// (bounded_table.h), so memory does not depend on how many clients or
// names there are; every threshold is in intent_limits.h.
//
//   IntentEngine engine(options, model, psl);
//   std::vector<Verdict> verdicts;
//   engine.observe({.time_ns = ..., .client = ..., .qname = &name, .rcode = 3}, verdicts);
//
// Detectors, each small (docs/intent.md says what each measures and how
// well it does):
//   dga            lexical: a registered domain's label is random-looking (DgaModel);
//                  behaviour: a client gets NXDOMAIN for many distinct registered
//                  domains (weighted by how random each looks), then its lookups
//                  carry the verdict — including the one that resolves
//   tunnel         per name: its shape (name_shape.h); per (client, registered
//                  domain): many distinct encoded-looking names, or much information
//   nxdomain-storm per client: NXDOMAIN count and ratio over a sliding window
//   new-domain     a registered domain that resolved and nobody here looked up in
//                  the last 30 days (domain_history.h), after a learning period
//   threat-feed    the query met a threat feed's rule (the query handler matched
//                  it: policy/policy_set.h); the verdict carries feed and trigger
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "monitor/block_list.h"
#include "monitor/bounded_table.h"
#include "monitor/dga_model.h"
#include "monitor/domain_history.h"
#include "monitor/intent_limits.h"
#include "monitor/name_shape.h"
#include "monitor/query_event.h"
#include "monitor/registered_domain.h"
#include "monitor/verdict.h"
#include "policy/policy_feed.h"
#include "protocol/name.h"

namespace vigil::monitor {

struct Observation {
  std::int64_t time_ns = 0;
  std::span<const std::uint8_t> client;  // 4 or 16 octets
  const dns::Name* qname = nullptr;
  std::uint16_t qtype = 1;
  std::uint8_t rcode = 0;               // of the answer sent
  bool answered = true;                 // false: nothing was sent (a policy's drop)
  const PolicyEvent* policy = nullptr;  // the threat-feed rule it met, if any
};

struct IntentStats {
  std::size_t clients = 0, pairs = 0, alert_keys = 0;  // entries in use
  std::size_t clients_capacity = 0, pairs_capacity = 0, alert_keys_capacity = 0;
  std::size_t history_bytes = 0;        // the domain history's filters
  std::uint32_t history_first_day = 0;  // the day the history began (Unix seconds / 86400), 0: not yet
  std::uint64_t evictions = 0;
  std::array<std::uint64_t, kIntentCategoryCount> verdicts{};
  std::array<std::uint64_t, kIntentCategoryCount> alerts{};
  std::size_t blocked_domains = 0;  // on the block list now
};

class IntentEngine {
 public:
  IntentEngine(const IntentOptions& options, std::shared_ptr<const DgaModel> model,
               std::shared_ptr<const PublicSuffixList> psl);

  // Appends this query's verdicts (none for most) to `out`.
  void observe(const Observation& o, std::vector<Verdict>& out);
  IntentStats stats() const;
  const IntentOptions& options() const { return options_; }

  // The newly-observed-domain history, to a file and back (at shutdown and
  // start); load() keeps the history it has when the file will not do.
  bool save_history(const std::string& path, std::string* error) const;

  // The domains blocked at `now_s` (Unix seconds), when that changed (a
  // domain added, lifted or expired) since the last call, or always with
  // `force`; null when it did not.
  std::shared_ptr<const BlockList> take_block_list(std::uint32_t now_s, bool force = false);
  // What is blocked now, for vigilctl blocked: the domain, why, until when.
  struct BlockedDomain {
    std::string domain;  // lower case, no trailing dot
    IntentCategory why{};
    std::uint32_t until_s = 0;
  };
  std::vector<BlockedDomain> blocked(std::uint32_t now_s) const;
  // Lifts the block on `domain` (as blocked() names it); false when it was
  // not blocked. A later verdict may block it again: intent.allow keeps it off.
  bool unblock(std::string_view domain);
  bool load_history(const std::string& path, std::string* error);

 private:
  static constexpr std::size_t kDgaRing = 16;
  static constexpr std::size_t kStormBuckets = 6;
  struct NxDomain {
    std::uint32_t hash = 0;
    std::uint32_t time_s = 0;
    std::uint8_t weight = 0;  // in halves (2 = one domain)
  };
  struct ClientState {
    // NXDOMAIN storm: answers in the window's kStormBuckets slices, the
    // newest (number `bucket`) first.
    std::uint32_t bucket = 0;
    std::array<std::uint16_t, kStormBuckets> total{}, nx{};
    // DGA: the last distinct registered domains answered NXDOMAIN.
    std::array<NxDomain, kDgaRing> nx_domains{};
    std::uint8_t nx_next = 0;
    std::uint32_t dga_flagged_s = 0;  // 0: not flagged
  };
  struct PairState {
    std::uint32_t window_start_s = 0;
    std::uint32_t queries = 0;
    std::array<std::uint64_t, 2> seen{};  // the names below the domain, a 128-bit linear counter
    std::uint32_t encoded = 0;            // distinct names that looked encoded
    float bits = 0;                       // information in distinct names
    std::uint32_t flagged_s = 0;          // 0: not flagged
  };

  // What the detectors work out from a name alone, remembered for recent
  // names in a direct-mapped table (a resolver's traffic repeats itself:
  // the Public Suffix List and the model are asked once per name; its size
  // is in intent_limits.h).
  static constexpr std::size_t kMemo = kNameFactsMemo;
  struct NameFacts {
    std::vector<std::uint8_t> key;       // the name's wire form, as asked (case kept: it is evidence)
    std::string lower;                   // presentation form, lower case, without the trailing dot
    std::uint64_t lower_hash = 0;        // of the lower-case wire form
    bool skip = false;                   // .arpa, or a special-use TLD: not for the dga and tunnel detectors
    std::string_view icann, registered;  // into `lower`; registered only when icann is not empty
    LexicalScore lex;                    // of icann's label
    NameShape shape;
    std::uint32_t history_day = 0;  // the day icann was last recorded in the domain history
  };
  NameFacts& facts_of(const dns::Name& qname);

  void dga(const Observation& o, std::uint32_t now, std::uint64_t client_key, ClientState& c,
           const NameFacts& f, std::vector<Verdict>& out);
  void storm(const Observation& o, std::uint32_t now, std::uint64_t client_key, ClientState& c,
             std::vector<Verdict>& out);
  void tunnel(const Observation& o, std::uint32_t now, std::uint64_t client_key, const NameFacts& f,
              std::vector<Verdict>& out);
  void feed(const Observation& o, std::uint32_t now, std::uint64_t client_key, std::vector<Verdict>& out);
  void new_domain(const Observation& o, std::uint32_t now, std::uint64_t client_key, NameFacts& f,
                  std::vector<Verdict>& out);
  void emit(std::uint32_t now, std::uint64_t client_key, Verdict v, std::vector<Verdict>& out);

  IntentOptions options_;
  std::shared_ptr<const DgaModel> model_;
  std::shared_ptr<const PublicSuffixList> psl_;
  BoundedTable<ClientState> clients_;
  BoundedTable<PairState> pairs_;
  BoundedTable<std::uint32_t> alerted_;     // (client, category, domain) → when alerted
  std::unique_ptr<DomainHistory> history_;  // null: new_domain is off
  struct Blocked {
    dns::Name domain;
    std::uint32_t until = 0;
    IntentCategory why{};
  };
  bool allowed(std::string_view domain) const;
  BoundedTable<Blocked> blocked_;
  bool block_changed_ = false;
  std::uint32_t next_expiry_ = 0;  // the earliest `until` in the published list (0: none)
  std::uint32_t now_ = 0;          // the latest observation's time
  std::array<std::uint64_t, kIntentCategoryCount> verdicts_{};
  std::array<std::uint64_t, kIntentCategoryCount> alerts_{};
  std::vector<NameFacts> memo_;
};

}  // namespace vigil::monitor
