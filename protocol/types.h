// DNS parameter registries: RR types, classes, opcodes, RCODEs, EDNS option
// codes and Extended DNS Error codes, with their mnemonics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::dns {

// Any 16-bit value is a valid RRType on the wire (RFC 3597); the named
// values are the ones the library knows by name.
enum class RRType : std::uint16_t {
  A = 1,
  NS = 2,
  MD = 3,
  MF = 4,
  CNAME = 5,
  SOA = 6,
  MB = 7,
  MG = 8,
  MR = 9,
  NULL_ = 10,
  WKS = 11,
  PTR = 12,
  HINFO = 13,
  MINFO = 14,
  MX = 15,
  TXT = 16,
  RP = 17,
  AFSDB = 18,
  RT = 21,
  SIG = 24,
  KEY = 25,
  PX = 26,
  AAAA = 28,
  LOC = 29,
  NXT = 30,
  SRV = 33,
  NAPTR = 35,
  KX = 36,
  CERT = 37,
  A6 = 38,
  DNAME = 39,
  OPT = 41,
  APL = 42,
  DS = 43,
  SSHFP = 44,
  IPSECKEY = 45,
  RRSIG = 46,
  NSEC = 47,
  DNSKEY = 48,
  DHCID = 49,
  NSEC3 = 50,
  NSEC3PARAM = 51,
  TLSA = 52,
  SMIMEA = 53,
  HIP = 55,
  CDS = 59,
  CDNSKEY = 60,
  OPENPGPKEY = 61,
  CSYNC = 62,
  ZONEMD = 63,
  SVCB = 64,
  HTTPS = 65,
  SPF = 99,
  NID = 104,
  L32 = 105,
  L64 = 106,
  LP = 107,
  EUI48 = 108,
  EUI64 = 109,
  TKEY = 249,
  TSIG = 250,
  IXFR = 251,
  AXFR = 252,
  MAILB = 253,
  MAILA = 254,
  ANY = 255,
  URI = 256,
  CAA = 257,
  AVC = 258,
  DOA = 259,
  AMTRELAY = 260,
  TA = 32768,
  DLV = 32769,
};

enum class RRClass : std::uint16_t {
  IN = 1,
  CH = 3,
  HS = 4,
  NONE = 254,
  ANY = 255,
};

enum class Opcode : std::uint8_t {
  kQuery = 0,
  kIQuery = 1,
  kStatus = 2,
  kNotify = 4,
  kUpdate = 5,
  kDso = 6,
};

// RCODEs, including the extended ones carried in the OPT RR (RFC 6891 §6.1.3).
enum class Rcode : std::uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNXDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kYXDomain = 6,
  kYXRRSet = 7,
  kNXRRSet = 8,
  kNotAuth = 9,
  kNotZone = 10,
  kDsoTypeNI = 11,
  kBadVers = 16,
  kBadKey = 17,
  kBadTime = 18,
  kBadMode = 19,
  kBadName = 20,
  kBadAlg = 21,
  kBadTrunc = 22,
  kBadCookie = 23,
};

// EDNS(0) option codes (IANA "DNS EDNS0 Option Codes").
enum class EdnsOptionCode : std::uint16_t {
  kNsid = 3,
  kClientSubnet = 8,
  kExpire = 9,
  kCookie = 10,
  kTcpKeepalive = 11,
  kPadding = 12,
  kChain = 13,
  kKeyTag = 14,
  kExtendedError = 15,
};

// RFC 8914 §4 and later registrations.
enum class EdeCode : std::uint16_t {
  kOther = 0,
  kUnsupportedDnskeyAlgorithm = 1,
  kUnsupportedDsDigestType = 2,
  kStaleAnswer = 3,
  kForgedAnswer = 4,
  kDnssecIndeterminate = 5,
  kDnssecBogus = 6,
  kSignatureExpired = 7,
  kSignatureNotYetValid = 8,
  kDnskeyMissing = 9,
  kRrsigsMissing = 10,
  kNoZoneKeyBitSet = 11,
  kNsecMissing = 12,
  kCachedError = 13,
  kNotReady = 14,
  kBlocked = 15,
  kCensored = 16,
  kFiltered = 17,
  kProhibited = 18,
  kStaleNxdomainAnswer = 19,
  kNotAuthoritative = 20,
  kNotSupported = 21,
  kNoReachableAuthority = 22,
  kNetworkError = 23,
  kInvalidData = 24,
  kSignatureExpiredBeforeValid = 25,
  kTooEarly = 26,
  kUnsupportedNsec3Iterations = 27,
  kUnableToConformToPolicy = 28,
  kSynthesized = 29,
  kInvalidQueryType = 30,
};

// Mnemonic of a type: "A", "NSEC3", or "TYPE65280" (RFC 3597 §5) for the
// ones without a name.
std::string type_to_string(RRType t);
// Accepts mnemonics case-insensitively and the TYPEnnn form.
std::optional<RRType> type_from_string(std::string_view s);

std::string class_to_string(RRClass c);  // "IN", "CH", or "CLASS42"
std::optional<RRClass> class_from_string(std::string_view s);

std::string rcode_to_string(Rcode r);    // "NOERROR", "NXDOMAIN", "RCODE42"
std::string opcode_to_string(Opcode o);  // "QUERY", "OPCODE3"
// RFC 8914 purpose text, e.g. "Stale Answer"; "EDE 99" for unknown codes.
std::string ede_to_string(EdeCode code);

// Meta types (RFC 6895 §3.1) that never appear as data in a cache: OPT, TKEY,
// TSIG, IXFR, AXFR, MAILA, MAILB, ANY.
bool is_meta_type(RRType t);

}  // namespace vigil::dns
