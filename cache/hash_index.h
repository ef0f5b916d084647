// An open-addressing hash index from a key (octets) to an item the caller
// owns: the RRset cache's lookup table. Each slot holds the key's 64-bit
// hash and the item's pointer, 16 octets, so a lookup reads one slot (two
// at most, usually) and then the item whose hash matches, where a
// node-based std::unordered_map read the bucket, the node before, the node
// and then the item: a cache hit's table walk was 6 % of a worker's time
// (docs/performance.md, issue 24).
//
// Linear probing, at most half full (it doubles when an insert would pass
// that), erase by backward shift so that no tombstones build up. The item
// gives its key through KeyOf (`std::string_view KeyOf{}(const T&)`);
// `find` compares the whole key of every item whose hash matches, so a
// hash collision never returns the wrong item. The hash must be one an
// attacker cannot steer: crafted collisions make one long probe run that
// every lookup near it scans (the cache's is keyed, util/siphash.h). Not
// thread-safe: the cache holds the shard's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace vigil::cache {

template <class T, class KeyOf>
class HashIndex {
 public:
  HashIndex() = default;

  // The item with this key, or nullptr.
  T* find(std::uint64_t hash, std::string_view key) const {
    if (size_ == 0) return nullptr;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.item == nullptr) return nullptr;
      if (s.hash == hash && KeyOf{}(*s.item) == key) return s.item;
    }
  }

  // Adds `item` under `hash`; its key must not be in the index already.
  void insert(std::uint64_t hash, T* item) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(hash, item);
    ++size_;
  }

  // Removes `item` (found by identity under its hash); false if absent.
  bool erase(std::uint64_t hash, const T* item) {
    if (size_ == 0) return false;
    std::size_t i = hash & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].item == nullptr) return false;
      if (slots_[i].item == item) break;
    }
    // Backward shift: move up every later item of the run that may sit in
    // the hole (its home is not in (hole, its slot]).
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; slots_[j].item != nullptr; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].hash & mask_;
      const bool stays = hole < j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (stays) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  // The items, in slot order (`for (T* item : index)`); erasing or
  // inserting while iterating is not allowed.
  class Iterator;
  Iterator begin() const { return Iterator(slots_.data(), slots_.data() + slots_.size()); }
  Iterator end() const { return Iterator(slots_.data() + slots_.size(), slots_.data() + slots_.size()); }

  void clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    size_ = 0;
    mask_ = 0;
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  std::size_t memory_bytes() const { return slots_.size() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    T* item = nullptr;  // nullptr: empty
  };

  void place(std::uint64_t hash, T* item) {
    std::size_t i = hash & mask_;
    while (slots_[i].item != nullptr) i = (i + 1) & mask_;
    slots_[i] = Slot{hash, item};
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.item != nullptr) place(s.hash, s.item);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;

 public:
  class Iterator {
   public:
    Iterator(const Slot* at, const Slot* end) : at_(at), end_(end) { skip(); }
    T* operator*() const { return at_->item; }
    Iterator& operator++() {
      ++at_;
      skip();
      return *this;
    }
    bool operator==(const Iterator& o) const { return at_ == o.at_; }

   private:
    void skip() {
      while (at_ != end_ && at_->item == nullptr) ++at_;
    }
    const Slot* at_;
    const Slot* end_;
  };
};

}  // namespace vigil::cache
