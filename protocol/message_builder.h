// Writes a DNS message into a caller-provided buffer, with name compression
// and a size limit. Nothing here allocates.
//
// Sections must be filled in order (question, answer, authority,
// additional). When a record does not fit under the limit it is left out
// whole; in the answer or authority section that sets TC=1 and closes the
// message to further records (RFC 2181 §9), in the additional section the
// record is just dropped. Space for the OPT record is reserved up front by
// set_edns(), so EDNS survives truncation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/edns.h"
#include "protocol/header.h"
#include "protocol/limits.h"
#include "protocol/name.h"
#include "protocol/result.h"
#include "protocol/types.h"

namespace vigil::dns {

// EDNS to put in a message: flags, payload size and pre-encoded options
// (which must stay alive until finish()).
struct EdnsOut {
  std::uint16_t udp_payload = kDefaultEdnsPayload;
  std::uint8_t version = 0;
  bool dnssec_ok = false;
  std::span<const std::uint8_t> options;
};

class MessageBuilder {
 public:
  // `limit` caps the message size (e.g. the client's UDP payload size); it is
  // clamped to the buffer size.
  explicit MessageBuilder(std::span<std::uint8_t> buffer) : MessageBuilder(buffer, buffer.size()) {}
  MessageBuilder(std::span<std::uint8_t> buffer, std::size_t limit);

  // Sets ID and flags. RCODEs above 15 need EDNS (their upper bits go in OPT).
  void set_header(const Header& h);
  void set_rcode(Rcode rcode);
  Header& header() { return header_; }

  // Reserves room for the OPT RR; call before adding records.
  Error set_edns(const EdnsOut& edns);
  // Pad the finished message to a multiple of `block` octets (RFC 7830/8467)
  // when EDNS is set and the buffer has room.
  void set_padding_block(std::size_t block) { padding_block_ = block; }

  Error add_question(const Name& name, RRType type, RRClass cls);
  // `rdata` is stored (uncompressed) RDATA; names in it are compressed where
  // the type allows (RFC 3597 §4).
  Error add_record(Section section, const Name& owner, RRType type, std::uint16_t rclass, std::uint32_t ttl,
                   std::span<const std::uint8_t> rdata);
  Error add_record(Section section, const Name& owner, RRType type, RRClass rclass, std::uint32_t ttl,
                   std::span<const std::uint8_t> rdata) {
    return add_record(section, owner, type, static_cast<std::uint16_t>(rclass), ttl, rdata);
  }

  // Checkpoints let a caller remove a partly written RRset.
  struct Checkpoint {
    std::size_t size;
    std::size_t targets;
    std::array<std::uint16_t, 4> counts;
  };
  Checkpoint mark() const { return {size_, target_count_, counts_}; }
  void rollback(const Checkpoint& c);

  // Whether a record was left out of the answer or authority section.
  bool truncated() const { return truncated_; }
  // Whether any additional-section record was left out.
  bool additional_dropped() const { return additional_dropped_; }
  std::uint16_t count(Section s) const { return counts_[static_cast<std::size_t>(s)]; }
  std::size_t size() const { return size_; }

  // Writes the header, counts and OPT; returns the message size. Call once;
  // later calls return the same size without writing again.
  std::size_t finish();

  // Writes a name at the current end, compressed against earlier names when
  // `compress`. Used by the RDATA writer; returns kNoSpace when over limit.
  Error write_name(const Name& name, bool compress);
  Error write_bytes(std::span<const std::uint8_t> bytes);

 private:
  struct Target {
    std::uint32_t hash;
    std::uint16_t offset;
  };
  bool fits(std::size_t n) const { return size_ + n <= limit_; }
  bool matches_at(std::size_t offset, std::span<const std::uint8_t> suffix) const;
  Error write_rdata(RRType type, std::span<const std::uint8_t> rdata);

  std::span<std::uint8_t> buf_;
  std::size_t limit_;
  std::size_t size_ = kHeaderSize;
  Header header_;
  std::uint16_t extended_rcode_ = 0;
  std::array<std::uint16_t, 4> counts_{};
  Section section_ = Section::kQuestion;
  bool truncated_ = false;
  bool additional_dropped_ = false;
  bool has_edns_ = false;
  bool finished_ = false;
  EdnsOut edns_;
  std::size_t padding_block_ = 0;
  std::size_t target_count_ = 0;
  std::array<Target, kMaxCompressionTargets> targets_;  // first target_count_ in use
};

}  // namespace vigil::dns
