#include "resolver/root_hints.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "protocol/rdata.h"

namespace vigil::resolver {

namespace {

// IANA's named.root (https://www.internic.net/domain/named.root), as
// published since November 2023. Facts, not code: the same list every
// resolver ships.
constexpr std::string_view kBuiltin = R"(
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
.                        3600000      NS    B.ROOT-SERVERS.NET.
B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2
B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b
.                        3600000      NS    C.ROOT-SERVERS.NET.
C.ROOT-SERVERS.NET.      3600000      A     192.33.4.12
C.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2::c
.                        3600000      NS    D.ROOT-SERVERS.NET.
D.ROOT-SERVERS.NET.      3600000      A     199.7.91.13
D.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2d::d
.                        3600000      NS    E.ROOT-SERVERS.NET.
E.ROOT-SERVERS.NET.      3600000      A     192.203.230.10
E.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:a8::e
.                        3600000      NS    F.ROOT-SERVERS.NET.
F.ROOT-SERVERS.NET.      3600000      A     192.5.5.241
F.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2f::f
.                        3600000      NS    G.ROOT-SERVERS.NET.
G.ROOT-SERVERS.NET.      3600000      A     192.112.36.4
G.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:12::d0d
.                        3600000      NS    H.ROOT-SERVERS.NET.
H.ROOT-SERVERS.NET.      3600000      A     198.97.190.53
H.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:1::53
.                        3600000      NS    I.ROOT-SERVERS.NET.
I.ROOT-SERVERS.NET.      3600000      A     192.36.148.17
I.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fe::53
.                        3600000      NS    J.ROOT-SERVERS.NET.
J.ROOT-SERVERS.NET.      3600000      A     192.58.128.30
J.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:c27::2:30
.                        3600000      NS    K.ROOT-SERVERS.NET.
K.ROOT-SERVERS.NET.      3600000      A     193.0.14.129
K.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fd::1
.                        3600000      NS    L.ROOT-SERVERS.NET.
L.ROOT-SERVERS.NET.      3600000      A     199.7.83.42
L.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:9f::42
.                        3600000      NS    M.ROOT-SERVERS.NET.
M.ROOT-SERVERS.NET.      3600000      A     202.12.27.33
M.ROOT-SERVERS.NET.      3600000      AAAA  2001:dc3::35
)";

dns::TextError at(std::size_t line, std::string message) {
  return dns::TextError{line, std::move(message)};
}

// The 1-based line of the n-th record in `text` (records are one per line
// in hints files; comments and blank lines are skipped).
std::size_t line_of_record(std::string_view text, std::size_t n) {
  std::size_t line = 0;
  std::size_t seen = 0;
  std::istringstream in{std::string(text)};
  for (std::string l; std::getline(in, l);) {
    ++line;
    auto first = l.find_first_not_of(" \t\r");
    if (first == std::string::npos || l[first] == ';' || l[first] == '$') continue;
    if (seen++ == n) return line;
  }
  return 0;
}

}  // namespace

std::size_t RootHints::address_count() const {
  std::size_t n = 0;
  for (const auto& s : servers) n += s.ipv4.size() + s.ipv6.size();
  return n;
}

dns::Expected<RootHints, dns::TextError> parse_root_hints(std::string_view text) {
  auto records = dns::parse_zone_text(text, dns::Name());
  if (!records.ok()) return records.error();
  RootHints hints;
  auto find = [&](const dns::Name& n) -> RootServer* {
    for (auto& s : hints.servers) {
      if (s.name == n) return &s;
    }
    return nullptr;
  };
  // NS records first (they may come after the addresses).
  for (std::size_t i = 0; i < records->size(); ++i) {
    const auto& rr = (*records)[i];
    if (rr.type != dns::RRType::NS) continue;
    if (!rr.name.is_root()) {
      return at(line_of_record(text, i),
                "NS record for " + rr.name.to_text() + ": root hints name the root's servers only");
    }
    auto target = dns::rdata_target_name(rr.type, rr.rdata);
    if (!target) return at(line_of_record(text, i), "NS record without a name");
    if (find(*target) == nullptr) hints.servers.push_back({*target, {}, {}});
  }
  if (hints.servers.empty()) return at(0, "no NS records for the root (\".\")");
  for (std::size_t i = 0; i < records->size(); ++i) {
    const auto& rr = (*records)[i];
    if (rr.type == dns::RRType::NS) continue;
    if (rr.type != dns::RRType::A && rr.type != dns::RRType::AAAA) {
      return at(line_of_record(text, i), "unexpected " + dns::type_to_string(rr.type) +
                                             " record: root hints hold NS, A and AAAA records");
    }
    RootServer* s = find(rr.name);
    if (s == nullptr) {
      return at(line_of_record(text, i),
                "address of " + rr.name.to_text() + ", which no root NS record names");
    }
    if (rr.type == dns::RRType::A && rr.rdata.size() == 4) {
      std::array<std::uint8_t, 4> a{};
      std::copy(rr.rdata.begin(), rr.rdata.end(), a.begin());
      s->ipv4.push_back(a);
    } else if (rr.type == dns::RRType::AAAA && rr.rdata.size() == 16) {
      std::array<std::uint8_t, 16> a{};
      std::copy(rr.rdata.begin(), rr.rdata.end(), a.begin());
      s->ipv6.push_back(a);
    }
  }
  for (const auto& s : hints.servers) {
    if (s.ipv4.empty() && s.ipv6.empty()) return at(0, "root server " + s.name.to_text() + " has no address");
  }
  return hints;
}

const RootHints& builtin_root_hints() {
  static const RootHints hints = [] {
    auto h = parse_root_hints(kBuiltin);
    if (!h.ok()) throw std::logic_error("built-in root hints do not parse: " + h.error().message);
    return *h;
  }();
  return hints;
}

dns::Expected<RootHints, std::string> load_root_hints(const std::string& setting) {
  if (setting == "builtin") return builtin_root_hints();
  std::ifstream in(setting);
  if (!in) return setting + ": cannot read the root hints file";
  std::stringstream ss;
  ss << in.rdbuf();
  auto h = parse_root_hints(ss.str());
  if (!h.ok()) {
    return setting + (h.error().line > 0 ? ":" + std::to_string(h.error().line) : std::string()) + ": " +
           h.error().message;
  }
  return *h;
}

}  // namespace vigil::resolver
