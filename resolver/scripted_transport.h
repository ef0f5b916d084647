// The engine's tests play the authoritative servers (as PowerDNS Recursor's
// tests do): ScriptedTransport routes each query to the handler registered
// for its server address, records every query for assertions on economy,
// and turns "no answer" into an immediate timeout that advances the
// ManualClock by the attempt's timeout, so tests are fast and deterministic.
//
// AuthoritativeZone is a ready-made handler: a zone in presentation format,
// answered as a real authoritative server would (answers with AA, CNAMEs,
// referrals with glue for delegated children — sibling glue included — DNAME with the synthesised
// CNAME, the addresses of in-zone NS names with NS answers, NXDOMAIN/NODATA
// with the SOA).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/message.h"
#include "resolver/clock.h"
#include "resolver/upstream.h"

namespace vigil::resolver {

struct ScriptedExchange {
  ServerAddress server;
  dns::Name qname;
  dns::RRType qtype{};
  bool tcp = false;
  bool edns = false;
  bool rd = false;
  std::chrono::milliseconds timeout{0};
};

class ScriptedTransport final : public UpstreamTransport {
 public:
  // A handler returns the reply, or nullopt for silence (a timeout).
  using Handler = std::function<std::optional<dns::Message>(const dns::Message& query, bool tcp)>;

  explicit ScriptedTransport(ManualClock* clock = nullptr) : clock_(clock) {}

  void serve(const ServerAddress& server, Handler handler) { handlers_[key(server)] = std::move(handler); }
  // Queries to this server fail at once with a network error (ICMP unreachable).
  void unreachable(const ServerAddress& server) { unreachable_.insert(key(server)); }
  boost::asio::awaitable<UpstreamReply> exchange(UpstreamRequest request) override;

  const std::vector<ScriptedExchange>& log() const { return log_; }
  std::size_t count(const dns::Name& qname, dns::RRType qtype) const;

 private:
  static std::string key(const ServerAddress& s) { return s.to_string(); }
  ManualClock* clock_;
  std::map<std::string, Handler> handlers_;
  std::set<std::string> unreachable_;
  std::vector<ScriptedExchange> log_;
};

class AuthoritativeZone {
 public:
  // `zone_text`: records in presentation format, the apex's SOA and NS
  // included; NS records below the apex are delegations.
  AuthoritativeZone(const std::string& apex, const std::string& zone_text);
  std::optional<dns::Message> answer(const dns::Message& query, bool tcp) const;
  ScriptedTransport::Handler handler() const {
    return [this](const dns::Message& q, bool tcp) { return answer(q, tcp); };
  }

 private:
  dns::Name apex_;
  std::vector<dns::ResourceRecord> records_;
};

// An answer skeleton: the query's ID and question, QR set.
dns::Message reply_to(const dns::Message& query, dns::Rcode rcode = dns::Rcode::kNoError);

}  // namespace vigil::resolver
