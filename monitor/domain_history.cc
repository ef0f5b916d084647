#include "monitor/domain_history.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "util/hash.h"

namespace vigil::monitor {

namespace {

constexpr char kMagic[8] = {'V', 'I', 'G', 'I', 'L', 'N', 'O', 'D'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kSecondsPerDay = 86400;

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t days;
  std::uint64_t words_per_bucket;
  std::uint32_t first_day;
  std::uint32_t reserved;
};

}  // namespace

DomainHistory::DomainHistory(std::uint32_t days, std::size_t domains_per_day)
    : days_(days < 1 ? 1 : (days > 366 ? 366 : days)), first_day_(0) {
  // m = -n ln p / (ln 2)^2 at p = 1 %: 9.6 bits a domain.
  const double n = static_cast<double>(domains_per_day < 1024 ? 1024 : domains_per_day);
  const double bits = std::ceil(-n * std::log(0.01) / (std::log(2.0) * std::log(2.0)));
  words_per_bucket_ = (static_cast<std::size_t>(bits) + 63) / 64;
  bits_ = words_per_bucket_ * 64;
  bucket_day_.assign(days_ + 1, 0);
  words_.assign((days_ + 1) * words_per_bucket_, 0);
}

DomainHistory::Probe DomainHistory::probe(std::string_view domain) {
  const std::uint64_t h = util::fnv1a(domain);
  return {util::mix64(h), util::mix64(h ^ 0x9E3779B97F4A7C15ULL) | 1};
}

bool DomainHistory::contains(std::size_t bucket, const Probe& p) const {
  const std::uint64_t* w = &words_[bucket * words_per_bucket_];
  for (unsigned i = 0; i < kHashes; ++i) {
    const std::size_t bit = (p.h1 + i * p.h2) % bits_;
    if ((w[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) return false;
  }
  return true;
}

std::size_t DomainHistory::bucket_for(std::uint32_t day) {
  const std::size_t b = day % (days_ + 1);
  if (bucket_day_[b] != day) {
    std::memset(&words_[b * words_per_bucket_], 0, words_per_bucket_ * sizeof(std::uint64_t));
    bucket_day_[b] = day;
  }
  return b;
}

bool DomainHistory::seen(std::string_view domain, std::uint32_t now_s) const {
  const std::uint32_t today = now_s / kSecondsPerDay;
  const Probe p = probe(domain);
  // Today's filter first: most lookups are of domains already asked today.
  const std::size_t first = today % (days_ + 1);
  for (std::size_t k = 0; k <= days_; ++k) {
    const std::size_t b = (first + days_ + 1 - k) % (days_ + 1);
    const std::uint32_t day = bucket_day_[b];
    if (day == 0 || day > today || today - day > days_ - 1) continue;  // empty, or outside the window
    if (contains(b, p)) return true;
  }
  return false;
}

bool DomainHistory::seen_then_add(std::string_view domain, std::uint32_t now_s) {
  const bool known = seen(domain, now_s);
  if (first_day_ == 0) first_day_ = now_s / kSecondsPerDay;
  const std::size_t b = bucket_for(now_s / kSecondsPerDay);
  const Probe p = probe(domain);
  std::uint64_t* w = &words_[b * words_per_bucket_];
  for (unsigned i = 0; i < kHashes; ++i) {
    const std::size_t bit = (p.h1 + i * p.h2) % bits_;
    w[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
  return known;
}

bool DomainHistory::save(const std::string& path, std::string* error) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.version = kVersion;
    h.days = days_;
    h.words_per_bucket = words_per_bucket_;
    h.first_day = first_day_;
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out.write(reinterpret_cast<const char*>(bucket_day_.data()),
              static_cast<std::streamsize>(bucket_day_.size() * sizeof(std::uint32_t)));
    out.write(reinterpret_cast<const char*>(words_.data()),
              static_cast<std::streamsize>(words_.size() * sizeof(std::uint64_t)));
    out.flush();
    if (!out) {
      if (error != nullptr) *error = "cannot write " + tmp + ": " + std::strerror(errno);
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error != nullptr) *error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::optional<DomainHistory> DomainHistory::load(const std::string& path, std::uint32_t days,
                                                 std::size_t domains_per_day, std::string* error) {
  auto fail = [&](const std::string& what) -> std::optional<DomainHistory> {
    if (error != nullptr) *error = path + ": " + what;
    return std::nullopt;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot read: ") + std::strerror(errno));
  DomainHistory h(days, domains_per_day);
  Header head{};
  if (!in.read(reinterpret_cast<char*>(&head), sizeof head) ||
      std::memcmp(head.magic, kMagic, sizeof kMagic) != 0)
    return fail("not a Vigil domain history");
  if (head.version != kVersion) return fail("version " + std::to_string(head.version) + ", expected 1");
  if (head.days != h.days_ || head.words_per_bucket != h.words_per_bucket_)
    return fail("made for other settings (intent.new_domain.window or domains_per_day changed)");
  h.first_day_ = head.first_day;
  if (!in.read(reinterpret_cast<char*>(h.bucket_day_.data()),
               static_cast<std::streamsize>(h.bucket_day_.size() * sizeof(std::uint32_t))) ||
      !in.read(reinterpret_cast<char*>(h.words_.data()),
               static_cast<std::streamsize>(h.words_.size() * sizeof(std::uint64_t))))
    return fail("cut short");
  char extra = 0;
  if (in.read(&extra, 1)) return fail("longer than its settings say");
  return h;
}

}  // namespace vigil::monitor
