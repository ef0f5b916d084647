#include "protocol/message_builder.h"

#include <algorithm>
#include <cstring>

#include "protocol/rdata.h"
#include "protocol/wire_reader.h"

namespace vigil::dns {
namespace {

std::uint32_t label_hash(std::uint32_t h, std::span<const std::uint8_t> label) {
  // FNV-1a over the lowercased label, chained onto the hash of the suffix.
  h ^= static_cast<std::uint32_t>(label.size());
  h *= 16777619U;
  for (std::uint8_t c : label) {
    h ^= ascii_lower(c);
    h *= 16777619U;
  }
  return h;
}

// Writes RDATA field by field so that compressible names get compressed.
class CompressingVisitor final : public RdataVisitor {
 public:
  explicit CompressingVisitor(MessageBuilder& b) : b_(b) {}
  void raw(FieldKind, std::span<const std::uint8_t> bytes) override {
    if (status == Error::kOk) status = b_.write_bytes(bytes);
  }
  void name(FieldKind kind, const Name& n) override {
    if (status == Error::kOk) status = b_.write_name(n, kind == FieldKind::kCompressibleName);
  }
  Error status = Error::kOk;

 private:
  MessageBuilder& b_;
};

}  // namespace

MessageBuilder::MessageBuilder(std::span<std::uint8_t> buffer, std::size_t limit)
    : buf_(buffer), limit_(std::min({limit, buffer.size(), kMaxMessageSize})) {}

void MessageBuilder::set_header(const Header& h) {
  header_ = h;
  extended_rcode_ = h.rcode;
}

void MessageBuilder::set_rcode(Rcode rcode) {
  extended_rcode_ = static_cast<std::uint16_t>(rcode);
  header_.rcode = static_cast<std::uint8_t>(extended_rcode_ & 0xF);
}

Error MessageBuilder::set_edns(const EdnsOut& edns) {
  std::size_t need = kOptRecordSize + edns.options.size();
  if (has_edns_) limit_ += kOptRecordSize + edns_.options.size();
  if (size_ + need > limit_) return Error::kNoSpace;
  limit_ -= need;
  has_edns_ = true;
  edns_ = edns;
  return Error::kOk;
}

Error MessageBuilder::write_bytes(std::span<const std::uint8_t> bytes) {
  if (!fits(bytes.size())) return Error::kNoSpace;
  if (!bytes.empty()) std::memcpy(&buf_[size_], bytes.data(), bytes.size());
  size_ += bytes.size();
  return Error::kOk;
}

bool MessageBuilder::matches_at(std::size_t offset, std::span<const std::uint8_t> suffix) const {
  std::size_t i = 0;  // position in suffix
  std::size_t pos = offset;
  for (std::size_t hops = 0; hops <= kMaxCompressionPointers;) {
    std::uint8_t len = buf_[pos];
    if ((len & 0xC0) == 0xC0) {
      pos = load_u16(&buf_[pos]) & 0x3FFFU;
      ++hops;
      continue;
    }
    if (len != suffix[i]) return false;
    if (len == 0) return true;
    for (std::size_t k = 1; k <= len; ++k) {
      if (ascii_lower(buf_[pos + k]) != ascii_lower(suffix[i + k])) return false;
    }
    pos += 1U + len;
    i += 1U + len;
  }
  return false;
}

Error MessageBuilder::write_name(const Name& name, bool compress) {
  std::span<const std::uint8_t> wire = name.wire();
  // Label start offsets and the hash of each suffix.
  // Only the first n entries are written and read.
  std::array<std::uint8_t, kMaxLabels + 1> offsets;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  std::array<std::uint32_t, kMaxLabels + 1> hashes;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  std::size_t n = 0;
  for (std::size_t pos = 0; wire[pos] != 0; pos += 1U + wire[pos])
    offsets[n++] = static_cast<std::uint8_t>(pos);
  std::uint32_t h = 2166136261U;
  for (std::size_t i = n; i-- > 0;) {
    h = label_hash(h, wire.subspan(offsets[i] + 1U, wire[offsets[i]]));
    hashes[i] = h;
  }
  // The longest suffix already in the message.
  std::size_t match_label = n;  // n = no match (only the root)
  std::uint16_t match_offset = 0;
  if (compress) {
    for (std::size_t i = 0; i < n && match_label == n; ++i) {
      for (std::size_t t = 0; t < target_count_; ++t) {
        if (targets_[t].hash == hashes[i] && matches_at(targets_[t].offset, wire.subspan(offsets[i]))) {
          match_label = i;
          match_offset = targets_[t].offset;
          break;
        }
      }
    }
  }
  std::size_t literal = match_label < n ? offsets[match_label] : wire.size() - 1;
  std::size_t need = literal + (match_label < n ? 2 : 1);
  if (!fits(need)) return Error::kNoSpace;
  const std::size_t start = size_;
  std::memcpy(&buf_[size_], wire.data(), literal);
  size_ += literal;
  if (match_label < n) {
    store_u16(&buf_[size_], static_cast<std::uint16_t>(0xC000U | match_offset));
    size_ += 2;
  } else {
    buf_[size_++] = 0;
  }
  // Remember the suffixes just written as future compression targets.
  if (compress) {
    for (std::size_t i = 0; i < match_label; ++i) {
      std::size_t off = start + offsets[i];
      if (off > kMaxCompressionOffset || target_count_ == targets_.size()) break;
      targets_[target_count_++] = {hashes[i], static_cast<std::uint16_t>(off)};
    }
  }
  return Error::kOk;
}

Error MessageBuilder::add_question(const Name& name, RRType type, RRClass cls) {
  if (section_ != Section::kQuestion) return Error::kNoSpace;
  Checkpoint c = mark();
  Error e = write_name(name, true);
  if (e == Error::kOk && !fits(4)) e = Error::kNoSpace;
  if (e != Error::kOk) {
    rollback(c);
    truncated_ = true;
    return e;
  }
  store_u16(&buf_[size_], static_cast<std::uint16_t>(type));
  store_u16(&buf_[size_ + 2], static_cast<std::uint16_t>(cls));
  size_ += 4;
  ++counts_[0];
  return Error::kOk;
}

Error MessageBuilder::write_rdata(RRType type, std::span<const std::uint8_t> rdata) {
  if (!has_compressible_names(type)) return write_bytes(rdata);
  WireReader r(rdata);
  CompressingVisitor v(*this);
  Error e = visit_rdata(type, r, static_cast<std::uint16_t>(rdata.size()), false, v);
  if (e != Error::kOk) return write_bytes(rdata);  // not well-formed: copy as is
  return v.status;
}

Error MessageBuilder::add_record(Section section, const Name& owner, RRType type, std::uint16_t rclass,
                                 std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
  if (section == Section::kQuestion || section < section_) return Error::kNoSpace;
  if (truncated_) return Error::kNoSpace;  // the message is closed
  if (rdata.size() > 0xFFFF) return Error::kRdataTooLong;
  section_ = section;
  Checkpoint c = mark();
  Error e = write_name(owner, true);
  if (e == Error::kOk && !fits(10)) e = Error::kNoSpace;
  std::size_t rdlength_pos = 0;
  if (e == Error::kOk) {
    store_u16(&buf_[size_], static_cast<std::uint16_t>(type));
    store_u16(&buf_[size_ + 2], rclass);
    store_u32(&buf_[size_ + 4], ttl);
    rdlength_pos = size_ + 8;
    size_ += 10;
    e = write_rdata(type, rdata);
  }
  if (e != Error::kOk) {
    rollback(c);
    if (section == Section::kAdditional) {
      additional_dropped_ = true;
    } else {
      truncated_ = true;
    }
    return e;
  }
  store_u16(&buf_[rdlength_pos], static_cast<std::uint16_t>(size_ - rdlength_pos - 2));
  ++counts_[static_cast<std::size_t>(section)];
  return Error::kOk;
}

void MessageBuilder::rollback(const Checkpoint& c) {
  size_ = c.size;
  target_count_ = c.targets;
  counts_ = c.counts;
}

std::size_t MessageBuilder::finish() {
  if (finished_) return size_;
  finished_ = true;
  Header h = header_;
  h.tc = h.tc || truncated_;
  store_u16(&buf_[0], h.id);
  store_u16(&buf_[2], h.flags());
  for (std::size_t i = 0; i < 4; ++i) store_u16(&buf_[4 + 2 * i], counts_[i]);
  if (has_edns_) {
    // set_edns() reserved the OPT space below the caller's limit.
    const std::size_t opt_size = kOptRecordSize + edns_.options.size();
    std::size_t pad_option = 0;  // the padding option, header included
    if (padding_block_ > 0) {
      std::size_t pad = padding_for_block(size_ + opt_size, padding_block_);
      if (size_ + opt_size + 4 + pad <= limit_ + opt_size) pad_option = 4 + pad;
    }
    const std::size_t opt_rdlen = edns_.options.size() + pad_option;
    buf_[size_] = 0;  // root owner
    store_u16(&buf_[size_ + 1], static_cast<std::uint16_t>(RRType::OPT));
    store_u16(&buf_[size_ + 3], edns_.udp_payload);
    EdnsFlags f;
    f.extended_rcode = static_cast<std::uint8_t>(extended_rcode_ >> 4);
    f.version = edns_.version;
    f.dnssec_ok = edns_.dnssec_ok;
    store_u32(&buf_[size_ + 5], f.to_ttl());
    store_u16(&buf_[size_ + 9], static_cast<std::uint16_t>(opt_rdlen));
    size_ += kOptRecordSize;
    if (!edns_.options.empty()) std::memcpy(&buf_[size_], edns_.options.data(), edns_.options.size());
    size_ += edns_.options.size();
    if (pad_option > 0) {
      store_u16(&buf_[size_], static_cast<std::uint16_t>(EdnsOptionCode::kPadding));
      store_u16(&buf_[size_ + 2], static_cast<std::uint16_t>(pad_option - 4));
      std::memset(&buf_[size_ + 4], 0, pad_option - 4);
      size_ += pad_option;
    }
    store_u16(&buf_[10], static_cast<std::uint16_t>(counts_[3] + 1));
  }
  return size_;
}

}  // namespace vigil::dns
