#include "resolver/server_selection.h"

#include <algorithm>
#include <utility>

#include "resolver/scrub.h"

namespace vigil::resolver {

using boost::asio::awaitable;
using dns::Message;
using dns::Name;
using dns::RRType;

std::vector<ServerAddress> addresses_of(const cache::ZoneCut::Server& s) {
  std::vector<ServerAddress> out;
  for (const auto& a : s.ipv4) {
    if (a.size() != 4) continue;
    ServerAddress sa;
    std::copy(a.begin(), a.end(), sa.bytes.begin());
    sa.length = 4;
    out.push_back(sa);
  }
  for (const auto& a : s.ipv6) {
    if (a.size() != 16) continue;
    ServerAddress sa;
    std::copy(a.begin(), a.end(), sa.bytes.begin());
    sa.length = 16;
    out.push_back(sa);
  }
  return out;
}

ServerPlan ServerSelection::plan(const Cut& cut) {
  ServerPlan p;
  p.addresses = cut.fixed;
  for (const auto& s : cut.ns.servers) {
    for (const auto& a : addresses_of(s)) p.addresses.push_back(a);
    if (!s.ipv4.empty() || !s.ipv6.empty()) continue;
    (s.name.is_subdomain_of(cut.ns.zone) ? p.need_glue : p.resolve_first).push_back(s.name);
  }
  return p;
}

std::vector<ServerAddress> ServerSelection::rank(const Cut& cut, const std::vector<ServerAddress>& candidates,
                                                 const Budget& b) {
  const auto now = clock_.wall();
  std::vector<std::pair<std::uint32_t, ServerAddress>> ranked;
  for (const auto& c : candidates) {
    if (infra_.is_lame(c, cut.ns.zone, now) || b.failed_for(c, cut.ns.zone)) continue;
    const auto info = infra_.get(c, now);
    ranked.emplace_back(info.known ? info.srtt_ms : infra_.options().initial_rto_ms, c);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  if (ranked.size() > 1 && limits_.explore_one_in > 0 && explore_.next() % limits_.explore_one_in == 0) {
    std::swap(ranked[0], ranked[1 + explore_.next() % (ranked.size() - 1)]);
  }
  std::vector<ServerAddress> order;
  order.reserve(ranked.size());
  for (auto& r : ranked) order.push_back(r.second);
  return order;
}

awaitable<Asked> ServerSelection::ask(const Cut& cut, const std::vector<ServerAddress>& candidates,
                                      const Name& name, RRType type, Budget& b, unsigned depth) {
  std::vector<ServerAddress> order = rank(cut, candidates, b);
  const std::size_t ranked = order.size();
  if (order.empty()) {
    co_return Asked{
        std::nullopt,
        {},
        "no usable server for " + cut.ns.zone.to_text() +
            (candidates.empty() ? " (no addresses for its name servers)" : " (all lame or failing)")};
  }
  const unsigned not_allowed_before = b.not_allowed;
  const unsigned network_errors_before = b.network_errors;
  // Servers that timed out are asked again, each time with the backed-off
  // timeout the infrastructure cache now holds, for up to server_passes
  // passes: one late answer under load is not a dead zone.
  for (unsigned pass = 0; pass < limits_.server_passes && !order.empty(); ++pass) {
    std::vector<ServerAddress> timed_out;
    for (const auto& server : order) {
      if (!b.may_send(limits_.max_upstream_queries_per_name)) {
        stats_.hit(LimitHit::kUpstreamQueries);
        co_return Asked{std::nullopt, server, "upstream query budget spent"};
      }
      if (clock_.monotonic() >= b.deadline) {
        stats_.hit(LimitHit::kTimeBudget);
        co_return Asked{std::nullopt, server, "resolution time budget spent"};
      }
      b.note(depth, "ask " + server.to_string() + " (zone " + cut.ns.zone.to_text() + ", " + cut.source +
                        "): " + name.to_text() + " " + dns::type_to_string(type) +
                        (pass > 0 ? " (again)" : ""));
      const unsigned timeouts_before = b.timeouts;
      auto reply = co_await exchange_.ask(server, name, type, cut.recursive, b, depth);
      if (!reply) {
        if (b.timeouts != timeouts_before) timed_out.push_back(server);
        continue;
      }
      auto m = Message::parse(reply->message);
      if (!m.ok()) {
        b.note(depth + 1, "← unparsable reply");
        continue;
      }
      const ScrubCounts scrubbed = scrub(*m, cut.bailiwick());
      if (scrubbed.dropped > 0) {
        b.note(depth + 1, std::to_string(scrubbed.dropped) + " record(s) from outside " +
                              cut.bailiwick().to_text() + " dropped");
      }
      co_return Asked{std::move(*m), server, {}};
    }
    order = std::move(timed_out);
  }
  if (b.not_allowed - not_allowed_before == ranked) {
    co_return Asked{std::nullopt,
                    {},
                    "every server for " + cut.ns.zone.to_text() +
                        " is excluded by resolver.do_not_query or a disabled address family"};
  }
  if (b.network_errors - network_errors_before == ranked) {
    co_return Asked{std::nullopt,
                    {},
                    "network error reaching every server for " + cut.ns.zone.to_text(),
                    dns::EdeCode::kNetworkError};
  }
  co_return Asked{std::nullopt, {}, "no server for " + cut.ns.zone.to_text() + " answered"};
}

}  // namespace vigil::resolver
