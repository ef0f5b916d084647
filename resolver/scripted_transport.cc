#include "resolver/scripted_transport.h"

#include <stdexcept>

#include "protocol/presentation.h"
#include "protocol/rdata.h"

namespace vigil::resolver {

using dns::Message;
using dns::Name;
using dns::ResourceRecord;
using dns::RRType;

Message reply_to(const Message& query, dns::Rcode rcode) {
  Message m;
  m.header = query.header;
  m.header.qr = true;
  m.header.aa = false;
  m.header.tc = false;
  m.header.ra = false;
  m.questions = query.questions;
  if (query.edns) m.edns = dns::Edns{};
  m.set_rcode(rcode);
  return m;
}

boost::asio::awaitable<UpstreamReply> ScriptedTransport::exchange(UpstreamRequest request) {
  UpstreamReply reply;
  auto query = Message::parse(request.query);
  if (!query.ok() || query->questions.size() != 1)
    throw std::logic_error("the engine sent a malformed query");
  log_.push_back({request.server, query->questions[0].name, query->questions[0].type, request.tcp,
                  query->edns.has_value(), query->header.rd, request.timeout});
  if (unreachable_.count(key(request.server)) != 0) {
    reply.status = UpstreamStatus::kNetworkError;
    co_return reply;
  }
  auto it = handlers_.find(key(request.server));
  std::optional<Message> answer;
  if (it != handlers_.end()) answer = it->second(*query, request.tcp);
  if (!answer) {
    if (clock_ != nullptr) clock_->advance(request.timeout);
    reply.status = UpstreamStatus::kTimeout;
    co_return reply;
  }
  reply.status = UpstreamStatus::kOk;
  reply.message = answer->to_wire(request.tcp ? dns::kMaxMessageSize : 1232);
  bool case_matched = false;
  (void)reply_matches(request.query, reply.message, case_matched);
  reply.case_matched = case_matched;
  reply.rtt = std::chrono::microseconds(1000);
  if (clock_ != nullptr) clock_->advance(std::chrono::milliseconds(1));
  co_return reply;
}

std::size_t ScriptedTransport::count(const Name& qname, RRType qtype) const {
  std::size_t n = 0;
  for (const auto& e : log_) n += (e.qname == qname && e.qtype == qtype) ? 1U : 0U;
  return n;
}

AuthoritativeZone::AuthoritativeZone(const std::string& apex, const std::string& zone_text)
    : apex_(*Name::from_text(apex)) {
  auto records = dns::parse_zone_text(zone_text, apex_);
  if (!records.ok()) throw std::invalid_argument("zone " + apex + ": " + records.error().message);
  records_ = std::move(*records);
}

std::optional<Message> AuthoritativeZone::answer(const Message& query, bool /*tcp*/) const {
  const auto& q = query.questions.at(0);
  if (!q.name.is_subdomain_of(apex_)) return reply_to(query, dns::Rcode::kRefused);
  auto add_glue = [&](Message& m, const Name& target) {
    for (const auto& rr : records_) {
      if (rr.name == target && (rr.type == RRType::A || rr.type == RRType::AAAA)) m.additional.push_back(rr);
    }
  };
  // A delegation at or above the name (below the apex) makes a referral.
  for (Name cut = q.name; cut != apex_ && cut.is_subdomain_of(apex_); cut = cut.parent()) {
    std::vector<ResourceRecord> ns;
    for (const auto& rr : records_) {
      if (rr.name == cut && rr.type == RRType::NS) ns.push_back(rr);
    }
    if (ns.empty() || (cut == q.name && q.type == RRType::DS)) continue;
    Message m = reply_to(query);
    m.authority = ns;
    for (const auto& rr : ns) {
      auto target = dns::rdata_target_name(rr.type, rr.rdata);
      // Glue for every name server whose address the zone holds: the
      // child's own (in bailiwick) and its siblings' (below another of the
      // zone's delegations), as BIND and NSD send it.
      if (target && target->is_subdomain_of(apex_)) add_glue(m, *target);
    }
    return m;
  }
  Message m = reply_to(query);
  m.header.aa = true;
  // A DNAME above the name (RFC 6672): the DNAME and the synthesised CNAME.
  for (Name owner = q.name.parent(); owner != apex_ && owner.is_subdomain_of(apex_); owner = owner.parent()) {
    for (const auto& rr : records_) {
      if (rr.name != owner || rr.type != RRType::DNAME) continue;
      auto target = dns::rdata_target_name(RRType::DNAME, rr.rdata);
      auto synthesised = q.name.replace_suffix(owner, *target);
      if (!synthesised.ok()) return reply_to(query, dns::Rcode::kYXDomain);
      m.answer.push_back(rr);
      m.answer.push_back(
          {q.name, RRType::CNAME, dns::RRClass::IN, rr.ttl, dns::make_name_rdata(*synthesised)});
      return m;
    }
  }
  bool name_exists = false;
  for (const auto& rr : records_) {
    if (rr.name != q.name) {
      if (rr.name.is_subdomain_of(q.name)) name_exists = true;  // an empty non-terminal
      continue;
    }
    name_exists = true;
    if (rr.type == q.type || rr.type == RRType::CNAME || q.type == RRType::ANY) m.answer.push_back(rr);
  }
  if (!m.answer.empty()) {
    if (q.type == RRType::NS) {
      for (const auto& rr : m.answer) {
        auto target = dns::rdata_target_name(rr.type, rr.rdata);
        if (rr.type == RRType::NS && target && target->is_subdomain_of(apex_)) add_glue(m, *target);
      }
    }
    return m;
  }
  for (const auto& rr : records_) {
    if (rr.name == apex_ && rr.type == RRType::SOA) m.authority.push_back(rr);
  }
  if (!name_exists) m.set_rcode(dns::Rcode::kNXDomain);
  return m;
}

}  // namespace vigil::resolver
