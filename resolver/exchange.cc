#include "resolver/exchange.h"

#include <algorithm>
#include <string>

#include "protocol/header.h"
#include "protocol/message.h"
#include "resolver/classify.h"

namespace vigil::resolver {

using boost::asio::awaitable;
using dns::Name;
using dns::Rcode;
using dns::RRType;

namespace {

std::string ms_text(std::chrono::microseconds us) {
  return std::to_string(us.count() / 1000) + "." + std::to_string((us.count() % 1000) / 100) + " ms";
}

// The header of a reply the transport verified (at least the 12 octets).
dns::Header header_of(const std::vector<std::uint8_t>& message) {
  if (message.size() < dns::kHeaderSize) return {};
  return dns::Header::from_wire(static_cast<std::uint16_t>(message[0] << 8 | message[1]),
                                static_cast<std::uint16_t>(message[2] << 8 | message[3]));
}

}  // namespace

// 0x20 (draft-vixie-dnsext-dns0x20): random letter case in the query name,
// which a reply must echo; a fresh random bit for every letter.
void ExchangeLadder::randomise_case(std::vector<std::uint8_t>& wire) {
  std::uint64_t bits = 0;
  unsigned left = 0;
  for (std::size_t i = dns::kHeaderSize; i < wire.size() && wire[i] != 0;) {
    const std::size_t len = wire[i];
    for (std::size_t j = i + 1; j <= i + len && j < wire.size(); ++j) {
      const std::uint8_t c = dns::ascii_lower(wire[j]);
      if (c >= 'a' && c <= 'z') {
        if (left == 0) {
          bits = random_.next();
          left = 64;
        }
        wire[j] = (bits & 1) != 0 ? static_cast<std::uint8_t>(c - 32) : c;
        bits >>= 1;
        --left;
      }
    }
    i += len + 1;
  }
}

awaitable<std::optional<UpstreamReply>> ExchangeLadder::ask(const ServerAddress& server, const Name& name,
                                                            RRType type, bool rd, Budget& b, unsigned depth) {
  const auto info = infra_.get(server, clock_.wall());
  bool edns = info.edns != cache::EdnsSupport::kUnsupported;
  bool tcp = false;
  // The RTO: the initial one for a server never heard from, doubled by each
  // timeout (a server that never answered is not asked with the initial
  // RTO forever).
  const auto timeout = std::clamp(std::chrono::milliseconds(info.rto_ms), limits_.min_attempt_timeout,
                                  limits_.max_attempt_timeout);
  // 0x20: a UDP reply must echo the letter case. One that echoes the ID but
  // not the case may be a forgery that guessed the ID and port: the
  // question goes again over TCP, which an off-path forger cannot answer,
  // and is taken from there whatever its case (Knot Resolver does the same;
  // a server that lowercases names costs a TCP query each time).
  for (unsigned step = 0;
       step < limits_.max_attempts_per_server && b.may_send(limits_.max_upstream_queries_per_name); ++step) {
    auto wire = dns::make_query(static_cast<std::uint16_t>(random_.next()), name.lowercased(), type, rd,
                                edns ? limits_.edns_payload : std::uint16_t{0})
                    .to_wire();
    randomise_case(wire);
    b.spend();
    auto attempt =
        tcp ? std::min(std::max(limits_.tcp_attempt_rtos * timeout, limits_.min_tcp_attempt_timeout),
                       limits_.max_attempt_timeout)
            : timeout;
    // No attempt outlives the resolution's time budget: a client is told
    // SERVFAIL at resolution_timeout, not a whole attempt timeout later.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(b.deadline - clock_.monotonic());
    if (left <= std::chrono::milliseconds(0)) {
      b.refund();
      co_return std::nullopt;
    }
    // An attempt cut short by the budget says nothing of the server: its
    // timeout is not held against it (no doubled RTO for the next client).
    const bool clipped = left < attempt;
    attempt = std::min(attempt, left);
    const std::uint16_t max_udp_reply = edns ? std::max<std::uint16_t>(512, limits_.edns_payload) : 512;
    UpstreamReply r =
        co_await transport_.exchange(UpstreamRequest{server, wire, tcp, attempt, max_udp_reply});
    if (r.status == UpstreamStatus::kNoSocket) {
      b.refund();  // nothing was sent
      ++b.network_errors;
      b.no_socket = true;
      stats_.no_socket.inc();
      b.note(depth + 1, "not sent: no upstream socket free (the descriptor budget is spent)");
      co_return std::nullopt;
    }
    if (r.status != UpstreamStatus::kNotAllowed) (tcp ? stats_.queries_tcp : stats_.queries_udp).inc();
    if (r.mismatched > 0) b.note(depth + 1, std::to_string(r.mismatched) + " mismatched datagram(s) ignored");
    if (r.status == UpstreamStatus::kTimeout) {
      stats_.timeouts.inc();
      ++b.timeouts;
      if (!clipped) infra_.record_timeout(server, clock_.wall());
      b.note(depth + 1, "← timeout after " + std::to_string(attempt.count()) + " ms" + (tcp ? " (TCP)" : ""));
      co_return std::nullopt;
    }
    if (r.status == UpstreamStatus::kNotAllowed) {
      ++b.not_allowed;
      b.refund();  // nothing was sent
      b.note(depth + 1, "not sent: the address is in resolver.do_not_query or its family is off");
      co_return std::nullopt;
    }
    if (r.status != UpstreamStatus::kOk) {
      stats_.network_errors.inc();
      ++b.network_errors;
      b.note(depth + 1, "← " + std::string(upstream_status_name(r.status)));
      co_return std::nullopt;
    }
    stats_.rtt.observe(static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.rtt.count())) * 1000);
    infra_.record_rtt(server, static_cast<std::uint32_t>(std::max<std::int64_t>(1, r.rtt.count() / 1000)),
                      clock_.wall());
    const dns::Header h = header_of(r.message);
    if (!tcp && (r.oversized || h.tc)) {
      stats_.tcp_fallbacks.inc();
      b.note(depth + 1,
             std::string(r.oversized ? "← larger than the EDNS payload we offered" : "← truncated (TC=1)") +
                 " in " + ms_text(r.rtt) + ": again over TCP");
      tcp = true;
      continue;
    }
    if (!r.case_matched && !tcp) {
      stats_.case_mismatches.inc();
      b.note(depth + 1, "← reply without the query's letter case (0x20), a possible forgery: again over TCP");
      tcp = true;
      continue;
    }
    const auto rcode = static_cast<Rcode>(h.rcode);
    // FORMERR / NOTIMP: try without EDNS, and remember — unless the QTYPE is
    // a meta type, which a server may reject for itself (no EDNS lesson).
    if (edns && (rcode == Rcode::kFormErr || rcode == Rcode::kNotImp) && !is_meta_qtype(type)) {
      stats_.edns_fallbacks.inc();
      infra_.set_edns(server, cache::EdnsSupport::kUnsupported, clock_.wall());
      b.note(depth + 1, std::string("← ") + (rcode == Rcode::kFormErr ? "FORMERR" : "NOTIMP") +
                            " to EDNS: again without it");
      edns = false;
      continue;
    }
    stats_.rcodes[h.rcode].inc();
    b.note(depth + 1, "← reply in " + ms_text(r.rtt) + (tcp ? " over TCP" : ""));
    co_return r;
  }
  co_return std::nullopt;
}

}  // namespace vigil::resolver
