#include "protocol/types.h"

#include <charconv>
#include <iterator>
#include <utility>

namespace vigil::dns {
namespace {

template <class E>
struct Mnemonic {
  E value;
  std::string_view name;
};

constexpr Mnemonic<RRType> kTypes[] = {
    {RRType::A, "A"},
    {RRType::NS, "NS"},
    {RRType::MD, "MD"},
    {RRType::MF, "MF"},
    {RRType::CNAME, "CNAME"},
    {RRType::SOA, "SOA"},
    {RRType::MB, "MB"},
    {RRType::MG, "MG"},
    {RRType::MR, "MR"},
    {RRType::NULL_, "NULL"},
    {RRType::WKS, "WKS"},
    {RRType::PTR, "PTR"},
    {RRType::HINFO, "HINFO"},
    {RRType::MINFO, "MINFO"},
    {RRType::MX, "MX"},
    {RRType::TXT, "TXT"},
    {RRType::RP, "RP"},
    {RRType::AFSDB, "AFSDB"},
    {RRType::RT, "RT"},
    {RRType::SIG, "SIG"},
    {RRType::KEY, "KEY"},
    {RRType::PX, "PX"},
    {RRType::AAAA, "AAAA"},
    {RRType::LOC, "LOC"},
    {RRType::NXT, "NXT"},
    {RRType::SRV, "SRV"},
    {RRType::NAPTR, "NAPTR"},
    {RRType::KX, "KX"},
    {RRType::CERT, "CERT"},
    {RRType::A6, "A6"},
    {RRType::DNAME, "DNAME"},
    {RRType::OPT, "OPT"},
    {RRType::APL, "APL"},
    {RRType::DS, "DS"},
    {RRType::SSHFP, "SSHFP"},
    {RRType::IPSECKEY, "IPSECKEY"},
    {RRType::RRSIG, "RRSIG"},
    {RRType::NSEC, "NSEC"},
    {RRType::DNSKEY, "DNSKEY"},
    {RRType::DHCID, "DHCID"},
    {RRType::NSEC3, "NSEC3"},
    {RRType::NSEC3PARAM, "NSEC3PARAM"},
    {RRType::TLSA, "TLSA"},
    {RRType::SMIMEA, "SMIMEA"},
    {RRType::HIP, "HIP"},
    {RRType::CDS, "CDS"},
    {RRType::CDNSKEY, "CDNSKEY"},
    {RRType::OPENPGPKEY, "OPENPGPKEY"},
    {RRType::CSYNC, "CSYNC"},
    {RRType::ZONEMD, "ZONEMD"},
    {RRType::SVCB, "SVCB"},
    {RRType::HTTPS, "HTTPS"},
    {RRType::SPF, "SPF"},
    {RRType::NID, "NID"},
    {RRType::L32, "L32"},
    {RRType::L64, "L64"},
    {RRType::LP, "LP"},
    {RRType::EUI48, "EUI48"},
    {RRType::EUI64, "EUI64"},
    {RRType::TKEY, "TKEY"},
    {RRType::TSIG, "TSIG"},
    {RRType::IXFR, "IXFR"},
    {RRType::AXFR, "AXFR"},
    {RRType::MAILB, "MAILB"},
    {RRType::MAILA, "MAILA"},
    {RRType::ANY, "ANY"},
    {RRType::URI, "URI"},
    {RRType::CAA, "CAA"},
    {RRType::AVC, "AVC"},
    {RRType::DOA, "DOA"},
    {RRType::AMTRELAY, "AMTRELAY"},
    {RRType::TA, "TA"},
    {RRType::DLV, "DLV"},
};

constexpr Mnemonic<RRClass> kClasses[] = {
    {RRClass::IN, "IN"},     {RRClass::CH, "CH"},   {RRClass::HS, "HS"},
    {RRClass::NONE, "NONE"}, {RRClass::ANY, "ANY"},
};

constexpr Mnemonic<Rcode> kRcodes[] = {
    {Rcode::kNoError, "NOERROR"},   {Rcode::kFormErr, "FORMERR"},     {Rcode::kServFail, "SERVFAIL"},
    {Rcode::kNXDomain, "NXDOMAIN"}, {Rcode::kNotImp, "NOTIMP"},       {Rcode::kRefused, "REFUSED"},
    {Rcode::kYXDomain, "YXDOMAIN"}, {Rcode::kYXRRSet, "YXRRSET"},     {Rcode::kNXRRSet, "NXRRSET"},
    {Rcode::kNotAuth, "NOTAUTH"},   {Rcode::kNotZone, "NOTZONE"},     {Rcode::kDsoTypeNI, "DSOTYPENI"},
    {Rcode::kBadVers, "BADVERS"},   {Rcode::kBadKey, "BADKEY"},       {Rcode::kBadTime, "BADTIME"},
    {Rcode::kBadMode, "BADMODE"},   {Rcode::kBadName, "BADNAME"},     {Rcode::kBadAlg, "BADALG"},
    {Rcode::kBadTrunc, "BADTRUNC"}, {Rcode::kBadCookie, "BADCOOKIE"},
};

constexpr Mnemonic<Opcode> kOpcodes[] = {
    {Opcode::kQuery, "QUERY"},   {Opcode::kIQuery, "IQUERY"}, {Opcode::kStatus, "STATUS"},
    {Opcode::kNotify, "NOTIFY"}, {Opcode::kUpdate, "UPDATE"}, {Opcode::kDso, "DSO"},
};

constexpr std::string_view kEdeText[] = {
    "Other Error",
    "Unsupported DNSKEY Algorithm",
    "Unsupported DS Digest Type",
    "Stale Answer",
    "Forged Answer",
    "DNSSEC Indeterminate",
    "DNSSEC Bogus",
    "Signature Expired",
    "Signature Not Yet Valid",
    "DNSKEY Missing",
    "RRSIGs Missing",
    "No Zone Key Bit Set",
    "NSEC Missing",
    "Cached Error",
    "Not Ready",
    "Blocked",
    "Censored",
    "Filtered",
    "Prohibited",
    "Stale NXDOMAIN Answer",
    "Not Authoritative",
    "Not Supported",
    "No Reachable Authority",
    "Network Error",
    "Invalid Data",
    "Signature Expired before Valid",
    "Too Early",
    "Unsupported NSEC3 Iterations Value",
    "Unable to conform to policy",
    "Synthesized",
    "Invalid Query Type",
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

template <class E, std::size_t N>
std::optional<std::string_view> find_name(const Mnemonic<E> (&table)[N], E v) {
  for (const auto& m : table) {
    if (m.value == v) return m.name;
  }
  return std::nullopt;
}

// Parses "<PREFIX><decimal>" such as TYPE65280 or CLASS3 (RFC 3597 §5).
std::optional<std::uint16_t> parse_generic(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size() || !iequals(s.substr(0, prefix.size()), prefix)) return std::nullopt;
  std::string_view digits = s.substr(prefix.size());
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || value > 0xFFFF) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::string generic(std::string_view prefix, unsigned value) {
  std::string out(prefix);
  out += std::to_string(value);
  return out;
}

}  // namespace

std::string type_to_string(RRType t) {
  if (auto n = find_name(kTypes, t)) return std::string(*n);
  return generic("TYPE", static_cast<unsigned>(t));
}

std::optional<RRType> type_from_string(std::string_view s) {
  for (const auto& m : kTypes) {
    if (iequals(m.name, s)) return m.value;
  }
  if (auto v = parse_generic(s, "TYPE")) return static_cast<RRType>(*v);
  return std::nullopt;
}

std::string class_to_string(RRClass c) {
  if (auto n = find_name(kClasses, c)) return std::string(*n);
  return generic("CLASS", static_cast<unsigned>(c));
}

std::optional<RRClass> class_from_string(std::string_view s) {
  for (const auto& m : kClasses) {
    if (iequals(m.name, s)) return m.value;
  }
  if (iequals(s, "CHAOS")) return RRClass::CH;
  if (auto v = parse_generic(s, "CLASS")) return static_cast<RRClass>(*v);
  return std::nullopt;
}

std::string rcode_to_string(Rcode r) {
  if (auto n = find_name(kRcodes, r)) return std::string(*n);
  return generic("RCODE", static_cast<unsigned>(r));
}

std::string opcode_to_string(Opcode o) {
  if (auto n = find_name(kOpcodes, o)) return std::string(*n);
  return generic("OPCODE", static_cast<unsigned>(o));
}

std::string ede_to_string(EdeCode code) {
  auto i = static_cast<std::size_t>(code);
  if (i < std::size(kEdeText)) return std::string(kEdeText[i]);
  return generic("EDE ", static_cast<unsigned>(code));
}

bool is_meta_type(RRType t) {
  switch (t) {
    case RRType::OPT:
    case RRType::TKEY:
    case RRType::TSIG:
    case RRType::IXFR:
    case RRType::AXFR:
    case RRType::MAILA:
    case RRType::MAILB:
    case RRType::ANY: return true;
    default: return false;
  }
}

}  // namespace vigil::dns
