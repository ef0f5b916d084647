// What one reply says about the question asked: pure (no I/O, no cache),
// one concept — Unbound's iter_resptype in one function. The driver acts
// on the kind; the cache writer stores by it.
//
// kCname covers DNAME too (an alias either way). kLame: the server does not
// serve the zone (REFUSED, a referral upwards or sideways, a
// non-authoritative non-referral): it is marked lame for the zone.
// kServerFailure: an error RCODE for this question only (SERVFAIL, FORMERR
// without EDNS, NOTIMP ...): another server is asked, nothing is marked.
// What the QTYPE asked for never makes a server lame: ANY and the other
// meta types are answered by any RRset at the name, and records of another
// type at the name are NODATA for the type asked.
//
// Records outside `zone` (in_bailiwick(), scrub.h) say nothing: classify()
// ignores them, so it gives the same kind for a reply before and after
// scrub() — except that an answer section holding only such records is
// not an empty one (lame, not NODATA).
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/message.h"
#include "protocol/types.h"

namespace vigil::resolver {

enum class ReplyKind : std::uint8_t { kAnswer, kCname, kReferral, kNxDomain, kNoData, kLame, kServerFailure };

// `referral_zone`, when not null, gets the child zone of a kReferral.
ReplyKind classify(const dns::Message& reply, const dns::Name& zone, const dns::Name& qname,
                   dns::RRType qtype, dns::Name* referral_zone);
std::string_view reply_kind_name(ReplyKind k);

// QTYPEs that ask for more than one type at the name (RFC 6895 §3.1: the
// meta and query types 128-255, ANY among them): any RRset at the QNAME
// answers them, RFC 8482's HINFO included.
bool is_meta_qtype(dns::RRType qtype);

// The first SOA in the authority section, or null.
const dns::ResourceRecord* soa_of(const dns::Message& m);
// A DNAME in the answer that covers `qname` (owner strictly above it,
// within `zone`), or null.
const dns::ResourceRecord* dname_for(const dns::Message& m, const dns::Name& zone, const dns::Name& qname);

}  // namespace vigil::resolver
