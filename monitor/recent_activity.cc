#include "monitor/recent_activity.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include <arpa/inet.h>

#include "monitor/query_log_format.h"
#include "policy/policy_feed.h"
#include "protocol/name.h"
#include "protocol/rdata.h"
#include "protocol/types.h"

namespace vigil::monitor {

RecentActivity::RecentActivity(std::size_t queries) : ring_(std::max<std::size_t>(queries, 1)) {}

namespace {

// Whether a query was answered (or dropped) by policy rather than as it resolved.
bool was_blocked(const QueryEvent& e) {
  if (e.policy.hit && e.policy.enforced &&
      e.policy.action != static_cast<std::uint8_t>(policy::PolicyAction::kPassthru)) {
    return true;
  }
  return std::strcmp(e.outcome, "blocked") == 0;
}

}  // namespace

void RecentActivity::record(const QueryEvent& e, const dns::MessageView& view) {
  if (view.count(dns::Section::kQuestion) == 0) return;
  std::string text;
  view.question_name().append_lowercase_text(text);
  record(e, view, text);
}

void RecentActivity::record(const QueryEvent& e, const dns::MessageView& view, std::string_view lower_name) {
  const bool blocked = was_blocked(e);
  // Queries that got no answer are kept only when policy dropped them.
  if ((!e.is_response && !blocked) || view.count(dns::Section::kQuestion) == 0) return;
  Entry& x = ring_[next_];
  next_ = (next_ + 1) % ring_.size();
  count_ = std::min(count_ + 1, ring_.size());
  x.time_ns = e.time_ns;
  x.client = e.client;
  x.client_len = e.client_len;
  x.rcode = static_cast<std::uint8_t>(view.rcode());
  x.qtype = static_cast<std::uint16_t>(view.question_type());
  x.blocked = blocked;
  x.dropped = !e.is_response;
  x.name_len = static_cast<std::uint8_t>(copy_cut(lower_name, x.name));
  x.addresses = 0;
  for_each_answer_address(view, [&](std::span<const std::uint8_t> address) {
    std::copy(address.begin(), address.end(), x.address[x.addresses].begin());
    x.address_len[x.addresses] = static_cast<std::uint8_t>(address.size());
    return ++x.addresses < kAddresses;
  });
}

void RecentActivity::record_alert(std::int64_t time_ns, std::string line) {
  if (alerts_.size() == kAlerts) alerts_.pop_front();
  alerts_.emplace_back(time_ns, std::move(line));
}

template <typename F>
void RecentActivity::each(std::int64_t since_ns, F&& f) const {
  for (std::size_t k = 1; k <= count_; ++k) {
    const Entry& e = ring_[(next_ + ring_.size() - k) % ring_.size()];
    if (e.time_ns < since_ns) break;
    f(e);
  }
}

void RecentActivity::append_client(std::string& out, std::span<const std::uint8_t> client) const {
  char buf[ClientPrivacy::kMaxShown];
  out.append(buf, static_cast<std::size_t>(privacy_.show(buf, client) - buf));
}

void RecentActivity::line(std::string& out, const Entry& e) const {
  out += iso8601_utc(e.time_ns);
  out += ' ';
  append_client(out, {e.client.data(), e.client_len});
  out += ' ';
  out.append(e.name.data(), e.name_len);
  out += ' ';
  out += dns::type_to_string(static_cast<dns::RRType>(e.qtype));
  out += ' ';
  out += e.dropped ? std::string("DROPPED") : dns::rcode_to_string(static_cast<dns::Rcode>(e.rcode));
  for (std::size_t i = 0; i < e.addresses; ++i) {
    out += i == 0 ? " " : ",";
    dns::append_address_text(out, {e.address[i].data(), e.address_len[i]});
  }
  if (e.blocked) out += " (blocked)";
  out += '\n';
}

std::string RecentActivity::alerts(std::int64_t since_ns) const {
  std::string out;
  for (const auto& [t, l] : alerts_) {
    if (t < since_ns) continue;
    out += l;
    out += '\n';
  }
  return out;
}

std::string RecentActivity::client(std::span<const std::uint8_t> address, std::int64_t since_ns) const {
  std::string out;
  std::string shown;
  append_client(shown, address);
  // Alerts name the client as the query log does (query_log_format.cc).
  const std::string needle = privacy_.mode() == ClientIpMode::kHash ? "\"client_token\":\"" + shown + "\""
                                                                    : "\"client\":{\"ip\":\"" + shown + "\"";
  std::string alerts_text;
  for (const auto& [t, l] : alerts_) {
    if (t >= since_ns && l.find(needle) != std::string::npos) alerts_text += l + "\n";
  }
  out += "alerts:\n" + (alerts_text.empty() ? std::string("  (none)\n") : alerts_text);
  out += "lookups, newest first:\n";
  std::size_t n = 0;
  each(since_ns, [&](const Entry& e) {
    if (e.client_len != address.size() || !std::equal(address.begin(), address.end(), e.client.begin()))
      return;
    out += "  ";
    line(out, e);
    ++n;
  });
  if (n == 0) out += "  (none in the last " + std::to_string(count_) + " queries kept)\n";
  return out;
}

std::vector<std::pair<std::string, std::size_t>> RecentActivity::ranked(const std::string& kind,
                                                                        std::int64_t since_ns,
                                                                        const PublicSuffixList& psl) const {
  std::unordered_map<std::string, std::size_t> counts;
  each(since_ns, [&](const Entry& e) {
    if (kind == "clients") {
      std::string c;
      append_client(c, {e.client.data(), e.client_len});
      ++counts[c];
      return;
    }
    if (kind == "nxdomain" && (e.rcode != 3 || e.dropped)) return;
    if (kind == "blocked" && !e.blocked) return;
    std::string_view name(e.name.data(), e.name_len);
    if (name.ends_with('.')) name.remove_suffix(1);
    const std::string_view reg = psl.registered_domain(name);
    ++counts[std::string(reg.empty() ? name : reg)];
  });
  std::vector<std::pair<std::string, std::size_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return v;
}

std::string RecentActivity::top(const std::string& kind, std::size_t n, std::int64_t since_ns,
                                const PublicSuffixList& psl) const {
  auto v = ranked(kind, since_ns, psl);
  if (v.size() > n) v.resize(n);
  std::string out;
  for (const auto& [k, c] : v) out += std::to_string(c) + " " + k + "\n";
  return out;
}

std::array<std::vector<std::size_t>, 4> RecentActivity::top_counts(std::size_t n,
                                                                   const PublicSuffixList& psl) const {
  std::array<std::vector<std::size_t>, 4> out;
  for (std::size_t k = 0; k < kTopKinds.size(); ++k) {
    const auto v = ranked(kTopKinds[k], 0, psl);
    for (std::size_t i = 0; i < std::min(n, v.size()); ++i) out[k].push_back(v[i].second);
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> parse_ip(const std::string& text) {
  std::array<std::uint8_t, 16> buf{};
  if (::inet_pton(AF_INET, text.c_str(), buf.data()) == 1)
    return std::vector<std::uint8_t>(buf.begin(), buf.begin() + 4);
  if (::inet_pton(AF_INET6, text.c_str(), buf.data()) == 1)
    return std::vector<std::uint8_t>(buf.begin(), buf.end());
  return std::nullopt;
}

}  // namespace vigil::monitor
