// Presentation-format (zone file) records, parsed with ldns.
//
// ldns is Vigil's parser for text that people write: local data in the
// configuration, root hints, zone files, trust anchors. Its output is
// converted to the project's own types (the wire path never calls ldns).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message.h"
#include "protocol/name.h"
#include "protocol/result.h"

namespace vigil::dns {

struct TextError {
  std::size_t line = 0;  // 1-based line of the offending record (0 = n/a)
  std::string message;
};

// One record such as "printer.lan. 3600 IN A 192.168.1.20". Relative names
// are completed with `origin`; a missing TTL becomes `default_ttl`.
Expected<ResourceRecord, TextError> parse_record(std::string_view text, const Name& origin = Name(),
                                                 std::uint32_t default_ttl = 3600);

// Calls `each(record, line)` for every record of a zone-file text in order,
// without keeping them (policy feeds can hold millions). `each` returns ""
// to go on, or a message: the walk stops with that error at that line.
// Otherwise the same as parse_zone_text.
std::optional<TextError> for_each_zone_record(
    std::string_view text, const Name& origin, std::uint32_t default_ttl,
    const std::function<std::string(ResourceRecord& record, std::size_t line)>& each);

// A whole zone-file text ($ORIGIN, $TTL, comments, parentheses). Stops at the
// first error, reporting its line.
Expected<std::vector<ResourceRecord>, TextError> parse_zone_text(std::string_view text,
                                                                 const Name& origin = Name(),
                                                                 std::uint32_t default_ttl = 3600);

}  // namespace vigil::dns
