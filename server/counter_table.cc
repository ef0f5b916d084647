#include "server/counter_table.h"

#include <array>

namespace vigil::server {

namespace {

using T = monitor::MetricFamilyData::Type;

using L = ListenerCounters;
constexpr std::array<CounterRow<L>, 15> kListenerRows{{
    {"udp_receive_errors", "vigil_udp_receive_errors_total", nullptr,
     "UDP receive errors (including oversized datagrams).", T::kCounter,
     [](const L& l) { return l.stats.udp_receive_errors; }},
    {"udp_send_errors", "vigil_udp_send_errors_total", nullptr, "UDP answers that could not be sent.",
     T::kCounter, [](const L& l) { return l.stats.udp_send_errors; }},
    {"udp_socket_drops", "vigil_udp_socket_drops_total", nullptr,
     "Datagrams the kernel dropped at vigild's UDP listening sockets, almost all because the receive buffer "
     "was full (the drops column of /proc/net/udp and udp6; server.udp_receive_buffer sizes the buffer).",
     T::kCounter, [](const L& l) { return l.udp.drops; }},
    {"udp_receive_buffer_bytes", "vigil_udp_receive_buffer_bytes", nullptr,
     "The receive buffer of each UDP listening socket, in octets, as the kernel gave it "
     "(server.udp_receive_buffer asks for a size; net.core.rmem_max may cap it).",
     T::kGauge, [](const L& l) { return l.udp.receive_buffer; }},
    // Early in status, last in /metrics (below): the two have always placed it so.
    {"tcp_connections_open", nullptr, nullptr, nullptr, T::kGauge,
     [](const L& l) -> std::uint64_t { return l.tcp_open; }},
    {"tcp_accepted", "vigil_tcp_connections_total", nullptr, "TCP connections accepted.", T::kCounter,
     [](const L& l) { return l.stats.tcp_accepted; }},
    {"tcp_rejected_total_limit", "vigil_tcp_connections_rejected_total", "limit=total",
     "TCP connections refused at accept, by limit.", T::kCounter,
     [](const L& l) { return l.stats.tcp_rejected_total; }},
    {"tcp_rejected_client_limit", "vigil_tcp_connections_rejected_total", "limit=per_client", nullptr,
     T::kCounter, [](const L& l) { return l.stats.tcp_rejected_client; }},
    {"tcp_idle_timeouts", "vigil_tcp_timeouts_total", "kind=idle",
     "TCP connections closed by a timeout, by kind.", T::kCounter,
     [](const L& l) { return l.stats.tcp_idle_timeouts; }},
    {"tcp_message_timeouts", "vigil_tcp_timeouts_total", "kind=message", nullptr, T::kCounter,
     [](const L& l) { return l.stats.tcp_message_timeouts; }},
    {"tcp_write_timeouts", "vigil_tcp_timeouts_total", "kind=write", nullptr, T::kCounter,
     [](const L& l) { return l.stats.tcp_write_timeouts; }},
    {nullptr, "vigil_tcp_buffered_bytes", nullptr,
     "Octets of TCP answers held for clients that have not read them yet (bounded per connection by "
     "server.tcp_max_buffered).",
     T::kGauge, [](const L& l) -> std::uint64_t { return l.tcp_buffered; }},
    {"tcp_bad_length", nullptr, nullptr, nullptr, T::kCounter,
     [](const L& l) { return l.stats.tcp_bad_length; }},
    {"tcp_closed_for_room", "vigil_tcp_closed_for_room_total", nullptr,
     "Idle TCP connections closed to admit a new one while the table was full.", T::kCounter,
     [](const L& l) { return l.stats.tcp_closed_for_room; }},
    {nullptr, "vigil_tcp_open_connections", nullptr, "TCP connections open now.", T::kGauge,
     [](const L& l) -> std::uint64_t { return l.tcp_open; }},
}};

using C = cache::CacheStats;
constexpr std::array<CounterRow<C>, 7> kCacheRows{{
    {"cache_entries", "vigil_cache_entries", nullptr, "Entries in the RRset cache.", T::kGauge,
     [](const C& c) { return c.entries; }},
    {"cache_bytes", "vigil_cache_bytes", nullptr, "Memory the RRset cache uses, in bytes.", T::kGauge,
     [](const C& c) { return c.bytes; }},
    {"cache_hits", "vigil_cache_hits_total", nullptr, "Cache lookups that found an entry.", T::kCounter,
     [](const C& c) { return c.hits; }},
    {"cache_misses", "vigil_cache_misses_total", nullptr, "Cache lookups that found nothing.", T::kCounter,
     [](const C& c) { return c.misses; }},
    {"cache_evictions", "vigil_cache_evictions_total", nullptr, "Entries evicted to stay within cache.size.",
     T::kCounter, [](const C& c) { return c.evictions; }},
    {nullptr, "vigil_cache_stale_served_total", nullptr, "Expired entries served (serve-stale, RFC 8767).",
     T::kCounter, [](const C& c) { return c.stale_served; }},
    {nullptr, "vigil_cache_prefetches_total", nullptr,
     "Popular entries reported for prefetch before they expire.", T::kCounter,
     [](const C& c) { return c.prefetch_signals; }},
}};

using Q = monitor::QueryLogStats;
constexpr std::array<CounterRow<Q>, 9> kQueryLogRows{{
    {"querylog_written", "vigil_querylog_records_total", nullptr, "Query log lines written.", T::kCounter,
     [](const Q& q) { return q.written; }},
    {"querylog_dropped_queue_full", "vigil_querylog_dropped_total", "reason=queue_full",
     "Query log records lost, by reason.", T::kCounter, [](const Q& q) { return q.dropped_queue_full; }},
    {"querylog_dropped_write_error", "vigil_querylog_dropped_total", "reason=write_error", nullptr,
     T::kCounter, [](const Q& q) { return q.dropped_write_error; }},
    {"querylog_rotations", "vigil_querylog_rotations_total", nullptr, "Query log file rotations.",
     T::kCounter, [](const Q& q) { return q.rotations; }},
    {"querylog_writer_boosts", "vigil_querylog_writer_boosts_total", nullptr,
     "Times the query-log writer fell behind and left SCHED_IDLE to catch up.", T::kCounter,
     [](const Q& q) { return q.writer_boosts; }},
    {"dnstap_connected", "vigil_dnstap_connected", nullptr, "Whether a dnstap collector is connected.",
     T::kGauge, [](const Q& q) -> std::uint64_t { return q.dnstap_connected ? 1 : 0; }},
    {"dnstap_frames", "vigil_dnstap_frames_total", nullptr, "dnstap frames written to the collector.",
     T::kCounter, [](const Q& q) { return q.dnstap.written; }},
    {"dnstap_dropped_no_collector", "vigil_dnstap_dropped_total", "reason=no_collector",
     "dnstap frames lost, by reason: no_collector (none connected, or the connection broke), "
     "queue_full (the collector did not keep up).",
     T::kCounter, [](const Q& q) { return q.dnstap.dropped_no_collector; }},
    {"dnstap_dropped_queue_full", "vigil_dnstap_dropped_total", "reason=queue_full", nullptr, T::kCounter,
     [](const Q& q) { return q.dnstap.dropped_queue_full; }},
}};

using E = EngineCounters;
constexpr std::array<CounterRow<E>, 5> kEngineRows{{
    {"resolver_coalesced_questions", "vigil_resolver_coalesced_total", nullptr,
     "Client questions that joined an identical resolution in flight.", T::kCounter,
     [](const E& e) { return e.recursion.engine().coalesced_total(); }},
    {"resolver_shared_upstream_questions", "vigil_resolver_shared_upstream_total", nullptr,
     "Upstream questions not sent because the same one to the same zone was in flight.", T::kCounter,
     [](const E& e) { return e.recursion.engine().coalesced_asks(); }},
    {"resolver_case_mismatches", "vigil_upstream_case_mismatches_total", nullptr,
     "Upstream replies that did not echo the query's 0x20 letter case.", T::kCounter,
     [](const E& e) { return e.recursion.engine().case_mismatches(); }},
    {"upstream_mismatched_replies", "vigil_upstream_mismatched_replies_total", nullptr,
     "Datagrams ignored on upstream sockets: wrong ID or question (spoofed or stray).", T::kCounter,
     [](const E& e) { return e.recursion.transport().mismatched_total(); }},
    {"infra_servers", "vigil_infra_servers", nullptr, "Upstream servers in the infrastructure cache.",
     T::kGauge, [](const E& e) -> std::uint64_t { return e.recursion.infra().size(); }},
}};

constexpr std::array<CounterRow<E>, 7> kResolutionRows{{
    {"resolutions_in_flight", "vigil_resolutions_in_flight", nullptr,
     "Cache misses holding a resolution slot now (all worker threads).", T::kGauge,
     [](const E& e) -> std::uint64_t { return e.resolutions_in_flight; }},
    {"resolutions_shed_client_limit", "vigil_resolutions_shed_total", "reason=client_limit",
     "Cache misses answered at once without a resolution (stale data, else SERVFAIL), by the "
     "limit hit: client_limit (server.max_resolutions_per_client), thread_limit "
     "(server.max_resolutions_per_thread), waiters (resolver.max_clients_per_question).",
     T::kCounter, [](const E& e) { return e.stats.resolutions_shed_client; }},
    {"resolutions_shed_thread_limit", "vigil_resolutions_shed_total", "reason=thread_limit", nullptr,
     T::kCounter, [](const E& e) { return e.stats.resolutions_shed_thread; }},
    {"resolutions_shed_waiters", "vigil_resolutions_shed_total", "reason=waiters", nullptr, T::kCounter,
     [](const E& e) { return e.recursion.engine().shed_waiters(); }},
    {"upstream_sockets_open", "vigil_upstream_sockets_open", nullptr, "Upstream sockets open now.", T::kGauge,
     [](const E& e) -> std::uint64_t { return e.recursion.transport().sockets_open(); }},
    {"upstream_socket_budget", "vigil_upstream_socket_budget", nullptr,
     "Upstream sockets allowed at once (below RLIMIT_NOFILE, after listeners and TCP clients).", T::kGauge,
     [](const E& e) -> std::uint64_t { return e.recursion.transport().socket_budget(); }},
    {"upstream_no_socket", "vigil_upstream_no_socket_total", nullptr,
     "Upstream queries not sent because the socket budget was spent.", T::kCounter,
     [](const E& e) { return e.recursion.transport().socket_budget_exhausted(); }},
}};

}  // namespace

std::span<const CounterRow<ListenerCounters>> listener_counters() {
  return kListenerRows;
}
std::span<const CounterRow<cache::CacheStats>> cache_counters() {
  return kCacheRows;
}
std::span<const CounterRow<monitor::QueryLogStats>> query_log_counters() {
  return kQueryLogRows;
}
std::span<const CounterRow<EngineCounters>> engine_counters() {
  return kEngineRows;
}
std::span<const CounterRow<EngineCounters>> resolution_counters() {
  return kResolutionRows;
}

void add_counter_sample(monitor::MetricFamilyData& family, const char* label, std::uint64_t value) {
  monitor::MetricSample::Labels labels;
  if (label != nullptr) {
    const std::string kv(label);
    const auto eq = kv.find('=');
    labels.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  family.samples.emplace_back(std::move(labels), static_cast<double>(value));
}

}  // namespace vigil::server
