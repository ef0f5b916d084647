#include "server/feed_keeper.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "policy/zone_transfer.h"
#include "protocol/name.h"
#include "protocol/presentation.h"
#include "protocol/rdata.h"
#include "server/log.h"

namespace vigil::server {

namespace asio = boost::asio;

FeedKeeper::FeedKeeper(asio::io_context& io, PolicyLoader& loader, std::string config_path,
                       PolicySource policy, Publish publish)
    : io_(io),
      loader_(loader),
      config_path_(std::move(config_path)),
      policy_(std::move(policy)),
      publish_(std::move(publish)) {}

void FeedKeeper::start() {
  asio::co_spawn(io_, watch(), log_coroutine_exception);
  start_transfers();
}

// Feed files are looked at every policy.check_interval; a changed one is
// read and, when it parses, swapped in with a new runtime (queries in
// flight finish with the old one). A broken one is logged once per version
// and the feed keeps what it had.
asio::awaitable<void> FeedKeeper::watch() {
  asio::steady_timer timer(io_);
  for (;;) {
    const std::uint32_t every = policy_().check_interval;
    timer.expires_after(std::chrono::seconds(every == 0 ? 5 : every));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const config::PolicyConfig pc = policy_();
    if (every == 0 || pc.feeds.empty() || !loader_.changed(pc, config_path_)) continue;
    (void)refresh();
  }
}

void FeedKeeper::start_transfers() {
  for (const auto& fc : policy_().feeds) {
    if (!fc.primary || transfers_.count(fc.name) > 0) continue;
    transfers_.insert(fc.name);
    asio::co_spawn(io_, keep(fc.name), log_coroutine_exception);
  }
}

// A feed kept by a primary, as a BIND secondary keeps its zone: transferred
// (IXFR from the version held, AXFR when that fails or nothing is held),
// written to the feed's file, read from there like any feed file; checked
// again after `refresh` (or the SOA's refresh), after the SOA's retry when
// the transfer failed. Ends when the feed leaves the configuration.
asio::awaitable<void> FeedKeeper::keep(std::string name) {
  asio::steady_timer timer(io_);
  std::vector<dns::ResourceRecord> held;
  std::string held_from;  // the primary and zone `held` came from
  for (;;) {
    std::optional<config::PolicyFeedConfig> found;
    for (const auto& f : policy_().feeds) {
      if (f.name == name && f.primary) found = f;
    }
    if (!found) {
      transfers_.erase(name);
      co_return;
    }
    const config::PolicyFeedConfig fc = *found;  // the configuration may change while we wait
    const std::string path = PolicyLoader::resolve_path(fc.file, config_path_);
    const dns::Name zone = *dns::Name::from_text(fc.zone);
    const std::string source = fc.primary->to_string() + " " + zone.to_text();
    if (held_from != source) {
      held.clear();
      held_from = source;
      // The copy on disk, so that the first exchange can be an IXFR.
      std::ifstream in(path);
      if (in) {
        std::stringstream text;
        text << in.rdbuf();
        auto records = dns::parse_zone_text(text.str(), zone);
        if (records.ok() && !records->empty() && records->front().type == dns::RRType::SOA) held = *records;
      }
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(fc.primary->address, ec);
    policy::TransferLimits limits;
    limits.max_records = fc.max_rules * 2 + 1024;
    limits.max_bytes = fc.max_size;
    policy::Transfer t;
    if (ec) {
      t.error = "not an address: " + fc.primary->address;
    } else {
      t = co_await policy::transfer_zone(asio::ip::tcp::endpoint(address, fc.primary->port), zone, held,
                                         limits);
    }
    // SOA timers: refresh and retry (RFC 1035 §3.3.13), bounded.
    const auto soa = held.empty() ? std::nullopt : dns::SoaRdata::decode(held.front().rdata);
    auto bounded = [](std::uint32_t v) { return std::clamp<std::uint32_t>(v, 1, 86400); };
    std::uint32_t wait = 0;
    if (!t.error.empty()) {
      log_warning("policy feed \"" + name + "\": transfer of " + source + " failed: " + t.error);
      wait = soa ? bounded(soa->retry) : 60;
    } else {
      if (t.changed) {
        const std::string tmp = path + ".transfer";
        bool written = false;
        {
          std::ofstream out(tmp, std::ios::trunc);
          out << policy::zone_text(t.records);
          written = static_cast<bool>(out);
        }
        if (written && std::rename(tmp.c_str(), path.c_str()) == 0) {
          log_info("policy feed \"" + name + "\": serial " + std::to_string(t.serial) + " transferred from " +
                   source + " (" + (t.incremental ? "IXFR" : "AXFR") + ", " +
                   std::to_string(t.records.size()) + " records)");
          held = std::move(t.records);
          (void)refresh();
        } else {
          log_error("policy feed \"" + name + "\": cannot write " + path + ": " + std::strerror(errno));
        }
      }
      const auto now_held = held.empty() ? std::nullopt : dns::SoaRdata::decode(held.front().rdata);
      wait = now_held ? bounded(now_held->refresh) : 3600;
    }
    if (fc.refresh > 0) wait = std::min(wait, fc.refresh);
    timer.expires_after(std::chrono::seconds(wait));
    auto [tec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (tec) co_return;
  }
}

FeedKeeper::Refresh FeedKeeper::refresh() {
  Refresh r;
  auto error = [&](std::string what) {
    log_error(what);
    r.errors.push_back(std::move(what));
  };
  auto policy = loader_.load(policy_(), config_path_, /*force=*/false);
  if (!policy.ok()) {  // only a feed never loaded can fail outright; not after start
    error(policy.error().to_string());
    return r;
  }
  for (const auto& w : policy->warnings) error(w);
  const bool any = !policy->loaded.empty();
  if (any) {
    const std::string why = publish_(policy->set);
    if (!why.empty()) {
      error("policy: feeds not swapped in: " + why);
      return r;
    }
    for (const auto& l : policy->loaded) log_info("policy: feed changed on disk, reloaded: " + l);
  }
  loader_.commit(std::move(*policy));
  r.swapped = any;
  return r;
}

}  // namespace vigil::server
