// Who was given an address, for which name, over the last minutes: the
// index behind `vigilctl who-resolved`. A firewall or web-proxy alert names
// an address; this leads back to the clients that looked it up and the
// names they thought they were reaching.
//
// One entry per (address, client, name), not per query: a client asking
// the same name a thousand times in the window takes one entry, with its
// first and last time and a count. The table is set-associative and fixed
// in size (ResolutionIndexOptions::entries); a new triple takes the oldest
// entry of its set, expired ones first. When one still inside the window
// has to go, the index says how far back it is complete (complete_after()),
// so an analyst knows when an empty answer means "nobody" and when it means
// "not kept". Filled by the query log's writer; read by the control channel
// with the writer held.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/client_privacy.h"
#include "monitor/intent_limits.h"

namespace vigil::monitor {

class ResolutionIndex {
 public:
  static constexpr std::size_t kNameChars = 96;           // longer names are kept cut (marked with "...")
  static constexpr std::size_t kWays = 8;                 // entries a triple may take: its set
  static constexpr std::size_t kAddressesPerAnswer = 32;  // a response's first addresses indexed

  explicit ResolutionIndex(const ResolutionIndexOptions& options);
  // How clients are shown in who_resolved() (query_log.client_ip).
  void set_privacy(ClientPrivacy privacy) { privacy_ = std::move(privacy); }

  // `client` was given `address` (4 or 16 octets) for `name` (text,
  // lowercased) at `time_ns`.
  void record(std::int64_t time_ns, std::span<const std::uint8_t> client, std::string_view name,
              std::uint16_t qtype, std::span<const std::uint8_t> address);

  // The same for every address of one answer: who asked what, cut and
  // hashed once (Asker), then one record() an address. `client` and
  // `name` must outlive it.
  class Asker {
   public:
    Asker(std::span<const std::uint8_t> client, std::string_view name, std::uint16_t qtype);
    Asker(const Asker&) = delete;
    Asker& operator=(const Asker&) = delete;

   private:
    friend class ResolutionIndex;
    std::span<const std::uint8_t> client_;
    std::array<char, kNameChars> cut_;  // a name longer than kNameChars, cut and marked
    std::string_view name_;
    std::uint16_t qtype_;
    std::uint64_t hash_;
  };
  void record(std::int64_t time_ns, const Asker& who, std::span<const std::uint8_t> address);

  struct Resolution {
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
    std::uint32_t queries = 0;
    std::vector<std::uint8_t> client;
    std::string name;
    std::uint16_t qtype = 0;
  };
  // Who was given `address` and last seen from since_ns on, within the
  // window before now_ns; most recently seen first.
  std::vector<Resolution> find(std::span<const std::uint8_t> address, std::int64_t since_ns,
                               std::int64_t now_ns) const;
  // The same as text for vigilctl: one line per (client, name), and a note
  // when the index is not complete that far back.
  std::string who_resolved(std::span<const std::uint8_t> address, std::int64_t since_ns,
                           std::int64_t now_ns) const;

  // Every triple last seen after this time is still held: an entry evicted
  // before its window ran out was last seen at or before it. 0: none was.
  std::int64_t complete_after() const { return complete_after_; }
  std::uint64_t evicted_early() const { return evicted_early_; }

  const ResolutionIndexOptions& options() const { return options_; }
  std::size_t capacity() const { return slots_.size(); }
  std::size_t used() const { return used_; }  // entries ever filled (expired ones included)
  std::size_t memory_bytes() const { return slots_.size() * sizeof(Entry) + heads_.size() * sizeof(Set); }

 private:
  ClientPrivacy privacy_;
  struct Entry {
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;  // 0: empty
    std::uint32_t queries = 0;
    std::uint16_t qtype = 0;
    std::uint8_t address_len = 0;
    std::uint8_t client_len = 0;
    std::uint8_t name_len = 0;
    std::array<std::uint8_t, 16> address{};
    std::array<std::uint8_t, 16> client{};
    std::array<char, kNameChars> name{};
  };

  // A set's tags and last-seen seconds in one cache line: a lookup reads
  // it, then only the entry that matches or the one it replaces.
  struct alignas(64) Set {
    std::array<std::uint32_t, kWays> tag{};
    std::array<std::uint32_t, kWays> seen_s{};  // last seen, Unix seconds; 0: empty
  };

  ResolutionIndexOptions options_;
  std::vector<Entry> slots_;  // sets of kWays
  std::vector<Set> heads_;    // one per set
  std::size_t sets_;
  std::size_t used_ = 0;
  std::int64_t complete_after_ = 0;
  std::uint64_t evicted_early_ = 0;
};

}  // namespace vigil::monitor
