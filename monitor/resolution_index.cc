#include "monitor/resolution_index.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "monitor/query_log_format.h"
#include "protocol/rdata.h"
#include "protocol/types.h"
#include "util/hash.h"

namespace vigil::monitor {

ResolutionIndex::ResolutionIndex(const ResolutionIndexOptions& options)
    : options_(options), sets_(std::max<std::size_t>((options.entries + kWays - 1) / kWays, 1)) {
  slots_.resize(sets_ * kWays);
  heads_.resize(sets_);
}

namespace {

template <std::size_t N>
bool same(const std::array<std::uint8_t, N>& held, std::uint8_t len, std::span<const std::uint8_t> v) {
  return len == v.size() && std::equal(v.begin(), v.end(), held.begin());
}

}  // namespace

ResolutionIndex::Asker::Asker(std::span<const std::uint8_t> client, std::string_view name,
                              std::uint16_t qtype)
    : client_(client), name_(name), qtype_(qtype) {
  if (name.size() > kNameChars) name_ = {cut_.data(), copy_cut(name, cut_)};
  hash_ = util::fnv1a(name_, util::fnv1a(client_, util::kFnvOffset ^ client_.size()) ^ qtype_);
}

void ResolutionIndex::record(std::int64_t time_ns, std::span<const std::uint8_t> client,
                             std::string_view name, std::uint16_t qtype,
                             std::span<const std::uint8_t> address) {
  record(time_ns, Asker(client, name, qtype), address);
}

void ResolutionIndex::record(std::int64_t time_ns, const Asker& who, std::span<const std::uint8_t> address) {
  const std::span<const std::uint8_t> client = who.client_;
  const std::string_view name = who.name_;
  const std::uint16_t qtype = who.qtype_;
  if (address.size() > 16 || client.size() > 16 || time_ns <= 0) return;
  // The address's length goes into the hash too: 1.2.3.4 and an IPv6
  // address beginning with those octets are different keys.
  const std::uint64_t h = util::mix64(util::fnv1a(address, who.hash_ ^ address.size()));
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  const std::size_t index = h % sets_;
  Set& head = heads_[index];
  Entry* set = &slots_[index * kWays];
  const auto seen_s = static_cast<std::uint32_t>(std::max<std::int64_t>(time_ns / 1'000'000'000, 1));
  std::size_t victim = 0;
  for (std::size_t w = 0; w < kWays; ++w) {
    if (head.seen_s[w] != 0 && head.tag[w] == tag) {
      Entry& e = set[w];
      if (e.qtype == qtype && same(e.address, e.address_len, address) &&
          same(e.client, e.client_len, client) && std::string_view(e.name.data(), e.name_len) == name) {
        if (e.last_ns < time_ns - options_.window_ns) {  // expired: counted afresh
          e.first_ns = time_ns;
          e.queries = 0;
        }
        e.last_ns = std::max(e.last_ns, time_ns);
        head.seen_s[w] = std::max(head.seen_s[w], seen_s);
        if (e.queries < std::numeric_limits<std::uint32_t>::max()) ++e.queries;
        return;
      }
    }
    if (head.seen_s[w] < head.seen_s[victim]) victim = w;  // empty (0) first, then the oldest
  }
  head.tag[victim] = tag;
  head.seen_s[victim] = seen_s;
  Entry& e = set[victim];
  if (e.last_ns == 0) {
    ++used_;
  } else if (e.last_ns >= time_ns - options_.window_ns) {
    ++evicted_early_;
    complete_after_ = std::max(complete_after_, e.last_ns);
  }
  e.first_ns = time_ns;
  e.last_ns = time_ns;
  e.queries = 1;
  e.qtype = qtype;
  e.address_len = static_cast<std::uint8_t>(address.size());
  std::copy(address.begin(), address.end(), e.address.begin());
  e.client_len = static_cast<std::uint8_t>(client.size());
  std::copy(client.begin(), client.end(), e.client.begin());
  e.name_len = static_cast<std::uint8_t>(name.size());
  std::memcpy(e.name.data(), name.data(), name.size());
}

std::vector<ResolutionIndex::Resolution> ResolutionIndex::find(std::span<const std::uint8_t> address,
                                                               std::int64_t since_ns,
                                                               std::int64_t now_ns) const {
  const std::int64_t from = std::max(since_ns, now_ns - options_.window_ns);
  std::vector<Resolution> out;
  for (const Entry& e : slots_) {
    if (e.last_ns == 0 || e.last_ns < from || !same(e.address, e.address_len, address)) continue;
    out.push_back({.first_ns = e.first_ns,
                   .last_ns = e.last_ns,
                   .queries = e.queries,
                   .client = {e.client.begin(), e.client.begin() + e.client_len},
                   .name = {e.name.data(), e.name_len},
                   .qtype = e.qtype});
  }
  std::sort(out.begin(), out.end(), [](const Resolution& a, const Resolution& b) {
    if (a.last_ns != b.last_ns) return a.last_ns > b.last_ns;
    return a.client != b.client ? a.client < b.client : a.name < b.name;
  });
  return out;
}

std::string ResolutionIndex::who_resolved(std::span<const std::uint8_t> address, std::int64_t since_ns,
                                          std::int64_t now_ns) const {
  std::string out;
  const std::int64_t from = std::max(since_ns, now_ns - options_.window_ns);
  for (const Resolution& r : find(address, since_ns, now_ns)) {
    out += iso8601_utc(r.last_ns);
    out += ' ';
    char buf[ClientPrivacy::kMaxShown];
    out.append(buf, static_cast<std::size_t>(privacy_.show(buf, r.client) - buf));
    out += ' ';
    out += r.name;
    out += ' ';
    out += dns::type_to_string(static_cast<dns::RRType>(r.qtype));
    out += ' ';
    dns::append_address_text(out, address);
    out += " queries=" + std::to_string(r.queries) + " first=" + iso8601_utc(r.first_ns) + "\n";
  }
  std::string shown;
  dns::append_address_text(shown, address);
  if (out.empty()) out = "(no client was given " + shown + " since " + iso8601_utc(from) + ")\n";
  if (complete_after_ >= from) {
    out += "(complete only after " + iso8601_utc(complete_after_) +
           ": older resolutions were evicted to make room; intent.who_resolved_entries sets the size)\n";
  }
  return out;
}

}  // namespace vigil::monitor
