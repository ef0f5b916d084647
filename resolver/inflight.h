// One coalescing table: the first caller of a key leads (does the work),
// later callers wait for the leader's result, each on its own executor and
// for at most a given time. The engine keeps two: client questions (a
// leader resolves; waiters get its outcome) and questions to one zone's
// servers (a leader asks; waiters carry on from what it cached).
//
// Waiters may sit on any thread: the leader posts the result to each
// waiter's executor and cancels its timer there.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace vigil::resolver {

template <class Key, class Result>
class InflightTable {
 public:
  enum class Role : std::uint8_t { kLead, kWait, kFull };
  struct Waiter {
    std::shared_ptr<boost::asio::steady_timer> timer;
    std::optional<Result> result;
  };
  struct Joined {
    Role role = Role::kLead;
    std::shared_ptr<Waiter> waiter;  // kWait
  };

  // Leads when nobody holds `key`; else waits (for at most `wait_limit`)
  // unless `max_waiters` already do (kFull: shed).
  boost::asio::awaitable<Joined> join(const Key& key, std::chrono::steady_clock::duration wait_limit,
                                      std::size_t max_waiters = static_cast<std::size_t>(-1)) {
    auto executor = co_await boost::asio::this_coro::executor;
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      entries_.emplace(key, std::vector<std::shared_ptr<Waiter>>{});
      co_return Joined{Role::kLead, nullptr};
    }
    if (it->second.size() >= max_waiters) {
      ++shed_;
      co_return Joined{Role::kFull, nullptr};
    }
    auto w = std::make_shared<Waiter>();
    w->timer = std::make_shared<boost::asio::steady_timer>(executor);
    w->timer->expires_after(wait_limit);
    it->second.push_back(w);
    ++coalesced_;
    co_return Joined{Role::kWait, std::move(w)};
  }

  // A waiter's result: the leader's, or nothing when the wait timed out.
  static boost::asio::awaitable<std::optional<Result>> wait(std::shared_ptr<Waiter> w) {
    (void)co_await w->timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return w->result;
  }

  // The leader is done: `key` is free, its waiters get `result`.
  void finish(const Key& key, const Result& result) {
    std::vector<std::shared_ptr<Waiter>> waiters;
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it == entries_.end()) return;
      waiters.swap(it->second);
      entries_.erase(it);
    }
    for (auto& w : waiters) {
      boost::asio::post(w->timer->get_executor(), [w, result] {
        w->result = result;
        w->timer->cancel();
      });
    }
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }
  std::size_t waiters() const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& [key, w] : entries_) n += w.size();
    return n;
  }
  std::uint64_t coalesced() const {
    std::lock_guard lock(mu_);
    return coalesced_;
  }
  std::uint64_t shed() const {
    std::lock_guard lock(mu_);
    return shed_;
  }

 private:
  mutable std::mutex mu_;
  std::map<Key, std::vector<std::shared_ptr<Waiter>>> entries_;
  std::uint64_t coalesced_ = 0;
  std::uint64_t shed_ = 0;
};

// A leader's hold on a key: finishes it (with `result`) when destroyed, so
// every way out of the leader's work wakes the waiters.
template <class Table, class Key, class Result>
class InflightLease {
 public:
  InflightLease() = default;
  InflightLease(Table& table, Key key, Result result)
      : table_(&table), key_(std::move(key)), result_(std::move(result)) {}
  InflightLease(const InflightLease&) = delete;
  InflightLease& operator=(const InflightLease&) = delete;
  ~InflightLease() {
    if (table_ != nullptr) table_->finish(key_, result_);
  }
  // What the waiters get (else the result given at construction).
  void set(Result result) { result_ = std::move(result); }

 private:
  Table* table_ = nullptr;
  Key key_;
  Result result_;
};

}  // namespace vigil::resolver
