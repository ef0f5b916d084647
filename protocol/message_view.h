// A validated, zero-allocation view of a DNS message.
//
// parse() checks the whole message once — header, every name (with
// decompression rules), every record's bounds, typed RDATA, OPT placement —
// and remembers where each section starts. Afterwards records can be walked
// without further checks and without touching the heap. This is the parser
// for the query hot path; Message (message.h) builds an owning copy on top.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/edns.h"
#include "protocol/header.h"
#include "protocol/name.h"
#include "protocol/result.h"
#include "protocol/types.h"

namespace vigil::dns {

class WireReader;

// Where one record sits inside the message.
struct RecordRef {
  std::uint32_t name_pos = 0;  // owner name (possibly compressed)
  RRType type{};
  std::uint16_t rclass = 0;  // raw: for OPT this is the UDP payload size
  std::uint32_t ttl = 0;
  std::uint16_t rdlength = 0;
  std::uint32_t rdata_pos = 0;
  Section section = Section::kAnswer;
};

// EDNS as found in a message, without copying its options.
struct EdnsView {
  std::uint16_t udp_payload = 0;
  EdnsFlags flags;
  std::span<const std::uint8_t> options;  // OPT RDATA
};

class MessageView {
 public:
  Error parse(std::span<const std::uint8_t> wire);
  // For the first octets of a longer message (a log keeps only so many):
  // the header and the question must be whole; records are kept while they
  // are whole and valid, and count() says how many were kept, declared()
  // how many the header announced. Nothing past the last whole record is
  // read (so an OPT record cut off is not seen: has_edns() is false).
  Error parse_prefix(std::span<const std::uint8_t> wire);
  // (Read from the header: no state of its own.)
  std::uint16_t declared(Section s) const;

  std::span<const std::uint8_t> wire() const { return wire_; }
  const Header& header() const { return header_; }
  std::uint16_t count(Section s) const { return counts_[static_cast<std::size_t>(s)]; }
  // Extended RCODE: header RCODE plus the OPT upper bits.
  Rcode rcode() const;

  bool has_edns() const { return has_edns_; }
  const EdnsView& edns() const { return edns_; }

  // The first question (the root name, type 0, when QDCOUNT is 0).
  Name question_name() const;
  RRType question_type() const { return qtype_; }
  RRClass question_class() const { return qclass_; }
  std::size_t question_end() const { return question_end_; }

  // Decompresses a name at a validated position (owner names, RDATA names).
  Name name_at(std::size_t pos) const;
  std::span<const std::uint8_t> rdata(const RecordRef& r) const {
    return wire_.subspan(r.rdata_pos, r.rdlength);
  }

  // Walks the records of answer, authority and additional in order. The
  // OPT record is included (type OPT, section additional).
  class RecordCursor {
   public:
    bool next(RecordRef& out);

   private:
    friend class MessageView;
    const MessageView* view_ = nullptr;
    std::size_t pos_ = 0;
    std::size_t index_ = 0;  // records already returned
  };
  RecordCursor records() const;

 private:
  Error parse_records(Section section, std::size_t& pos);
  Error parse_record(WireReader& r, Section section);  // parse_prefix()'s

  std::span<const std::uint8_t> wire_;
  Header header_;
  std::array<std::uint16_t, 4> counts_{};
  std::size_t records_start_ = 0;
  std::size_t question_name_pos_ = 0;
  std::size_t question_end_ = 0;
  RRType qtype_{};
  RRClass qclass_{};
  bool has_edns_ = false;
  EdnsView edns_;
};

}  // namespace vigil::dns
