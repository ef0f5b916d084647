#include "server/metrics_provider.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "protocol/message.h"
#include "server/counter_table.h"
#include "server/version.h"

namespace vigil::server {

namespace {

// A latency histogram in Prometheus's terms: seconds, cumulative buckets.
monitor::MetricSample histogram_sample(monitor::MetricSample::Labels labels,
                                       const util::HistogramSnapshot& h) {
  std::vector<std::pair<double, std::uint64_t>> buckets;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < util::kLatencyBucketCount; ++i) {
    cumulative += h.buckets[i];
    const double bound = i < util::kLatencyBucketsUs.size()
                             ? static_cast<double>(util::kLatencyBucketsUs[i]) / 1e6
                             : std::numeric_limits<double>::infinity();
    buckets.emplace_back(bound, cumulative);
  }
  return {std::move(labels), static_cast<double>(cumulative), std::move(buckets),
          static_cast<double>(h.sum_ns) / 1e9};
}

// RCODE samples: the six common ones always (so a rate() has a series to
// start from), the others once seen.
std::vector<monitor::MetricSample> rcode_samples(const std::array<std::uint64_t, 16>& counts) {
  std::vector<monitor::MetricSample> out;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (i > 5 && counts[i] == 0) continue;
    out.push_back(
        {{{"rcode", dns::rcode_to_string(static_cast<dns::Rcode>(i))}}, static_cast<double>(counts[i])});
  }
  return out;
}

}  // namespace

void collect_server_metrics(std::vector<monitor::MetricFamilyData>& out, const StatsSnapshot& s,
                            std::size_t tcp_buffered, std::size_t tcp_open, const UdpSocketState& udp) {
  using T = monitor::MetricFamilyData::Type;
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  out.push_back({"vigil_queries_total",
                 "Client queries received, by transport.",
                 T::kCounter,
                 {{{{"transport", "udp"}}, d(s.udp_queries)}, {{{"transport", "tcp"}}, d(s.tcp_queries)}}});
  monitor::MetricFamilyData qtypes{"vigil_queries_by_qtype_total",
                                   "Client queries by QTYPE (types seen so far; \"other\" above CAA).",
                                   T::kCounter,
                                   {}};
  for (std::size_t i = 0; i < s.qtypes.size(); ++i) {
    if (s.qtypes[i] == 0) continue;
    qtypes.samples.push_back(
        {{{"qtype",
           i > kMaxCountedQtype ? std::string("other") : dns::type_to_string(static_cast<dns::RRType>(i))}},
         d(s.qtypes[i])});
  }
  out.push_back(std::move(qtypes));
  out.push_back({"vigil_responses_by_rcode_total", "Responses sent to clients, by RCODE.", T::kCounter,
                 rcode_samples(s.rcodes)});
  monitor::MetricFamilyData by_cache{"vigil_responses_by_cache_total",
                                     "Client queries by cache status: hit, miss (resolved), stale (served "
                                     "after a failed resolution), local, none (dropped, refused, malformed).",
                                     T::kCounter,
                                     {}};
  for (std::size_t i = 0; i < monitor::kCacheStatusCount; ++i) {
    by_cache.samples.push_back({{{"cache", monitor::cache_status_name(static_cast<monitor::CacheStatus>(i))}},
                                d(s.cache_status[i])});
  }
  out.push_back(std::move(by_cache));
  out.push_back({"vigil_response_duration_seconds",
                 "Time from receiving a query to sending its answer: hit (answered from what the worker "
                 "had) or miss (after a resolution).",
                 T::kHistogram,
                 {histogram_sample({{"cache", "hit"}}, s.latency_hit),
                  histogram_sample({{"cache", "miss"}}, s.latency_miss)}});
  monitor::MetricFamilyData outcomes{"vigil_responses_total",
                                     "Client queries by how they ended (answered, negative, local, servfail, "
                                     "refused_acl, dropped_acl, formerr, ...).",
                                     T::kCounter,
                                     {}};
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    const auto o = static_cast<Outcome>(i);
    if (o == Outcome::kNeedsResolution) continue;  // an intermediate step, not an ending
    outcomes.samples.push_back({{{"outcome", std::string(outcome_name(o))}}, d(s.outcomes[i])});
  }
  out.push_back(std::move(outcomes));
  append_metrics(out, listener_counters(), ListenerCounters{s, tcp_open, tcp_buffered, udp});
}

