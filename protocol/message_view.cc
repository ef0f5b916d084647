#include "protocol/message_view.h"

#include "protocol/limits.h"
#include "protocol/rdata.h"
#include "protocol/wire_reader.h"

namespace vigil::dns {

Error MessageView::parse(std::span<const std::uint8_t> wire) {
  *this = MessageView();
  wire_ = wire;
  if (wire.size() < kHeaderSize) return Error::kTruncated;
  header_ = Header::from_wire(load_u16(&wire[0]), load_u16(&wire[2]));
  for (std::size_t i = 0; i < 4; ++i) counts_[i] = load_u16(&wire[4 + 2 * i]);

  // Cheap rejection of counts the message cannot possibly hold.
  std::size_t body = wire.size() - kHeaderSize;
  std::size_t records = std::size_t{counts_[1]} + counts_[2] + counts_[3];
  if (counts_[0] * kMinQuestionSize + records * kMinRecordSize > body) return Error::kTruncated;

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
  std::size_t pos = r.pos();
  for (Section s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) {
    if (Error e = parse_records(s, pos); e != Error::kOk) return e;
  }
  if (pos != wire.size()) return Error::kTrailingData;
  return Error::kOk;
}

Error MessageView::parse_records(Section section, std::size_t& pos) {
  WireReader r(wire_, pos);
  for (std::size_t i = 0; i < counts_[static_cast<std::size_t>(section)]; ++i) {
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
  }
  pos = r.pos();
  return Error::kOk;
}

std::uint16_t MessageView::declared(Section s) const {
  return wire_.size() >= kHeaderSize ? load_u16(&wire_[4 + 2 * static_cast<std::size_t>(s)]) : 0;
}

Rcode MessageView::rcode() const {
  unsigned upper = has_edns_ ? edns_.flags.extended_rcode : 0U;
  return static_cast<Rcode>((upper << 4) | header_.rcode);
}

Name MessageView::question_name() const {
  return counts_[0] > 0 ? name_at(question_name_pos_) : Name();
}

Name MessageView::name_at(std::size_t pos) const {
  WireReader r(wire_, pos);
  Name n;
  (void)r.read_name(n);  // validated by parse()
  return n;
}

MessageView::RecordCursor MessageView::records() const {
  RecordCursor c;
  c.view_ = this;
  c.pos_ = records_start_;
  return c;
}

bool MessageView::RecordCursor::next(RecordRef& out) {
  const std::size_t total = std::size_t{view_->counts_[1]} + view_->counts_[2] + view_->counts_[3];
  if (index_ >= total) return false;
  WireReader r(view_->wire_, pos_);
  out.name_pos = static_cast<std::uint32_t>(pos_);
  (void)r.skip_name(view_->wire_.size());
  std::uint16_t type = 0;
  std::uint16_t len = 0;
  r.read_u16(type);
  r.read_u16(out.rclass);
  r.read_u32(out.ttl);
  r.read_u16(len);
  out.type = static_cast<RRType>(type);
  out.rdlength = len;
  out.rdata_pos = static_cast<std::uint32_t>(r.pos());
  if (index_ < view_->counts_[1]) {
    out.section = Section::kAnswer;
  } else if (index_ < std::size_t{view_->counts_[1]} + view_->counts_[2]) {
    out.section = Section::kAuthority;
  } else {
    out.section = Section::kAdditional;
  }
  r.skip(len);
  pos_ = r.pos();
  ++index_;
  return true;
}

}  // namespace vigil::dns
