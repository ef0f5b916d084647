#include "policy/zone_transfer.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "protocol/rdata.h"
#include "protocol/secure_random.h"

namespace vigil::policy {

namespace asio = boost::asio;
using asio::ip::tcp;
using dns::ResourceRecord;
using dns::RRType;

std::uint32_t soa_serial(const ResourceRecord& soa) {
  if (soa.type != RRType::SOA) return 0;
  const auto fields = dns::SoaRdata::decode(soa.rdata);
  return fields ? fields->serial : 0;
}

std::string zone_text(const std::vector<ResourceRecord>& records) {
  std::string out;
  for (const auto& rr : records) {
    out += rr.to_text();
    out += '\n';
  }
  return out;
}

namespace {

std::string key_of(const ResourceRecord& rr) {
  std::string k(reinterpret_cast<const char*>(rr.name.lowercased().wire().data()), rr.name.wire_length());
  k += static_cast<char>(static_cast<std::uint16_t>(rr.type) >> 8);
  k += static_cast<char>(static_cast<std::uint16_t>(rr.type) & 0xFF);
  k.append(reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size());
  return k;
}

}  // namespace

void apply_difference(std::vector<ResourceRecord>& zone, const std::vector<ResourceRecord>& removed,
                      const std::vector<ResourceRecord>& added) {
  std::unordered_map<std::string, std::size_t> gone;
  for (const auto& rr : removed) ++gone[key_of(rr)];
  std::vector<ResourceRecord> kept;
  kept.reserve(zone.size() + added.size());
  for (auto& rr : zone) {
    auto it = gone.find(key_of(rr));
    if (it != gone.end() && it->second > 0) {
      --it->second;
      continue;
    }
    kept.push_back(std::move(rr));
  }
  for (const auto& rr : added) kept.push_back(rr);
  // The SOA first: the one added (the new version's) replaces the old.
  std::stable_partition(kept.begin(), kept.end(),
                        [](const ResourceRecord& r) { return r.type == RRType::SOA; });
  zone = std::move(kept);
}

namespace {

// One exchange over an open connection: the query out, then messages in
// until `done` says the transfer is complete.
class Stream {
 public:
  explicit Stream(tcp::socket& s) : socket_(s) {}

  asio::awaitable<std::string> send(const dns::Message& q) {
    const auto wire = q.to_wire();
    const std::array<std::uint8_t, 2> length{static_cast<std::uint8_t>(wire.size() >> 8),
                                             static_cast<std::uint8_t>(wire.size() & 0xFF)};
    const std::array<asio::const_buffer, 2> framed{asio::buffer(length), asio::buffer(wire)};
    auto [ec, n] = co_await asio::async_write(socket_, framed, asio::as_tuple(asio::use_awaitable));
    co_return ec ? "cannot send the query: " + ec.message() : std::string();
  }

