#include "monitor/intent.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "monitor/name_shape.h"
#include "util/hash.h"

namespace vigil::monitor {

namespace {

constexpr std::uint8_t kNxdomain = 3;

// Labels in a presentation-form name (an escaped "\." is not a separator).
std::size_t label_count(std::string_view name) {
  if (name.empty()) return 0;
  std::size_t n = 1;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') {
      ++i;
    } else if (name[i] == '.') {
      ++n;
    }
  }
  return n;
}

void append_number(std::string& out, const char* key, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s\"%s\":%.1f", out.empty() ? "" : ",", key, v);
  out += buf;
}

void append_count(std::string& out, const char* key, std::uint64_t v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s\"%s\":%llu", out.empty() ? "" : ",", key,
                static_cast<unsigned long long>(v));
  out += buf;
}

// A string member; `value` is escaped as JSON needs (names in
// presentation form may carry backslashes and quotes).
void append_text(std::string& out, const char* key, std::string_view value) {
  out += out.empty() ? "\"" : ",\"";
  out += key;
  out += "\":\"";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

void append_flag(std::string& out, const char* key) {
  out += out.empty() ? "\"" : ",\"";
  out += key;
  out += "\":true";
}

// RFC 6761/7686 special-use and private-use top-level names: never
// registered, so neither a DGA's nor a tunnel's (a Tor address leaking into
// DNS is a misconfiguration, not a tunnel).
bool special_use(std::string_view name) {
  const std::string_view tld = name.substr(name.rfind('.') + 1);
  for (std::string_view s : {"onion", "local", "localhost", "test", "invalid", "example", "internal", "lan",
                             "home", "corp", "localdomain"}) {
    if (tld == s) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<const BlockList> IntentEngine::take_block_list(std::uint32_t now_s, bool force) {
  const std::uint32_t now = std::max(now_s, now_);
  const bool expired = next_expiry_ != 0 && next_expiry_ <= now;
  if (!block_changed_ && !expired && !force) return nullptr;
  std::vector<dns::Name> domains;
  std::uint32_t next = 0;
  blocked_.for_each([&](std::uint64_t, std::uint32_t, const Blocked& b) {
    if (b.until <= now) return;
    domains.push_back(b.domain);
    if (next == 0 || b.until < next) next = b.until;
  });
  block_changed_ = false;
  next_expiry_ = next;
  return std::make_shared<const BlockList>(domains, options_.block_rcode);
}

std::vector<IntentEngine::BlockedDomain> IntentEngine::blocked(std::uint32_t now_s) const {
  const std::uint32_t now = std::max(now_s, now_);
  std::vector<BlockedDomain> out;
  blocked_.for_each([&](std::uint64_t, std::uint32_t, const Blocked& b) {
    if (b.until <= now) return;
    std::string d = b.domain.lowercased().to_text();
    if (d.size() > 1) d.pop_back();
    out.push_back({std::move(d), b.why, b.until});
  });
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.domain < y.domain; });
  return out;
}

bool IntentEngine::unblock(std::string_view domain) {
  std::string d(domain);
  if (d.size() > 1 && d.ends_with('.')) d.pop_back();
  for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Blocked entries are keyed by the verdict's domain text (emit()).
  Blocked* b = blocked_.find(util::fnv1a(d));
  if (b == nullptr || b->until == 0) return false;
  const bool was = b->until > now_;
  b->until = 0;
  block_changed_ = true;
  return was;
}

bool IntentEngine::allowed(std::string_view domain) const {
  for (const auto& a : options_.allow) {
    if (domain == a ||
        (domain.size() > a.size() && domain.ends_with(a) && domain[domain.size() - a.size() - 1] == '.'))
      return true;
  }
  return false;
}

const char* intent_category_name(IntentCategory c) {
  switch (c) {
    case IntentCategory::kDga: return "dga";
    case IntentCategory::kTunnel: return "tunnel";
    case IntentCategory::kNxdomainStorm: return "nxdomain-storm";
    case IntentCategory::kNewDomain: return "new-domain";
    case IntentCategory::kThreatFeed: return "threat-feed";
  }
  return "dga";
}

IntentEngine::IntentEngine(const IntentOptions& options, std::shared_ptr<const DgaModel> model,
                           std::shared_ptr<const PublicSuffixList> psl)
    : options_(options),
      model_(std::move(model)),
      psl_(std::move(psl)),
      clients_(options.max_clients),
      pairs_(options.max_pairs),
      alerted_(options.max_alert_keys),
      blocked_(options.max_blocked),
      memo_(kMemo) {
  if (options.new_domain) {
    history_ = std::make_unique<DomainHistory>(options.new_domain_days, options.new_domain_per_day);
  }
}

bool IntentEngine::save_history(const std::string& path, std::string* error) const {
  if (!history_) return true;
  return history_->save(path, error);
}

bool IntentEngine::load_history(const std::string& path, std::string* error) {
  if (!history_) return true;
  auto loaded = DomainHistory::load(path, options_.new_domain_days, options_.new_domain_per_day, error);
  if (!loaded) return false;
  *history_ = std::move(*loaded);
  for (auto& f : memo_) f.history_day = 0;
  return true;
}

IntentStats IntentEngine::stats() const {
  IntentStats s;
  s.clients = clients_.size();
  s.pairs = pairs_.size();
  s.alert_keys = alerted_.size();
  s.clients_capacity = clients_.capacity();
  s.pairs_capacity = pairs_.capacity();
  s.alert_keys_capacity = alerted_.capacity();
  s.evictions = clients_.evictions() + pairs_.evictions() + alerted_.evictions();
  if (history_) {
    s.history_bytes = history_->memory_bytes();
    s.history_first_day = history_->first_day();
  }
  s.verdicts = verdicts_;
  blocked_.for_each(
      [&](std::uint64_t, std::uint32_t, const Blocked& b) { s.blocked_domains += b.until > now_; });
  s.alerts = alerts_;
  return s;
}

void IntentEngine::observe(const Observation& o, std::vector<Verdict>& out) {
  if (o.qname == nullptr || o.qname->is_root()) return;
  const auto now = static_cast<std::uint32_t>(std::max<std::int64_t>(o.time_ns / 1'000'000'000, 1));
  now_ = std::max(now_, now);
  const std::uint64_t client_key = util::fnv1a(o.client);
  bool fresh = false;
  ClientState& c = clients_.touch(client_key, now, &fresh);

  if (o.policy != nullptr && o.policy->hit) feed(o, now, client_key, out);
  NameFacts& f = facts_of(*o.qname);
  // Reverse lookups fail all the time (addresses without PTR records), and
  // single-label names are browsers' probes: neither is a storm's matter.
  const bool arpa = f.lower == "arpa" || f.lower.ends_with(".arpa");
  // A query dropped unanswered has no RCODE for the storm detector and did
  // not resolve, so it is no new domain seen; its name is still the
  // client's intent.
  if (o.answered && !arpa && o.qname->label_count() > 1) storm(o, now, client_key, c, out);
  if (f.skip) return;
  dga(o, now, client_key, c, f, out);
  tunnel(o, now, client_key, f, out);
  if (o.answered) new_domain(o, now, client_key, f, out);
}

// A threat feed's rule met (the query handler enforced it, or a log-only
// feed saw it): always worth an analyst's look. The domain is the rule's
// trigger (without "*."), so one alert covers a wildcard's names.
void IntentEngine::feed(const Observation& o, std::uint32_t now, std::uint64_t client_key,
                        std::vector<Verdict>& out) {
  const PolicyEvent& p = *o.policy;
  Verdict v;
  v.category = IntentCategory::kThreatFeed;
  std::string_view trigger = p.trigger_text();
  if (trigger.starts_with("*.")) trigger.remove_prefix(2);
  if (trigger.size() > 1 && trigger.ends_with('.')) trigger.remove_suffix(1);
  v.domain = std::string(trigger);
  v.score = 1;
  append_text(v.evidence, "feed", p.feed_name());
  append_text(v.evidence, "trigger", p.trigger_text());
  append_text(v.evidence, "trigger_type", p.address ? "response-ip" : "qname");
  append_text(v.evidence, "action", policy::policy_action_name(static_cast<policy::PolicyAction>(p.action)));
  append_text(v.evidence, "mode", p.enforced ? "enforce" : "log");
  emit(now, client_key, std::move(v), out);
}

// A registered domain that resolved and was not looked up here in the last
// new_domain_days: each name is checked against the history once a day.
void IntentEngine::new_domain(const Observation& o, std::uint32_t now, std::uint64_t client_key, NameFacts& f,
                              std::vector<Verdict>& out) {
  if (!history_ || f.icann.empty() || o.rcode != 0) return;
  const std::uint32_t today = now / 86400;
  if (f.history_day == today) return;  // recorded today already
  f.history_day = today;
  if (history_->seen_then_add(f.icann, now)) return;
  const std::uint32_t age = today - history_->first_day();
  if (age < options_.new_domain_learning_days) return;  // still learning what is usual here
  Verdict v;
  v.category = IntentCategory::kNewDomain;
  v.domain = std::string(f.icann);
  v.score = std::min(age, options_.new_domain_days);
  append_count(v.evidence, "history_days", std::min(age, options_.new_domain_days));
  emit(now, client_key, std::move(v), out);
}

IntentEngine::NameFacts& IntentEngine::facts_of(const dns::Name& qname) {
  const std::span<const std::uint8_t> wire = qname.wire();
  NameFacts& f = memo_[util::fnv1a(wire) % kMemo];
  if (std::equal(wire.begin(), wire.end(), f.key.begin(), f.key.end())) return f;
  f.key.assign(wire.begin(), wire.end());
  f.history_day = 0;
  f.lower.clear();
  const dns::Name lower = qname.lowercased();
  f.lower_hash = util::fnv1a(lower.wire());
  lower.append_text(f.lower);
  if (!f.lower.empty() && f.lower.back() == '.') f.lower.pop_back();
  const std::string_view name(f.lower);
  // Reverse lookups are the resolver's business, not a registration.
  f.skip = name == "arpa" || name.ends_with(".arpa") || special_use(name);
  f.icann = f.registered = {};
  f.lex = {};
  f.shape = {};
  if (f.skip) return f;
  f.icann = psl_->icann_domain(name);
  if (!f.icann.empty()) f.registered = psl_->registered_domain(name);
  if (model_ && !model_->empty()) {
    if (!f.icann.empty()) f.lex = model_->score(f.icann.substr(0, f.icann.find('.')));
    f.shape = shape_of(qname, label_count(f.registered), *model_);
  }
  return f;
}

void IntentEngine::emit(std::uint32_t now, std::uint64_t client_key, Verdict v, std::vector<Verdict>& out) {
  const auto category = static_cast<std::size_t>(v.category);
  const std::uint64_t key = util::fnv1a(v.domain, client_key * 31 + category + 1);
  ++verdicts_[category];
  const bool block = v.alertable && !v.domain.empty() &&
                     ((v.category == IntentCategory::kDga && options_.dga_block) ||
                      (v.category == IntentCategory::kTunnel && options_.tunnel_block) ||
                      (v.category == IntentCategory::kNewDomain && options_.new_domain_block));
  if (block && allowed(v.domain)) {
    append_flag(v.evidence, "allowed");  // intent.allow: a verdict, never a block
  } else if (block) {
    auto name = dns::Name::from_text(v.domain + ".");
    if (name.ok()) {
      bool fresh_block = false;
      Blocked& b = blocked_.touch(util::fnv1a(v.domain), now, &fresh_block);
      if (fresh_block || b.until <= now) block_changed_ = true;  // new on the list
      b.domain = *name;
      b.until = now + options_.block_for_s;
      b.why = v.category;
      v.blocked = true;
      append_flag(v.evidence, "blocked");
    }
  }
  if (!v.alertable) {
    out.push_back(std::move(v));
    return;
  }
  bool fresh = false;
  std::uint32_t& last = alerted_.touch(key, now, &fresh);
  if (fresh || now - last >= options_.alert_suppress_s) {
    last = now;
    v.alert = true;
    ++alerts_[category];
  }
  out.push_back(std::move(v));
}

// DGA: the registered domain's label (lexical), and the client's NXDOMAIN
// answers for distinct registered domains (behaviour).
void IntentEngine::dga(const Observation& o, std::uint32_t now, std::uint64_t client_key, ClientState& c,
                       const NameFacts& f, std::vector<Verdict>& out) {
  if (f.icann.empty() || !model_ || model_->empty()) return;
  const std::string_view icann = f.icann;
  const LexicalScore& lex = f.lex;

  double weighted = 0;
  if (o.rcode == kNxdomain) {
    const auto hash = static_cast<std::uint32_t>(util::fnv1a(icann));
    const std::uint8_t weight =
        lex.low ? 2 : static_cast<std::uint8_t>(std::lround(options_.dga_plain_weight * 2));
    auto it = std::find_if(c.nx_domains.begin(), c.nx_domains.end(),
                           [&](const NxDomain& d) { return d.weight > 0 && d.hash == hash; });
    if (it != c.nx_domains.end()) {
      it->time_s = now;
    } else {
      c.nx_domains[c.nx_next] = {hash, now, weight};
      c.nx_next = static_cast<std::uint8_t>((c.nx_next + 1) % kDgaRing);
    }
    for (const NxDomain& d : c.nx_domains) {
      if (d.weight > 0 && now - d.time_s < options_.dga_window_s) weighted += d.weight / 2.0;
    }
    if (weighted >= options_.dga_nx_threshold) c.dga_flagged_s = now;
  }
  const bool behaving = c.dga_flagged_s != 0 && now - c.dga_flagged_s < options_.dga_window_s;
  // A flagged client's NXDOMAIN lookups, and its lookups that resolve and
  // look like them (the one that answers is the one to block).
  const bool by_behaviour = behaving && (o.rcode == kNxdomain || lex.low);
  if (!lex.high && !by_behaviour) return;

  Verdict v;
  v.category = IntentCategory::kDga;
  v.domain = std::string(icann);
  v.score = lex.surprise;
  v.alertable = behaving;
  append_number(v.evidence, "surprise_bits", lex.surprise);
  if (lex.high) append_flag(v.evidence, "lexical");
  if (behaving) {
    if (weighted == 0) {
      for (const NxDomain& d : c.nx_domains) {
        if (d.weight > 0 && now - d.time_s < options_.dga_window_s) weighted += d.weight / 2.0;
      }
    }
    append_number(v.evidence, "client_nxdomain_domains", weighted);
    if (o.rcode != kNxdomain) append_flag(v.evidence, "resolved");
  }
  emit(now, client_key, std::move(v), out);
}

// NXDOMAIN storm: the client's NXDOMAIN count and ratio over a sliding
// window, kept in kStormBuckets slices (the window is the last full slices
// and the current one).
void IntentEngine::storm(const Observation& o, std::uint32_t now, std::uint64_t client_key, ClientState& c,
                         std::vector<Verdict>& out) {
  const std::uint32_t width =
      std::max<std::uint32_t>(options_.storm_window_s / static_cast<std::uint32_t>(kStormBuckets), 1);
  const std::uint32_t bucket = now / width;
  if (bucket != c.bucket) {
    const std::uint32_t shift = bucket > c.bucket ? bucket - c.bucket : kStormBuckets;
    for (std::size_t i = kStormBuckets; i-- > 0;) {
      const bool kept = i >= shift;
      c.total[i] = kept ? c.total[i - shift] : 0;
      c.nx[i] = kept ? c.nx[i - shift] : 0;
    }
    c.bucket = bucket;
  }
  auto bump = [](std::uint16_t& n) { n = static_cast<std::uint16_t>(n == 0xFFFF ? n : n + 1); };
  bump(c.total[0]);
  if (o.rcode != kNxdomain) return;
  bump(c.nx[0]);
  std::uint32_t nx = 0, total = 0;
  for (std::size_t i = 0; i < kStormBuckets; ++i) {
    nx += c.nx[i];
    total += c.total[i];
  }
  if (nx < options_.storm_nxdomain || nx < options_.storm_ratio * total) return;
  Verdict v;
  v.category = IntentCategory::kNxdomainStorm;
  v.score = nx;
  append_count(v.evidence, "window_s", width * kStormBuckets);
  append_count(v.evidence, "nxdomain", nx);
  append_count(v.evidence, "queries", total);
  emit(now, client_key, std::move(v), out);
}

// Tunnelling: the name's shape alone, or its (client, registered domain)
// pair's distinct encoded-looking names and information.
void IntentEngine::tunnel(const Observation& o, std::uint32_t now, std::uint64_t client_key,
                          const NameFacts& f, std::vector<Verdict>& out) {
  if (!model_ || model_->empty()) return;
  const std::string_view registered = f.registered;
  const NameShape& shape = f.shape;
  // NULL (10) and PRIVATE-use types: what iodine asks for; nothing else does.
  const bool tunnel_type = o.qtype == 10 || o.qtype >= 65280;
  const bool encoded = shape.encoded || (tunnel_type && shape.sub_labels > 0);
  bool pair_flagged = false;
  PairState* p = nullptr;
  if (shape.sub_labels > 0 && !registered.empty()) {
    bool fresh = false;
    p = &pairs_.touch(util::fnv1a(registered, client_key), now, &fresh);
    if (fresh || now - p->window_start_s >= options_.tunnel_window_s) {
      const std::uint32_t flagged = p->flagged_s;
      *p = PairState{};
      p->window_start_s = now;
      p->flagged_s = flagged;
    }
    ++p->queries;
    const std::uint64_t h = f.lower_hash;
    const std::uint64_t bit = std::uint64_t{1} << (h & 63);
    std::uint64_t& word = p->seen[(h >> 6) & 1];
    if ((word & bit) == 0) {
      word |= bit;
      if (encoded) ++p->encoded;
      p->bits += static_cast<float>(shape.info_bits);
    }
    const int zeros = 128 - std::popcount(p->seen[0]) - std::popcount(p->seen[1]);
    const double distinct = zeros == 0 ? 128.0 * std::log(128.0) : -128.0 * std::log(zeros / 128.0);
    if (p->encoded >= options_.tunnel_encoded_names ||
        (distinct >= options_.tunnel_min_names && static_cast<double>(p->bits) >= options_.tunnel_bits &&
         static_cast<double>(p->bits) >= options_.tunnel_mean_bits * distinct)) {
      if (encoded || p->flagged_s == 0) p->flagged_s = now;
    }
    pair_flagged = p->flagged_s != 0 && now - p->flagged_s < options_.tunnel_window_s;
    if (pair_flagged && shape.lookup && !encoded) pair_flagged = false;
  }
  if (!shape.strong && !pair_flagged) return;

  Verdict v;
  v.category = IntentCategory::kTunnel;
  v.domain = std::string(registered);
  v.score = shape.info_bits;
  append_number(v.evidence, "name_bits", shape.info_bits);
  append_count(v.evidence, "longest_label", shape.max_label);
  if (shape.non_ldh > 0) append_count(v.evidence, "non_ldh_octets", shape.non_ldh);
  if (shape.odd_hex > 0) append_count(v.evidence, "hex_label", shape.odd_hex);
  if (shape.dnscat) append_flag(v.evidence, "dnscat");
  if (pair_flagged && p != nullptr) {
    append_count(v.evidence, "pair_queries", p->queries);
    append_count(v.evidence, "pair_encoded_names", p->encoded);
    append_number(v.evidence, "pair_bits", static_cast<double>(p->bits));
  }
  emit(now, client_key, std::move(v), out);
}

}  // namespace vigil::monitor