void collect_cache_metrics(std::vector<monitor::MetricFamilyData>& out, const cache::CacheStats& c) {
  append_metrics(out, cache_counters(), c);
}

void collect_engine_metrics(std::vector<monitor::MetricFamilyData>& out, Recursion& recursion,
                            const StatsSnapshot& s, std::size_t resolutions_in_flight) {
  using T = monitor::MetricFamilyData::Type;
  auto one = [&](const char* name, const char* help, T type, double v) {
    out.push_back({name, help, type, {{{}, v}}});
  };
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  resolver::Engine& e = recursion.engine();
  const resolver::UpstreamStats& u = e.upstream_stats();
  out.push_back(
      {"vigil_upstream_queries_total",
       "Queries sent to authoritative (or forwarding) servers, by transport.",
       T::kCounter,
       {{{{"transport", "udp"}}, d(u.queries_udp.get())}, {{{"transport", "tcp"}}, d(u.queries_tcp.get())}}});
  one("vigil_upstream_timeouts_total", "Upstream queries that got no answer in time.", T::kCounter,
      d(u.timeouts.get()));
  one("vigil_upstream_network_errors_total", "Upstream sends or TCP connections that failed.", T::kCounter,
      d(u.network_errors.get()));
  out.push_back(
      {"vigil_upstream_fallbacks_total",
       "Upstream queries asked again another way: tcp (the reply was truncated), no_edns (the "
       "server rejected EDNS).",
       T::kCounter,
       {{{{"kind", "tcp"}}, d(u.tcp_fallbacks.get())}, {{{"kind", "no_edns"}}, d(u.edns_fallbacks.get())}}});
  std::array<std::uint64_t, 16> upstream_rcodes{};
  for (std::size_t i = 0; i < upstream_rcodes.size(); ++i) upstream_rcodes[i] = u.rcodes[i].get();
  out.push_back({"vigil_upstream_responses_total", "Upstream replies taken, by RCODE.", T::kCounter,
                 rcode_samples(upstream_rcodes)});
  out.push_back({"vigil_upstream_rtt_seconds",
                 "Round-trip time of upstream replies taken.",
                 T::kHistogram,
                 {histogram_sample({}, u.rtt.snapshot())}});
  one("vigil_resolver_inflight", "Resolutions running now.", T::kGauge, d(e.inflight()));
  one("vigil_resolver_waiters", "Client questions waiting on an identical resolution in flight.", T::kGauge,
      d(e.inflight_waiters()));
  const EngineCounters counters{recursion, s, resolutions_in_flight};
  append_metrics(out, engine_counters(), counters);
  monitor::MetricFamilyData limits{
      "vigil_resolver_limits_hit_total",
      "Resolutions that ran into one of the engine's limits (resolver/limits.h): "
      "upstream_queries, time_budget, referrals, cname_chain, ns_resolutions "
      "(the NXNS bound), ns_nxdomains.",
      T::kCounter,
      {}};
  for (std::size_t i = 0; i < resolver::kLimitHitCount; ++i) {
    limits.samples.push_back(
        {{{"limit", std::string(resolver::limit_hit_name(static_cast<resolver::LimitHit>(i)))}},
         d(u.limits_hit[i].get())});
  }
  out.push_back(std::move(limits));
  append_metrics(out, resolution_counters(), counters);
}

