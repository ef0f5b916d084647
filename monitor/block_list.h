// The domains the intent detectors block (a detector's `action: block`),
// as an immutable snapshot the query path reads without a lock: the
// writer thread builds a new one when a domain is added or expires and
// publishes it; a worker loads the current one per query (an atomic
// shared_ptr) and, when it is not empty, looks the query name and its
// parents up in it.
//
//   BlockListPublisher pub;                   // shared by the writer and the workers
//   pub.publish(std::make_shared<const BlockList>(domains, rcode));
//   if (auto rcode = pub.current()->match(qname)) answer *rcode, EDE 15 (Blocked)
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "protocol/name.h"

namespace vigil::monitor {

class BlockList {
 public:
  BlockList() = default;
  BlockList(const std::vector<dns::Name>& domains, std::uint8_t rcode);

  bool empty() const { return domains_.empty(); }
  std::size_t size() const { return domains_.size(); }
  // The RCODE to answer when `qname` is a blocked domain or below one.
  std::optional<std::uint8_t> match(const dns::Name& qname) const;

 private:
  std::unordered_set<dns::Name> domains_;  // case-insensitive (Name's hash and ==)
  std::uint8_t rcode_ = 3;
};

class BlockListPublisher {
 public:
  BlockListPublisher() : current_(std::make_shared<const BlockList>()) {}
  // Whether anything is blocked: one relaxed load, all the query path pays
  // while the list is empty (loading the shared_ptr itself takes a lock
  // and a reference count that every worker would contend for).
  bool active() const { return active_.load(std::memory_order_relaxed); }
  std::shared_ptr<const BlockList> current() const { return current_.load(std::memory_order_acquire); }
  void publish(std::shared_ptr<const BlockList> list) {
    const bool any = !list->empty();
    current_.store(std::move(list), std::memory_order_release);
    active_.store(any, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::shared_ptr<const BlockList>> current_;
  std::atomic<bool> active_{false};
};

}  // namespace vigil::monitor
