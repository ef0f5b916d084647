#include "protocol/rdata.h"

#include <cstring>
#include <ctime>
#include <initializer_list>

#include <arpa/inet.h>

#include "protocol/text_codec.h"
#include "protocol/wire_reader.h"

namespace vigil::dns {
namespace {

using K = FieldKind;

struct Descriptor {
  RRType type;
  bool compressible;
  std::initializer_list<FieldKind> fields;
};

// The layouts of the typed RR types. Names in RFC 1035 types are
// compressible (RFC 3597 §4); all other embedded names are decompressed on
// read but written uncompressed.
const Descriptor kDescriptors[] = {
    {RRType::A, false, {K::kIPv4}},
    {RRType::NS, true, {K::kCompressibleName}},
    {RRType::MD, true, {K::kCompressibleName}},
    {RRType::MF, true, {K::kCompressibleName}},
    {RRType::CNAME, true, {K::kCompressibleName}},
    {RRType::SOA,
     true,
     {K::kCompressibleName, K::kCompressibleName, K::kU32, K::kU32, K::kU32, K::kU32, K::kU32}},
    {RRType::MB, true, {K::kCompressibleName}},
    {RRType::MG, true, {K::kCompressibleName}},
    {RRType::MR, true, {K::kCompressibleName}},
    {RRType::PTR, true, {K::kCompressibleName}},
    {RRType::HINFO, false, {K::kCharString, K::kCharString}},
    {RRType::MINFO, true, {K::kCompressibleName, K::kCompressibleName}},
    {RRType::MX, true, {K::kU16, K::kCompressibleName}},
    {RRType::TXT, false, {K::kCharStrings}},
    {RRType::RP, false, {K::kName, K::kName}},
    {RRType::AFSDB, false, {K::kU16, K::kName}},
    {RRType::RT, false, {K::kU16, K::kName}},
    {RRType::AAAA, false, {K::kIPv6}},
    {RRType::SRV, false, {K::kU16, K::kU16, K::kU16, K::kName}},
    {RRType::NAPTR, false, {K::kU16, K::kU16, K::kCharString, K::kCharString, K::kCharString, K::kName}},
    {RRType::KX, false, {K::kU16, K::kName}},
    {RRType::DNAME, false, {K::kName}},
    {RRType::DS, false, {K::kU16, K::kU8, K::kU8, K::kHex}},
    {RRType::SSHFP, false, {K::kU8, K::kU8, K::kHex}},
    {RRType::RRSIG,
     false,
     {K::kType, K::kU8, K::kU8, K::kU32, K::kTime, K::kTime, K::kU16, K::kName, K::kBase64}},
    {RRType::NSEC, false, {K::kName, K::kTypeBitmap}},
    {RRType::DNSKEY, false, {K::kU16, K::kU8, K::kU8, K::kBase64}},
    {RRType::NSEC3, false, {K::kU8, K::kU8, K::kU16, K::kSalt, K::kHash, K::kTypeBitmap}},
    {RRType::NSEC3PARAM, false, {K::kU8, K::kU8, K::kU16, K::kSalt}},
    {RRType::TLSA, false, {K::kU8, K::kU8, K::kU8, K::kHex}},
    {RRType::SMIMEA, false, {K::kU8, K::kU8, K::kU8, K::kHex}},
    {RRType::CDS, false, {K::kU16, K::kU8, K::kU8, K::kHex}},
    {RRType::CDNSKEY, false, {K::kU16, K::kU8, K::kU8, K::kBase64}},
    {RRType::OPENPGPKEY, false, {K::kBase64}},
    {RRType::ZONEMD, false, {K::kU32, K::kU8, K::kU8, K::kHex}},
    {RRType::SVCB, false, {K::kU16, K::kName, K::kSvcParams}},
    {RRType::HTTPS, false, {K::kU16, K::kName, K::kSvcParams}},
    {RRType::SPF, false, {K::kCharStrings}},
    {RRType::URI, false, {K::kU16, K::kU16, K::kString}},
    {RRType::CAA, false, {K::kU8, K::kCaaTag, K::kString}},
};

// Direct lookup by type value; every described type is below 512.
constexpr std::size_t kTableSize = 512;

std::array<const Descriptor*, kTableSize> make_table() {
  std::array<const Descriptor*, kTableSize> table{};
  for (const auto& d : kDescriptors) table[static_cast<std::size_t>(d.type)] = &d;
  return table;
}

const Descriptor* find(RRType type) {
  static const std::array<const Descriptor*, kTableSize> table = make_table();
  auto i = static_cast<std::size_t>(type);
  return i < kTableSize ? table[i] : nullptr;
}

// RFC 4034 §4.1.2: windows in increasing order, each 1..32 octets.
bool valid_type_bitmap(std::span<const std::uint8_t> b) {
  std::size_t pos = 0;
  int last_window = -1;
  while (pos < b.size()) {
    if (pos + 2 > b.size()) return false;
    int window = b[pos];
    std::size_t len = b[pos + 1];
    if (window <= last_window || len < 1 || len > 32 || pos + 2 + len > b.size()) return false;
    last_window = window;
    pos += 2 + len;
  }
  return true;
}

// SvcParamKeys (RFC 9460 §14.3.2).
enum SvcKey : std::uint16_t {
  kMandatory = 0,
  kAlpn = 1,
  kNoDefaultAlpn = 2,
  kPort = 3,
  kIpv4Hint = 4,
  kEch = 5,
  kIpv6Hint = 6,
};

bool valid_svc_value(std::uint16_t key, std::span<const std::uint8_t> v) {
  switch (key) {
    case kMandatory: return !v.empty() && v.size() % 2 == 0;
    case kAlpn: {
      if (v.empty()) return false;
      for (std::size_t p = 0; p < v.size();) {
        std::size_t len = v[p];
        if (len == 0 || p + 1 + len > v.size()) return false;
        p += 1 + len;
      }
      return true;
    }
    case kNoDefaultAlpn: return v.empty();
    case kPort: return v.size() == 2;
    case kIpv4Hint: return !v.empty() && v.size() % 4 == 0;
    case kIpv6Hint: return !v.empty() && v.size() % 16 == 0;
    default: return true;
  }
}

bool valid_svc_params(std::span<const std::uint8_t> b) {
  std::size_t pos = 0;
  int last_key = -1;
  while (pos < b.size()) {
    if (pos + 4 > b.size()) return false;
    std::uint16_t key = load_u16(&b[pos]);
    std::size_t len = load_u16(&b[pos + 2]);
    if (static_cast<int>(key) <= last_key || pos + 4 + len > b.size()) return false;
    if (key == 65535) return false;  // reserved ("Invalid key")
    if (!valid_svc_value(key, b.subspan(pos + 4, len))) return false;
    last_key = key;
    pos += 4 + len;
  }
  return true;
}

bool is_alnum(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Reads one field; returns its raw bytes (for non-names) through `raw`.
Error read_field(FieldKind kind, WireReader& r, std::size_t end, bool allow_pointers, RdataVisitor& v) {
  std::span<const std::uint8_t> bytes;
  const std::size_t start = r.pos();
  const std::size_t rest = end - start;
  auto take = [&](std::size_t n) -> Error {
    if (n > rest || !r.read_bytes(n, bytes)) return Error::kBadRdata;
    return Error::kOk;
  };
  // A length octet followed by that many octets.
  auto take_counted = [&](std::size_t min_len) -> Error {
    if (rest < 1) return Error::kBadRdata;
    std::size_t len = r.message()[start];
    if (len < min_len) return Error::kBadRdata;
    return take(1 + len);
  };
  Error e = Error::kOk;
  switch (kind) {
    case K::kU8: e = take(1); break;
    case K::kU16:
    case K::kType: e = take(2); break;
    case K::kU32:
    case K::kTime:
    case K::kIPv4: e = take(4); break;
    case K::kIPv6: e = take(16); break;
    case K::kCompressibleName:
    case K::kName: {
      if (!v.wants_names()) {
        std::size_t len = 0;
        e = r.check_name(end, allow_pointers, len);
        if (e != Error::kOk) return e == Error::kTruncated ? Error::kBadRdata : e;
        v.name_length(kind, len);
        return Error::kOk;
      }
      Name n;
      e = r.read_name(n, end, allow_pointers);
      if (e != Error::kOk) return e == Error::kTruncated ? Error::kBadRdata : e;
      v.name(kind, n);
      return Error::kOk;
    }
    case K::kCharString: e = take_counted(0); break;
    case K::kCharStrings: {
      if (rest == 0) return Error::kBadRdata;
      for (std::size_t p = start; p < end;) {
        std::size_t len = r.message()[p];
        if (p + 1 + len > end) return Error::kBadRdata;
        p += 1 + len;
      }
      e = take(rest);
      break;
    }
    case K::kBase64:
    case K::kString: e = take(rest); break;
    case K::kHex: e = rest == 0 ? Error::kBadRdata : take(rest); break;
    case K::kSalt: e = take_counted(0); break;
    case K::kHash: e = take_counted(1); break;
    case K::kTypeBitmap:
      e = take(rest);
      if (e == Error::kOk && !valid_type_bitmap(bytes)) e = Error::kBadRdata;
      break;
    case K::kCaaTag:
      e = take_counted(1);
      if (e == Error::kOk) {
        for (std::size_t i = 1; i < bytes.size(); ++i) {
          if (!is_alnum(bytes[i])) return Error::kBadRdata;
        }
      }
      break;
    case K::kSvcParams:
      e = take(rest);
      if (e == Error::kOk && !valid_svc_params(bytes)) e = Error::kBadRdata;
      break;
  }
  if (e != Error::kOk) return e;
  v.raw(kind, bytes);
  return Error::kOk;
}

class AppendVisitor final : public RdataVisitor {
 public:
  explicit AppendVisitor(std::vector<std::uint8_t>& out) : out_(out) {}
  void raw(FieldKind, std::span<const std::uint8_t> b) override {
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void name(FieldKind, const Name& n) override { out_.insert(out_.end(), n.wire().begin(), n.wire().end()); }

 private:
  std::vector<std::uint8_t>& out_;
};

// Validation only: adds up the uncompressed RDATA length (decompression can
// make RDATA grow past 65535 octets).
class LengthVisitor final : public RdataVisitor {
 public:
  void raw(FieldKind, std::span<const std::uint8_t> b) override { total += b.size(); }
  void name(FieldKind, const Name& n) override { total += n.wire_length(); }
  [[nodiscard]] bool wants_names() const override { return false; }
  void name_length(FieldKind, std::size_t len) override { total += len; }
  std::size_t total = 0;
};

void append_time(std::string& out, std::uint32_t t) {
  auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  out.append(buf, n);
}

void append_type_bitmap(std::string& out, std::span<const std::uint8_t> b) {
  bool first = true;
  for (std::size_t pos = 0; pos + 2 <= b.size();) {
    unsigned window = b[pos];
    std::size_t len = b[pos + 1];
    for (std::size_t i = 0; i < len && pos + 2 + i < b.size(); ++i) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        if ((b[pos + 2 + i] & (0x80U >> bit)) == 0) continue;
        if (!first) out += ' ';
        first = false;
        out += type_to_string(static_cast<RRType>(std::size_t{window} * 256 + i * 8 + bit));
      }
    }
    pos += 2 + len;
  }
}

// ALPN ids are printed comma-separated; commas and backslashes inside an id
// are escaped (RFC 9460 Appendix A.1).
void append_alpn(std::string& out, std::span<const std::uint8_t> v) {
  std::string value;
  for (std::size_t p = 0; p < v.size();) {
    std::size_t len = v[p];
    if (p != 0) value += ',';
    for (std::size_t i = 0; i < len; ++i) {
      auto c = static_cast<char>(v[p + 1 + i]);
      if (c == ',' || c == '\\') value += '\\';
      value += c;
    }
    p += 1 + len;
  }
  append_quoted(out, {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
}

void append_svc_params(std::string& out, std::span<const std::uint8_t> b) {
  for (std::size_t pos = 0; pos + 4 <= b.size();) {
    std::uint16_t key = load_u16(&b[pos]);
    std::size_t len = load_u16(&b[pos + 2]);
    auto v = b.subspan(pos + 4, len);
    if (pos != 0) out += ' ';
    switch (key) {
      case kMandatory:
        out += "mandatory=";
        for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
          if (i != 0) out += ',';
          std::uint16_t k = load_u16(&v[i]);
          static constexpr const char* kNames[] = {"mandatory", "alpn", "no-default-alpn", "port",
                                                   "ipv4hint",  "ech",  "ipv6hint"};
          if (k < 7) {
            out += kNames[k];
          } else {
            out += "key" + std::to_string(k);
          }
        }
        break;
      case kAlpn:
        out += "alpn=";
        append_alpn(out, v);
        break;
      case kNoDefaultAlpn: out += "no-default-alpn"; break;
      case kPort: out += "port=" + std::to_string(load_u16(v.data())); break;
      case kIpv4Hint:
        out += "ipv4hint=";
        for (std::size_t i = 0; i < v.size(); i += 4) {
          if (i != 0) out += ',';
          append_address_text(out, {&v[i], 4});
        }
        break;
      case kIpv6Hint:
        out += "ipv6hint=";
        for (std::size_t i = 0; i < v.size(); i += 16) {
          if (i != 0) out += ',';
          append_address_text(out, {&v[i], 16});
        }
        break;
      case kEch:
        out += "ech=";
        append_base64(out, v);
        break;
      default:
        out += "key" + std::to_string(key);
        if (!v.empty()) {
          out += '=';
          append_quoted(out, v);
        }
    }
    pos += 4 + len;
  }
}

class TextVisitor final : public RdataVisitor {
 public:
  explicit TextVisitor(std::string& out) : out_(out) {}

  void name(FieldKind, const Name& n) override {
    separate();
    n.append_text(out_);
  }

  void raw(FieldKind kind, std::span<const std::uint8_t> b) override {
    switch (kind) {
      case K::kU8:
        separate();
        out_ += std::to_string(b[0]);
        break;
      case K::kU16:
        separate();
        out_ += std::to_string(load_u16(b.data()));
        break;
      case K::kU32:
        separate();
        out_ += std::to_string(load_u32(b.data()));
        break;
      case K::kType:
        separate();
        out_ += type_to_string(static_cast<RRType>(load_u16(b.data())));
        break;
      case K::kTime:
        separate();
        append_time(out_, load_u32(b.data()));
        break;
      case K::kIPv4:
        separate();
        append_address_text(out_, {b.data(), 4});
        break;
      case K::kIPv6:
        separate();
        append_address_text(out_, {b.data(), 16});
        break;
      case K::kCharString:
        separate();
        append_quoted(out_, b.subspan(1));
        break;
      case K::kCharStrings:
        for (std::size_t p = 0; p < b.size();) {
          std::size_t len = b[p];
          separate();
          append_quoted(out_, b.subspan(p + 1, len));
          p += 1 + len;
        }
        break;
      case K::kBase64:
        if (!b.empty()) {
          separate();
          append_base64(out_, b);
        }
        break;
      case K::kHex:
        separate();
        append_hex(out_, b);
        break;
      case K::kSalt:
        separate();
        if (b.size() == 1) {
          out_ += '-';
        } else {
          append_hex(out_, b.subspan(1));
        }
        break;
      case K::kHash:
        separate();
        append_base32hex(out_, b.subspan(1));
        break;
      case K::kTypeBitmap:
        if (!b.empty()) {
          separate();
          append_type_bitmap(out_, b);
        }
        break;
      case K::kCaaTag:
        separate();
        out_.append(reinterpret_cast<const char*>(b.data() + 1), b.size() - 1);
        break;
      case K::kString:
        separate();
        append_quoted(out_, b);
        break;
      case K::kSvcParams:
        if (!b.empty()) {
          separate();
          append_svc_params(out_, b);
        }
        break;
      case K::kCompressibleName:
      case K::kName: break;  // names arrive through name()
    }
  }

 private:
  void separate() {
    if (!first_) out_ += ' ';
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

char* format_address(char* out, std::span<const std::uint8_t> address) {
  static_assert(kMaxAddressText >= INET6_ADDRSTRLEN);
  if (address.size() == 4) {  // by hand: inet_ntop formats IPv4 through sprintf
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) *out++ = '.';
      const unsigned v = address[i];
      if (v >= 100) *out++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *out++ = static_cast<char>('0' + v / 10 % 10);
      *out++ = static_cast<char>('0' + v % 10);
    }
  } else if (address.size() == 16) {
    if (inet_ntop(AF_INET6, address.data(), out, INET6_ADDRSTRLEN) != nullptr) out += std::strlen(out);
  }
  return out;
}

void append_address_text(std::string& out, std::span<const std::uint8_t> address) {
  char buf[kMaxAddressText];
  out.append(buf, format_address(buf, address));
}

bool is_typed(RRType type) {
  return find(type) != nullptr;
}

bool has_compressible_names(RRType type) {
  const Descriptor* d = find(type);
  return d != nullptr && d->compressible;
}

Error visit_rdata(RRType type, WireReader& reader, std::uint16_t rdlength, bool allow_pointers,
                  RdataVisitor& visitor) {
  const std::size_t end = reader.pos() + rdlength;
  if (rdlength > reader.remaining()) return Error::kTruncated;
  const Descriptor* d = find(type);
  if (d == nullptr) {
    std::span<const std::uint8_t> bytes;
    reader.read_bytes(rdlength, bytes);
    visitor.raw(K::kBase64, bytes);
    return Error::kOk;
  }
  for (FieldKind kind : d->fields) {
    if (Error e = read_field(kind, reader, end, allow_pointers, visitor); e != Error::kOk) return e;
  }
  if (reader.pos() != end) return Error::kBadRdata;  // octets left over
  return Error::kOk;
}

Error read_rdata(std::span<const std::uint8_t> message, std::size_t pos, std::uint16_t rdlength, RRType type,
                 std::vector<std::uint8_t>& out) {
  WireReader r(message, pos);
  std::size_t before = out.size();
  AppendVisitor v(out);
  Error e = visit_rdata(type, r, rdlength, true, v);
  if (e == Error::kOk && out.size() - before > 0xFFFF) e = Error::kRdataTooLong;
  if (e != Error::kOk) out.resize(before);
  return e;
}

Error validate_rdata(std::span<const std::uint8_t> message, std::size_t pos, std::uint16_t rdlength,
                     RRType type) {
  WireReader r(message, pos);
  LengthVisitor v;
  Error e = visit_rdata(type, r, rdlength, true, v);
  if (e == Error::kOk && v.total > 0xFFFF) return Error::kRdataTooLong;
  return e;
}

Error validate_stored_rdata(RRType type, std::span<const std::uint8_t> rdata) {
  if (rdata.size() > 0xFFFF) return Error::kRdataTooLong;
  WireReader r(rdata);
  LengthVisitor v;
  return visit_rdata(type, r, static_cast<std::uint16_t>(rdata.size()), false, v);
}

void append_rdata_text(std::string& out, RRType type, std::span<const std::uint8_t> rdata) {
  if (find(type) != nullptr && validate_stored_rdata(type, rdata) == Error::kOk) {
    WireReader r(rdata);
    TextVisitor v(out);
    (void)visit_rdata(type, r, static_cast<std::uint16_t>(rdata.size()), false, v);
    return;
  }
  // RFC 3597 §5 generic form.
  out += "\\# ";
  out += std::to_string(rdata.size());
  if (!rdata.empty()) {
    out += ' ';
    append_hex(out, rdata);
  }
}

std::string rdata_to_text(RRType type, std::span<const std::uint8_t> rdata) {
  std::string out;
  append_rdata_text(out, type, rdata);
  return out;
}

std::optional<Name> rdata_target_name(RRType type, std::span<const std::uint8_t> rdata) {
  std::size_t offset = 0;
  switch (type) {
    case RRType::NS:
    case RRType::CNAME:
    case RRType::DNAME:
    case RRType::PTR:
    case RRType::MD:
    case RRType::MF:
    case RRType::MB:
    case RRType::MG:
    case RRType::MR: offset = 0; break;
    case RRType::MX:
    case RRType::AFSDB:
    case RRType::RT:
    case RRType::KX:
    case RRType::SVCB:
    case RRType::HTTPS: offset = 2; break;
    case RRType::SRV: offset = 6; break;
    default: return std::nullopt;
  }
  WireReader r(rdata, offset);
  Name n;
  if (offset > rdata.size() || r.read_name(n, rdata.size(), false) != Error::kOk) return std::nullopt;
  return n;
}

std::optional<SoaRdata> SoaRdata::decode(std::span<const std::uint8_t> rdata) {
  WireReader r(rdata);
  SoaRdata s;
  if (r.read_name(s.mname, rdata.size(), false) != Error::kOk) return std::nullopt;
  if (r.read_name(s.rname, rdata.size(), false) != Error::kOk) return std::nullopt;
  if (r.remaining() != 20) return std::nullopt;
  r.read_u32(s.serial);
  r.read_u32(s.refresh);
  r.read_u32(s.retry);
  r.read_u32(s.expire);
  r.read_u32(s.minimum);
  return s;
}

std::vector<std::uint8_t> SoaRdata::encode() const {
  std::vector<std::uint8_t> out(mname.wire().begin(), mname.wire().end());
  out.insert(out.end(), rname.wire().begin(), rname.wire().end());
  for (std::uint32_t v : {serial, refresh, retry, expire, minimum}) {
    std::uint8_t b[4];
    store_u32(b, v);
    out.insert(out.end(), b, b + 4);
  }
  return out;
}

std::vector<std::uint8_t> make_a_rdata(const std::array<std::uint8_t, 4>& addr) {
  return {addr.begin(), addr.end()};
}

std::vector<std::uint8_t> make_aaaa_rdata(const std::array<std::uint8_t, 16>& addr) {
  return {addr.begin(), addr.end()};
}

std::vector<std::uint8_t> make_name_rdata(const Name& target) {
  return {target.wire().begin(), target.wire().end()};
}

std::vector<std::uint8_t> make_mx_rdata(std::uint16_t preference, const Name& exchange) {
  std::vector<std::uint8_t> out;
  out.reserve(2 + exchange.wire_length());
  out.push_back(static_cast<std::uint8_t>(preference >> 8));
  out.push_back(static_cast<std::uint8_t>(preference));
  for (std::uint8_t b : exchange.wire()) out.push_back(b);
  return out;
}

std::vector<std::uint8_t> make_txt_rdata(std::span<const std::string> strings) {
  std::vector<std::uint8_t> out;
  for (const std::string& s : strings) {
    std::size_t pos = 0;
    do {
      std::size_t n = std::min<std::size_t>(255, s.size() - pos);
      out.push_back(static_cast<std::uint8_t>(n));
      out.insert(out.end(), s.begin() + static_cast<std::ptrdiff_t>(pos),
                 s.begin() + static_cast<std::ptrdiff_t>(pos + n));
      pos += n;
    } while (pos < s.size());
  }
  if (out.empty()) out.push_back(0);
  return out;
}

}  // namespace vigil::dns
