// An owning, mutable DNS message: what tests, the resolver's slow paths and
// tools work with. Parsing goes through MessageView and writing through
// MessageBuilder, so there is one parser and one writer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/edns.h"
#include "protocol/header.h"
#include "protocol/limits.h"
#include "protocol/name.h"
#include "protocol/result.h"
#include "protocol/types.h"

namespace vigil::dns {

class MessageView;

struct Question {
  Name name;
  RRType type = RRType::A;
  RRClass rclass = RRClass::IN;
  bool operator==(const Question&) const = default;
};

struct ResourceRecord {
  Name name;
  RRType type = RRType::A;
  RRClass rclass = RRClass::IN;
  std::uint32_t ttl = 0;
  std::vector<std::uint8_t> rdata;  // uncompressed

  // "www.example. 300 IN A 192.0.2.1"
  std::string to_text() const;
  // Exact equality (owner case-insensitive, RDATA octets as stored).
  bool operator==(const ResourceRecord&) const = default;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answer;
  std::vector<ResourceRecord> authority;
  std::vector<ResourceRecord> additional;  // without the OPT record
  std::optional<Edns> edns;

  // Extended RCODE (header bits plus EDNS bits).
  Rcode rcode() const;
  void set_rcode(Rcode r);

  static Expected<Message> parse(std::span<const std::uint8_t> wire);
  static Message from_view(const MessageView& view);

  // Writes the message into `buffer`, at most `limit` octets (truncating
  // with TC=1 as MessageBuilder does). Returns the size written.
  Expected<std::size_t> write(std::span<std::uint8_t> buffer, std::size_t limit) const;
  std::vector<std::uint8_t> to_wire(std::size_t limit = kMaxMessageSize) const;

  // A dig-like rendering for logs, tests and tools.
  std::string to_text() const;

  std::vector<ResourceRecord>& section(Section s);
  const std::vector<ResourceRecord>& section(Section s) const;
};

// A query message: one question, RD as given, EDNS with `payload` when
// payload > 0.
Message make_query(std::uint16_t id, const Name& name, RRType type, bool rd = true,
                   std::uint16_t payload = kDefaultEdnsPayload);

}  // namespace vigil::dns
