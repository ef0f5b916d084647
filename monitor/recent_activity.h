// What clients did lately, for vigilctl's views of the intent detectors:
// a fixed ring of the most recent answered queries (client, name, type,
// RCODE, the first addresses answered) and of the most recent alert lines.
// Filled by the query log's writer when the detectors run; read by the
// control channel with the writer held (QueryLog::with_writer_stopped).
// Its memory is fixed: kQueryBytes a query slot.
//
//   vigilctl client 10.0.0.7        recent lookups of one client, and its alerts
//   vigilctl top domains|clients|nxdomain|blocked
//   vigilctl alerts --since 1h
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "monitor/client_privacy.h"
#include "monitor/query_event.h"
#include "monitor/registered_domain.h"
#include "protocol/message_view.h"

namespace vigil::monitor {

class RecentActivity {
 public:
  static constexpr std::size_t kNameChars = 128;  // longer names are kept cut (marked with "...")
  static constexpr std::size_t kAddresses = 4;    // answered addresses kept per query
  static constexpr std::size_t kAlerts = 1000;    // alert lines kept

  explicit RecentActivity(std::size_t queries);

  void record(const QueryEvent& e, const dns::MessageView& view);
  // The same with the question name's lowercase text given (the writer
  // makes it once for every table that keeps names).
  void record(const QueryEvent& e, const dns::MessageView& view, std::string_view lower_name);
  void record_alert(std::int64_t time_ns, std::string line);  // one JSON line, without its newline
  // How clients are shown (query_log.client_ip): the views say no more
  // than the query log does.
  void set_privacy(ClientPrivacy privacy) { privacy_ = std::move(privacy); }

  // Text for vigilctl; `since_ns`: only what happened from then on.
  std::string alerts(std::int64_t since_ns) const;
  std::string client(std::span<const std::uint8_t> address, std::int64_t since_ns) const;
  // kind: "domains" (registered domains asked), "clients" (queries),
  // "nxdomain" (registered domains answered NXDOMAIN), "blocked"
  // (registered domains a threat feed or a detector's block list answered).
  std::string top(const std::string& kind, std::size_t n, std::int64_t since_ns,
                  const PublicSuffixList& psl) const;
  static constexpr std::array<const char*, 4> kTopKinds = {"domains", "clients", "nxdomain", "blocked"};
  // The query counts of the first `n` of each kind (kTopKinds order), for
  // the top-N gauges: ranks and counts only, never a name or an address.
  std::array<std::vector<std::size_t>, 4> top_counts(std::size_t n, const PublicSuffixList& psl) const;

  std::size_t capacity() const { return ring_.size(); }
  std::size_t size() const { return count_; }
  std::size_t memory_bytes() const { return ring_.size() * sizeof(Entry); }

 private:
  struct Entry {
    std::int64_t time_ns = 0;
    std::array<std::uint8_t, 16> client{};
    std::uint8_t client_len = 0;
    std::uint8_t rcode = 0;
    std::uint16_t qtype = 0;
    std::uint8_t name_len = 0;
    std::uint8_t addresses = 0;
    bool blocked = false;  // rewritten or dropped by a threat feed, or on the detectors' block list
    bool dropped = false;  // no response was sent (rcode then means nothing)
    std::array<char, kNameChars> name{};
    std::array<std::array<std::uint8_t, 16>, kAddresses> address{};
    std::array<std::uint8_t, kAddresses> address_len{};
  };
  // Newest first, from since_ns on.
  template <typename F>
  void each(std::int64_t since_ns, F&& f) const;
  void line(std::string& out, const Entry& e) const;
  void append_client(std::string& out, std::span<const std::uint8_t> client) const;
  // Counts by key of one kind, from since_ns on.
  std::vector<std::pair<std::string, std::size_t>> ranked(const std::string& kind, std::int64_t since_ns,
                                                          const PublicSuffixList& psl) const;

  ClientPrivacy privacy_;
  std::vector<Entry> ring_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
  std::deque<std::pair<std::int64_t, std::string>> alerts_;
};

// "1.2.3.4" or an IPv6 address → its octets; nullopt for anything else.
std::optional<std::vector<std::uint8_t>> parse_ip(const std::string& text);

}  // namespace vigil::monitor