  // The next message, or an error.
  asio::awaitable<std::pair<std::string, dns::Message>> next() {
    std::array<std::uint8_t, 2> len{};
    auto [ec, n] = co_await asio::async_read(socket_, asio::buffer(len), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return std::make_pair("the connection ended early: " + ec.message(), dns::Message{});
    const std::size_t size = std::size_t{len[0]} << 8 | len[1];
    buffer_.resize(size);
    auto [ec2, n2] =
        co_await asio::async_read(socket_, asio::buffer(buffer_), asio::as_tuple(asio::use_awaitable));
    if (ec2) co_return std::make_pair("the connection ended early: " + ec2.message(), dns::Message{});
    bytes_ += size + 2;
    auto m = dns::Message::parse(buffer_);
    if (!m.ok())
      co_return std::make_pair("a malformed message: " + std::string(dns::error_message(m.error())),
                               dns::Message{});
    co_return std::make_pair(std::string(), std::move(*m));
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  tcp::socket& socket_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t bytes_ = 0;
};

std::string check(const dns::Message& m, std::uint16_t id, const dns::Name& zone, bool first) {
  if (!m.header.qr || m.header.id != id) return "a reply that does not match the query";
  if (m.rcode() != dns::Rcode::kNoError) return "the primary answered " + dns::rcode_to_string(m.rcode());
  if (first && (m.questions.size() != 1 || !(m.questions[0].name == zone)))
    return "a reply for another question";
  if (m.header.tc) return "a truncated reply";
  return "";
}

// Runs one AXFR or IXFR exchange and interprets it.
asio::awaitable<Transfer> exchange(tcp::endpoint primary, const dns::Name& zone,
                                   const std::vector<ResourceRecord>& current, bool ixfr,
                                   TransferLimits limits) {
  Transfer t;
  auto ex = co_await asio::this_coro::executor;
  tcp::socket socket(ex);
  asio::steady_timer deadline(ex);
  bool expired = false;
  deadline.expires_after(limits.timeout);
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    expired = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  });
  struct Cancel {
    asio::steady_timer& t;
    ~Cancel() { t.cancel(); }
  } cancel{deadline};
  auto [cec] = co_await socket.async_connect(primary, asio::as_tuple(asio::use_awaitable));
  if (cec) {
    t.error = expired ? "timed out" : "cannot connect: " + cec.message();
    co_return t;
  }
  const auto id = dns::secure_random_u16();
  dns::Message q = dns::make_query(id, zone, ixfr ? RRType::IXFR : RRType::AXFR, false, 0);
  if (ixfr) q.authority.push_back(current.front());
  Stream stream(socket);
  if (std::string e = co_await stream.send(q); !e.empty()) {
    t.error = e;
    co_return t;
  }
  std::vector<ResourceRecord> records;  // as they come, every message's answer section
  std::uint32_t final_serial = 0;
  // Where in the stream we are: after the first SOA, a second SOA (old
  // serial) makes it an IXFR's difference sequences: deletions, then (after
  // the next SOA) additions; a SOA with the new serial after additions ends
  // it. Anything else is the whole zone, ended by the first SOA again.
  enum class State { kFirst, kSecond, kWhole, kDeletions, kAdditions, kDone } state = State::kFirst;
  bool up_to_date = false;
  while (state != State::kDone) {
    auto [error, m] = co_await stream.next();
    if (error.empty()) error = check(m, id, zone, state == State::kFirst);
    if (!error.empty()) {
      t.error = expired ? "timed out" : error;
      co_return t;
    }
    for (auto& rr : m.answer) {
      const bool soa = rr.type == RRType::SOA;
      switch (state) {
        case State::kFirst:
          if (!soa || !(rr.name == zone)) {
            t.error = "the transfer does not start with the zone's SOA";
            co_return t;
          }
          final_serial = soa_serial(rr);
          state = State::kSecond;
          break;
        case State::kSecond:
          if (soa && soa_serial(rr) == final_serial) {
            state = State::kDone;  // a zone of one SOA
          } else {
            state = soa && ixfr ? State::kDeletions : State::kWhole;
          }
          break;
        case State::kWhole:
          if (soa) state = State::kDone;
          break;
        case State::kDeletions:
          if (soa) state = State::kAdditions;
          break;
        case State::kAdditions:
          if (soa) state = soa_serial(rr) == final_serial ? State::kDone : State::kDeletions;
          break;
        case State::kDone: break;  // records after the end: ignored
      }
      records.push_back(std::move(rr));
    }
    if (records.size() > limits.max_records) {
      t.error = "more than " + std::to_string(limits.max_records) + " records";
      co_return t;
    }
    if (stream.bytes() > limits.max_bytes) {
      t.error = "more than " + std::to_string(limits.max_bytes) + " octets";
      co_return t;
    }
    // IXFR, up to date: one SOA, alone in the reply.
    if (ixfr && state == State::kSecond && records.size() == 1 &&
        final_serial == soa_serial(current.front())) {
      up_to_date = true;
      break;
    }
  }
  t.serial = final_serial;
  if (up_to_date) {
    t.changed = false;
    co_return t;
  }
  t.changed = true;
  const bool incremental = ixfr && records.size() > 2 && records[1].type == RRType::SOA;
  if (!incremental) {
    records.pop_back();  // the closing SOA
    t.records = std::move(records);
    co_return t;
  }
  // [SOA new] ([SOA old] deletions... [SOA newer] additions...)+ [SOA new]
  t.incremental = true;
  std::vector<ResourceRecord> zone_now = current;
  std::size_t i = 1;
  while (i + 1 < records.size()) {
    if (records[i].type != RRType::SOA) {
      t.error = "an IXFR difference sequence without its SOA";
      co_return t;
    }
    std::vector<ResourceRecord> removed{records[i++]};
    while (i < records.size() && records[i].type != RRType::SOA) removed.push_back(records[i++]);
    if (i >= records.size()) {
      t.error = "an IXFR difference sequence cut short";
      co_return t;
    }
    std::vector<ResourceRecord> added{records[i++]};
    while (i + 1 < records.size() && records[i].type != RRType::SOA) added.push_back(records[i++]);
    if (i + 1 == records.size() && records[i].type != RRType::SOA) added.push_back(records[i++]);
    apply_difference(zone_now, removed, added);
  }
  t.records = std::move(zone_now);
  co_return t;
}

}  // namespace

asio::awaitable<Transfer> transfer_zone(tcp::endpoint primary, dns::Name zone,
                                        std::vector<ResourceRecord> current, TransferLimits limits) {
  if (!current.empty() && current.front().type == RRType::SOA) {
    Transfer t = co_await exchange(primary, zone, current, true, limits);
    if (t.error.empty()) co_return t;
    // A primary without IXFR (NOTIMP, REFUSED, FORMERR): the whole zone.
  }
  co_return co_await exchange(primary, zone, current, false, limits);
}

}  // namespace vigil::policy