void collect_query_log_metrics(std::vector<monitor::MetricFamilyData>& out, const monitor::QueryLogStats& q) {
  using T = monitor::MetricFamilyData::Type;
  auto one = [&](const char* name, const char* help, T type, double v) {
    out.push_back({name, help, type, {{{}, v}}});
  };
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  one("vigil_querylog_enabled", "Whether the query log is on.", T::kGauge, q.file_open ? 1 : 0);
  append_metrics(out, query_log_counters(), q);
  one("vigil_intent_enabled", "Whether the intent detectors run.", T::kGauge, q.intent_enabled ? 1 : 0);
  monitor::MetricFamilyData verdicts{"vigil_intent_verdicts_total",
                                     "Queries the intent detectors gave a verdict, by category.",
                                     T::kCounter,
                                     {}};
  monitor::MetricFamilyData alerts{
      "vigil_intent_alerts_total",
      "Alerts raised (one per client, category and domain per suppression window), "
      "by category.",
      T::kCounter,
      {}};
  for (std::size_t i = 0; i < monitor::kIntentCategoryCount; ++i) {
    const char* category = monitor::intent_category_name(static_cast<monitor::IntentCategory>(i));
    verdicts.samples.push_back({{{"category", category}}, d(q.intent.verdicts[i])});
    alerts.samples.push_back({{{"category", category}}, d(q.intent.alerts[i])});
  }
  out.push_back(std::move(verdicts));
  out.push_back(std::move(alerts));
  out.push_back(
      {"vigil_intent_alert_lines_total",
       "Alert stream lines, by result.",
       T::kCounter,
       {{{{"result", "written"}}, d(q.alerts_written)}, {{{"result", "write_error"}}, d(q.alerts_dropped)}}});
  out.push_back({"vigil_intent_tracked",
                 "Entries in use in the detectors' fixed-size tables: clients, (client, domain) pairs, "
                 "alert suppression keys, who-resolved's (address, client, name) resolutions.",
                 T::kGauge,
                 {{{{"table", "clients"}}, d(q.intent.clients)},
                  {{{"table", "pairs"}}, d(q.intent.pairs)},
                  {{{"table", "alert_keys"}}, d(q.intent.alert_keys)},
                  {{{"table", "resolutions"}}, d(q.resolutions)}}});
  out.push_back({"vigil_intent_capacity",
                 "Size of the detectors' tables (intent.max_*); they never grow.",
                 T::kGauge,
                 {{{{"table", "clients"}}, d(q.intent.clients_capacity)},
                  {{{"table", "pairs"}}, d(q.intent.pairs_capacity)},
                  {{{"table", "alert_keys"}}, d(q.intent.alert_keys_capacity)},
                  {{{"table", "resolutions"}}, d(q.resolutions_capacity)}}});
  one("vigil_intent_evictions_total", "Table entries forgotten to make room for new ones.", T::kCounter,
      d(q.intent.evictions));
  if (q.resolutions_capacity > 0) {
    // How far back vigilctl who-resolved is complete: the window, or less
    // when entries still inside it had to make room.
    const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
    const std::int64_t back =
        std::clamp<std::int64_t>(now_ns - q.resolutions_complete_after_ns, 0, q.resolutions_window_ns);
    one("vigil_who_resolved_lookback_seconds",
        "How far back vigilctl who-resolved is complete: intent.who_resolved_window, or less when the "
        "index "
        "(intent.who_resolved_entries) had to forget resolutions still inside it.",
        T::kGauge, static_cast<double>(back) / 1e9);
  }
}

void collect_top_metrics(std::vector<monitor::MetricFamilyData>& out,
                         const std::array<std::vector<std::size_t>, 4>& tops) {
  using T = monitor::MetricFamilyData::Type;
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  monitor::MetricFamilyData top{
      "vigil_top_queries",
      "Queries of the busiest registered domains (domains), clients, NXDOMAIN'd domains (nxdomain) and "
      "blocked domains among the recent queries (intent.recent_queries), by rank 1-10; vigilctl top "
      "names them.",
      T::kGauge,
      {}};
  for (std::size_t k = 0; k < tops.size(); ++k) {
    for (std::size_t r = 0; r < tops[k].size(); ++r) {
      top.samples.push_back(
          {{{"kind", monitor::RecentActivity::kTopKinds[k]}, {"rank", std::to_string(r + 1)}},
           d(tops[k][r])});
    }
  }
  out.push_back(std::move(top));
}

