// RRsetCache::dump() and load(): the cache persisted as text, one entry per
// line, with absolute expiry times so that entries keep their remaining TTL
// across a restart.
//
//   P <rank> <expires> <class> <type> <owner> <hex rdata>...
//   N <nxdomain|nodata> <rank> <expires> <class> <type> <owner> <soa owner> <soa ttl> <hex soa rdata>
//
// Owners are in presentation format (escaped, so without spaces); RDATA in
// hex. The file is input like any other: every line is validated on load.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <shared_mutex>
#include <sstream>

#include "cache/rrset_cache.h"
#include "protocol/rdata.h"
#include "protocol/text_codec.h"

namespace vigil::cache {

namespace {

bool parse_hex(std::string_view s, std::vector<std::uint8_t>& out) {
  if (s.size() % 2 != 0) return false;
  out.clear();
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (ec != std::errc() || p != s.data() + i + 2) return false;
    out.push_back(static_cast<std::uint8_t>(v));
  }
  return true;
}

template <class T>
bool parse_int(const std::string& s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

DumpStats RRsetCache::dump(const std::string& path, Time now) const {
  // Written beside the target and renamed over it, so a crash or a full
  // disk never leaves a half-written dump where a good one was.
  DumpStats stats;
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::trunc);
  if (!out) {
    stats.error = tmp + ": cannot create (" + std::strerror(errno) + ")";
    return stats;
  }
  out << "; vigil cache dump v1, written at " << now << "\n";
  for (std::size_t i = 0; i < options_.shards; ++i) {
    for (const auto& line : dump_shard(i)) {
      out << line << '\n';
      ++stats.written;
    }
  }
  out.close();
  if (!out) {
    stats.error = tmp + ": write failed";
  } else if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    stats.error = path + ": cannot replace (" + std::strerror(errno) + ")";
  }
  if (!stats.error.empty()) {
    std::remove(tmp.c_str());
    stats.written = 0;
  }
  return stats;
}

LoadStats RRsetCache::load(const std::string& path, Time now) {
  LoadStats stats;
  std::ifstream in(path);
  if (!in) {
    stats.first_error = path + ": cannot open";
    return stats;
  }
  std::string line;
  std::size_t lineno = 0;
  auto reject = [&](const std::string& why) {
    ++stats.rejected;
    if (stats.first_error.empty()) stats.first_error = path + ":" + std::to_string(lineno) + ": " + why;
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == ';') continue;
    std::istringstream f(line);
    std::string tag;
    f >> tag;
    std::string kind;
    if (tag == "N") f >> kind;
    std::string rank_s, expires_s, class_s, type_s, owner_s;
    f >> rank_s >> expires_s >> class_s >> type_s >> owner_s;
    unsigned rank = 0;
    Time expires = 0;
    std::uint16_t rclass = 0;
    std::uint16_t type = 0;
    if ((tag != "P" && tag != "N") || !parse_int(rank_s, rank) || rank < 1 || rank > 6 ||
        !parse_int(expires_s, expires) || !parse_int(class_s, rclass) || !parse_int(type_s, type)) {
      reject("malformed entry header");
      continue;
    }
    auto owner = dns::Name::from_text(owner_s);
    if (!owner.ok()) {
      reject("bad owner name \"" + owner_s + "\"");
      continue;
    }
    if (expires <= now) {
      ++stats.expired;
      continue;
    }
    auto ttl = static_cast<std::uint32_t>(std::min<Time>(expires - now, 0x7FFFFFFF));
    if (tag == "P") {
      dns::RRset set{*owner, static_cast<dns::RRType>(type), static_cast<dns::RRClass>(rclass), ttl, {}};
      std::string hex;
      bool ok = true;
      while (f >> hex) {
        std::vector<std::uint8_t> rd;
        if (!parse_hex(hex, rd) || dns::validate_stored_rdata(set.type, rd) != dns::Error::kOk) {
          ok = false;
          break;
        }
        set.rdatas.push_back(std::move(rd));
      }
      if (!ok || set.rdatas.empty()) {
        reject("bad RDATA");
        continue;
      }
      if (insert(set, static_cast<Rank>(rank), now) == InsertResult::kInvalid)
        reject("not cacheable");
      else
        ++stats.loaded;
    } else {
      std::string soa_owner_s, soa_ttl_s, hex;
      f >> soa_owner_s >> soa_ttl_s >> hex;
      auto soa_owner = dns::Name::from_text(soa_owner_s);
      dns::ResourceRecord soa;
      std::uint32_t soa_ttl = 0;
      if ((kind != "nxdomain" && kind != "nodata") || !soa_owner.ok() || !parse_int(soa_ttl_s, soa_ttl) ||
          !parse_hex(hex, soa.rdata) ||
          dns::validate_stored_rdata(dns::RRType::SOA, soa.rdata) != dns::Error::kOk) {
        reject("bad negative entry");
        continue;
      }
      soa.name = *soa_owner;
      soa.type = dns::RRType::SOA;
      soa.rclass = static_cast<dns::RRClass>(rclass);
      soa.ttl = std::min(soa_ttl, ttl);  // the remaining negative TTL bounds the reloaded one
      auto r = insert_negative(*owner, static_cast<dns::RRType>(type), static_cast<dns::RRClass>(rclass),
                               kind == "nxdomain" ? NegativeKind::kNxDomain : NegativeKind::kNoData, soa,
                               static_cast<Rank>(rank), now);
      if (r == InsertResult::kInvalid)
        reject("not cacheable");
      else
        ++stats.loaded;
    }
  }
  return stats;
}

}  // namespace vigil::cache
