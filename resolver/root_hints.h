// Root hints: the names and addresses of the root servers the engine starts
// from before priming (RFC 8109). Built in (IANA's named.root, compiled in)
// or read from a file in the same format (`resolver.root_hints: PATH`; the
// test lab writes one).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/name.h"
#include "protocol/presentation.h"
#include "protocol/result.h"

namespace vigil::resolver {

struct RootServer {
  dns::Name name;
  std::vector<std::array<std::uint8_t, 4>> ipv4;
  std::vector<std::array<std::uint8_t, 16>> ipv6;
};

struct RootHints {
  std::vector<RootServer> servers;  // in file order
  std::size_t address_count() const;
};

// The hints compiled into vigild: IANA's root.hints of 2024 (b.root moved
// to 170.247.170.2 / 2801:1b8:10::b in November 2023).
const RootHints& builtin_root_hints();

// Parses named.root text: ". NS x", and A/AAAA records of those names.
// Errors: no NS at the root, records that are not NS/A/AAAA, addresses of
// names that are not root servers, a root server without any address.
dns::Expected<RootHints, dns::TextError> parse_root_hints(std::string_view text);

// "builtin" or a file path; file errors read "PATH:LINE: what".
dns::Expected<RootHints, std::string> load_root_hints(const std::string& setting);

}  // namespace vigil::resolver
