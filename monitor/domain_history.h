// Which registered domains clients looked up in the last N days, for the
// newly-observed-domain detector: one Bloom filter per day, N + 1 of them,
// allocated once — the memory is fixed by the configured size whatever the
// traffic (more domains than planned for raise the false-positive rate,
// which makes the detector quieter, never bigger). Saved to a file and
// loaded back, so a restart does not forget the history.
//
//   DomainHistory h(30, 100000);             // 30 days, ~100 000 domains a day at 1 %
//   bool known = h.seen_then_add("example.com", now_s);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::monitor {

class DomainHistory {
 public:
  static constexpr unsigned kHashes = 7;  // for a 1 % false-positive rate at the planned size

  // `days` of history (1-366) and the domains a day is planned for.
  DomainHistory(std::uint32_t days, std::size_t domains_per_day);

  // Whether `domain` was recorded on any of the last `days` days (today
  // included); records it for today either way.
  bool seen_then_add(std::string_view domain, std::uint32_t now_s);
  bool seen(std::string_view domain, std::uint32_t now_s) const;

  // The day (Unix seconds / 86400) the history began, with its first
  // domain (0: not yet): a detector stays quiet while it is young.
  std::uint32_t first_day() const { return first_day_; }
  std::uint32_t days() const { return days_; }
  std::size_t memory_bytes() const { return words_.size() * sizeof(std::uint64_t); }

  // A binary file: a header with the sizes, then each day's filter. load()
  // refuses a file of other sizes or a damaged one, with the reason.
  bool save(const std::string& path, std::string* error) const;
  static std::optional<DomainHistory> load(const std::string& path, std::uint32_t days,
                                           std::size_t domains_per_day, std::string* error);

 private:
  struct Probe {
    std::uint64_t h1, h2;
  };
  static Probe probe(std::string_view domain);
  bool contains(std::size_t bucket, const Probe& p) const;
  std::size_t bucket_for(std::uint32_t day);  // today's, cleared when it held an older day

  std::uint32_t days_;
  std::size_t bits_;  // per filter
  std::size_t words_per_bucket_;
  std::uint32_t first_day_;
  std::vector<std::uint32_t> bucket_day_;  // the day each filter holds
  std::vector<std::uint64_t> words_;       // (days + 1) filters, back to back
};

}  // namespace vigil::monitor