void collect_feed_metrics(std::vector<monitor::MetricFamilyData>& out, const PolicyLoader& feeds) {
  using T = monitor::MetricFamilyData::Type;
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  monitor::MetricFamilyData feed_queries{
      "vigil_policy_queries_total",
      "Queries that met a threat feed's rule, by feed, action and mode (enforce: the answer was "
      "rewritten, or let through for passthru; log: a log-only feed's match, the answer untouched).",
      T::kCounter,
      {}};
  for (const auto& [name, counts] : feeds.all_counters()) {
    for (std::size_t a = 0; a < policy::kPolicyActionCount; ++a) {
      const std::string action(policy::policy_action_name(static_cast<policy::PolicyAction>(a)));
      const auto enforced = counts->enforced[a].load(std::memory_order_relaxed);
      const auto logged = counts->logged[a].load(std::memory_order_relaxed);
      if (enforced > 0)
        feed_queries.samples.push_back(
            {{{"feed", name}, {"action", action}, {"mode", "enforce"}}, d(enforced)});
      if (logged > 0)
        feed_queries.samples.push_back({{{"feed", name}, {"action", action}, {"mode", "log"}}, d(logged)});
    }
  }
  out.push_back(std::move(feed_queries));
  monitor::MetricFamilyData triggers{
      "vigil_policy_triggers", "Triggers in each threat feed's version in force, by type.", T::kGauge, {}};
  monitor::MetricFamilyData serial{
      "vigil_policy_serial", "The SOA serial of each RPZ feed's version in force.", T::kGauge, {}};
  monitor::MetricFamilyData loaded{"vigil_policy_loaded_time_seconds",
                                   "When each feed's version in force was read, Unix seconds.",
                                   T::kGauge,
                                   {}};
  monitor::MetricFamilyData failures{
      "vigil_policy_load_failures_total",
      "Versions of each feed rejected as broken (the feed kept its last good one).",
      T::kCounter,
      {}};
  monitor::MetricFamilyData bytes{"vigil_policy_memory_bytes", "Memory of each feed's index.", T::kGauge, {}};
  for (const auto& st : feeds.status()) {
    const std::string& name = st.config.name;
    if (st.feed) {
      triggers.samples.push_back({{{"feed", name}, {"type", "qname"}}, d(st.feed->name_triggers())});
      triggers.samples.push_back({{{"feed", name}, {"type", "response-ip"}}, d(st.feed->address_triggers())});
      serial.samples.push_back({{{"feed", name}}, d(st.feed->serial())});
      bytes.samples.push_back({{{"feed", name}}, d(st.feed->memory_bytes())});
    }
    loaded.samples.push_back({{{"feed", name}}, static_cast<double>(st.loaded_at)});
    failures.samples.push_back({{{"feed", name}}, d(st.failures)});
  }
  out.push_back(std::move(triggers));
  out.push_back(std::move(serial));
  out.push_back(std::move(loaded));
  out.push_back(std::move(failures));
  out.push_back(std::move(bytes));
}

void collect_intent_tail_metrics(std::vector<monitor::MetricFamilyData>& out, const monitor::QueryLogStats& q,
                                 std::size_t blocked_domains) {
  using T = monitor::MetricFamilyData::Type;
  auto one = [&](const char* name, const char* help, T type, double v) {
    out.push_back({name, help, type, {{{}, v}}});
  };
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  one("vigil_intent_blocked_domains",
      "Domains on the detectors' block list now (a detector's action: block).", T::kGauge,
      d(blocked_domains));  // what the query path blocks, not a count beside it
  one("vigil_intent_history_bytes", "Memory of the newly-observed-domain history (fixed by its settings).",
      T::kGauge, d(q.intent.history_bytes));
  one("vigil_intent_history_start_time_seconds",
      "When the domain history began, Unix seconds at a day's granularity (new-domain verdicts wait for "
      "intent.new_domain.learning); 0 before its first domain.",
      T::kGauge, d(std::uint64_t{q.intent.history_first_day} * 86400));
}

void collect_build_metrics(std::vector<monitor::MetricFamilyData>& out, std::time_t started_wall) {
  using T = monitor::MetricFamilyData::Type;
  auto one = [&](const char* name, const char* help, T type, double v) {
    out.push_back({name, help, type, {{{}, v}}});
  };
  out.push_back({"vigil_build_info",
                 "Version and commit of this vigild (always 1).",
                 T::kGauge,
                 {{{{"version", kVersion}, {"commit", kGitCommit}}, 1}}});
  one("vigil_start_time_seconds", "When vigild started, Unix seconds.", T::kGauge,
      static_cast<double>(started_wall));
}

}  // namespace vigil::server
