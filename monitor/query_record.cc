#include "monitor/query_record.h"

#include <algorithm>

#include "monitor/query_log.h"

namespace vigil::monitor {

bool record(QueryLog& log, unsigned producer, const QueryRecord& r) {
  if (!log.enabled()) return false;
  QueryEvent* e = log.claim(producer);
  e->time_ns = r.arrival_ns;
  e->duration_us = static_cast<std::uint32_t>(std::clamp<std::int64_t>(r.duration_us, 0, 0xFFFFFFFF));
  if (r.client.address != nullptr) e->client = *r.client.address;
  e->client_len = r.client.length;
  e->client_port = r.client.port;
  if (r.server.address != nullptr) e->server = *r.server.address;
  e->server_len = r.server.length;
  e->server_port = r.server.port;
  e->tcp = r.tcp;
  e->cache = r.cache;
  e->outcome = r.outcome;
  e->upstream_queries = static_cast<std::uint16_t>(std::min(r.upstream_queries, 0xFFFFU));
  e->policy.hit = r.policy_hit;
  if (e->policy.hit) {
    e->policy.enforced = r.policy_enforced;
    e->policy.address = r.policy_address;
    e->policy.action = r.policy_action;
    e->policy.set(r.feed, r.trigger);
  }
  if (r.response.empty()) {
    e->set_message(r.query, false);
  } else {
    e->set_message(r.response, true);
    if (log.wants_queries()) e->set_query(r.query);
  }
  return log.publish(producer);  // a full ring drops it: counted by the log
}

}  // namespace vigil::monitor
