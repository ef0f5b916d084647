#include "resolver/classify.h"

#include "resolver/scrub.h"

namespace vigil::resolver {

using dns::Message;
using dns::Name;
using dns::Rcode;
using dns::RRType;

std::string_view reply_kind_name(ReplyKind k) {
  switch (k) {
    case ReplyKind::kAnswer: return "answer";
    case ReplyKind::kCname: return "alias (CNAME/DNAME)";
    case ReplyKind::kReferral: return "referral";
    case ReplyKind::kNxDomain: return "NXDOMAIN";
    case ReplyKind::kNoData: return "NODATA";
    case ReplyKind::kLame: return "lame (not an answer for this zone)";
    case ReplyKind::kServerFailure: return "server failure (ask another server)";
  }
  return "?";
}

bool is_meta_qtype(RRType qtype) {
  const auto t = static_cast<std::uint16_t>(qtype);
  return t >= 128 && t <= 255;
}

const dns::ResourceRecord* soa_of(const Message& m) {
  for (const auto& rr : m.authority) {
    if (rr.type == RRType::SOA) return &rr;
  }
  return nullptr;
}

const dns::ResourceRecord* dname_for(const Message& m, const Name& zone, const Name& qname) {
  for (const auto& rr : m.answer) {
    if (rr.type == RRType::DNAME && qname.is_strict_subdomain_of(rr.name) && in_bailiwick(rr.name, zone))
      return &rr;
  }
  return nullptr;
}

ReplyKind classify(const Message& m, const Name& zone, const Name& qname, RRType qtype, Name* referral_zone) {
  const Rcode rcode = m.rcode();
  if (rcode == Rcode::kNXDomain) return ReplyKind::kNxDomain;
  // REFUSED: the server will not serve the zone (a lame delegation, as
  // BIND logs it). Any other error is this server failing this question:
  // ask the next one, mark nothing (Unbound's RESPONSE_TYPE_THROWAWAY).
  const bool any_type = is_meta_qtype(qtype);
  // REFUSED to a meta QTYPE (some servers and middleboxes refuse ANY) says
  // nothing about the zone.
  if (rcode == Rcode::kRefused) return any_type ? ReplyKind::kServerFailure : ReplyKind::kLame;
  if (rcode != Rcode::kNoError) return ReplyKind::kServerFailure;
  bool alias = dname_for(m, zone, qname) != nullptr;  // RFC 6672: the name is below a DNAME
  bool other_type = false;                            // records at the name, of a type not asked for
  for (const auto& rr : m.answer) {
    if (rr.name != qname || !in_bailiwick(rr.name, zone)) continue;  // out of bailiwick: ignored
    if (any_type) {
      // Any RRset at the name answers ANY — from the zone's authority (or a
      // forwarder, whose bailiwick is the root). A non-authoritative one is
      // some cache's partial view: another server is asked, none marked.
      return m.header.aa || zone.is_root() ? ReplyKind::kAnswer : ReplyKind::kServerFailure;
    }
    if (rr.type == qtype) return ReplyKind::kAnswer;
    if (rr.type == RRType::CNAME) {
      alias = true;
    } else if (rr.type != RRType::RRSIG) {
      other_type = true;
    }
  }
  if (alias) return ReplyKind::kCname;
  // A referral: nothing at the name, no SOA, and NS for a zone strictly
  // below the one asked, at or above the name — whatever AA says (some
  // servers and load balancers set it on referrals; Unbound's
  // response_type_from_server and Knot's iterate.c ignore it the same way).
  if (!other_type && soa_of(m) == nullptr) {
    for (const auto& rr : m.authority) {
      if (rr.type == RRType::NS && rr.name != zone && in_bailiwick(rr.name, zone) &&
          qname.is_subdomain_of(rr.name)) {
        if (referral_zone != nullptr) *referral_zone = rr.name;
        return ReplyKind::kReferral;
      }
    }
  }
  // NODATA: authoritative, or with the zone's SOA (RFC 2308 §2.2 type 1/2);
  // a "referral" to the zone itself with AA set is NODATA too (§2.2 type 3).
  // (An answer section of records from outside the zone only is not
  // empty: such a reply is not NODATA but lame, as it always was.)
  if (m.answer.empty() && (m.header.aa || soa_of(m) != nullptr)) return ReplyKind::kNoData;
  // Records at the name, none of the type asked for and no alias: the name
  // has no such RRset. What was not asked for is ignored, never taken as a
  // sign the server is lame (one odd question must not cost a zone).
  // (From a server offering recursion, without AA, it is a cache's partial
  // view instead: Unbound's REC_LAME; another server is asked.)
  if (other_type) return !m.header.aa && m.header.ra ? ReplyKind::kServerFailure : ReplyKind::kNoData;
  return ReplyKind::kLame;  // e.g. a referral upwards, or not authoritative for the zone
}

}  // namespace vigil::resolver
