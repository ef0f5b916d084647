// MessageView::parse_prefix(), in a file of its own: beside parse() in one
// translation unit it changed how the compiler inlined the helpers both
// call, and parse() — the query path's — got 25 % slower
// (bench/protocol_bench, BM_ParseResponse_VigilView: 300 → 375 ns).
#include "protocol/limits.h"
#include "protocol/message_view.h"
#include "protocol/rdata.h"
#include "protocol/wire_reader.h"

namespace vigil::dns {

Error MessageView::parse_record(WireReader& r, Section section) {
  std::size_t owner_length = 0;
  if (Error e = r.check_name(wire_.size(), true, owner_length); e != Error::kOk) return e;
  std::uint16_t type = 0;
  std::uint16_t cls = 0;
  std::uint32_t ttl = 0;
  std::uint16_t rdlength = 0;
  if (!r.read_u16(type) || !r.read_u16(cls) || !r.read_u32(ttl) || !r.read_u16(rdlength)) {
    return Error::kTruncated;
  }
  if (rdlength > r.remaining()) return Error::kTruncated;
  auto rtype = static_cast<RRType>(type);
  if (rtype == RRType::OPT) {
    if (section != Section::kAdditional) return Error::kOptNotInAdditional;
    if (has_edns_) return Error::kMultipleOpt;
    if (owner_length != 1) return Error::kBadOptOwner;
    auto rdata = wire_.subspan(r.pos(), rdlength);
    if (Error e = for_each_edns_option(rdata, [](std::uint16_t, auto) {}); e != Error::kOk) return e;
    has_edns_ = true;
    edns_ = {cls, EdnsFlags::from_ttl(ttl), rdata};
  } else if (Error e = validate_rdata(wire_, r.pos(), rdlength, rtype); e != Error::kOk) {
    return e == Error::kTruncated ? Error::kBadRdata : e;
  }
  r.skip(rdlength);
  return Error::kOk;
}

// The query log's parse of a message it kept only the first octets of.
Error MessageView::parse_prefix(std::span<const std::uint8_t> wire) {
  *this = MessageView();
  wire_ = wire;
  if (wire.size() < kHeaderSize) return Error::kTruncated;
  header_ = Header::from_wire(load_u16(&wire[0]), load_u16(&wire[2]));
  for (std::size_t i = 0; i < 4; ++i) counts_[i] = load_u16(&wire[4 + 2 * i]);
  if (counts_[0] * kMinQuestionSize > wire.size() - kHeaderSize) return Error::kTruncated;
  WireReader r(wire, kHeaderSize);
  for (std::size_t i = 0; i < counts_[0]; ++i) {
    std::size_t name_pos = r.pos();
    std::size_t name_length = 0;
    if (Error e = r.check_name(wire_.size(), true, name_length); e != Error::kOk) return e;
    std::uint16_t type = 0;
    std::uint16_t cls = 0;
    if (!r.read_u16(type) || !r.read_u16(cls)) return Error::kTruncated;
    if (i == 0) {
      question_name_pos_ = name_pos;
      qtype_ = static_cast<RRType>(type);
      qclass_ = static_cast<RRClass>(cls);
    }
  }
  question_end_ = r.pos();
  records_start_ = r.pos();
  bool stopped = false;
  for (std::size_t s = 1; s < 4; ++s) {
    if (stopped) {
      counts_[s] = 0;
      continue;
    }
    for (std::size_t i = 0; i < counts_[s]; ++i) {
      if (parse_record(r, static_cast<Section>(s)) == Error::kOk) continue;
      counts_[s] = static_cast<std::uint16_t>(i);  // the records before this one are whole
      stopped = true;
      break;
    }
  }
  return Error::kOk;
}

}  // namespace vigil::dns
