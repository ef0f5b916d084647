// dnstap output (https://dnstap.info), the binary log Unbound, BIND, Knot
// Resolver and PowerDNS emit: each logged client query becomes a
// CLIENT_QUERY message (when its octets were kept) and a CLIENT_RESPONSE
// message (query and response times, the response octets), protobuf-encoded
// (monitor/dnstap.proto, protobuf-c) and sent as Frame Streams data frames
// (content type "protobuf:dnstap.Dnstap", libfstrm) to a Unix socket where a
// collector (fstrm_capture, dnstap-ldns -u, dnscollector, ...) listens.
//
// The query log's writer thread encodes and queues; this writer's own thread
// connects (and reconnects every second while the collector is away) and
// writes. Nothing is lost silently: frames that find the queue full, or no
// collector connected, or a connection that broke while writing them, are
// counted as dropped (vigil_dnstap_dropped_total{reason}).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "monitor/client_privacy.h"
#include "monitor/query_event.h"

namespace vigil::monitor {

struct DnstapOptions {
  std::string socket;    // a Unix socket path; "" = off
  std::string identity;  // the Dnstap.identity field (default: the host name)
  std::string version;   // the Dnstap.version field
  bool client_queries = true;
  bool client_responses = true;

  bool operator==(const DnstapOptions&) const = default;
};

// The dnstap messages for one event, each a serialized Dnstap protobuf:
// CLIENT_QUERY then CLIENT_RESPONSE, as the options ask and the event has.
// The client address goes through `privacy` (left out in hash mode).
std::vector<std::vector<std::uint8_t>> encode_dnstap(const QueryEvent& e, const DnstapOptions& options,
                                                     const ClientPrivacy& privacy);

struct DnstapStats {
  std::uint64_t written = 0;               // frames the collector received
  std::uint64_t dropped_no_collector = 0;  // not connected, or the connection broke
  std::uint64_t dropped_queue_full = 0;    // the collector did not keep up

  DnstapStats& operator+=(const DnstapStats& o) {
    written += o.written;
    dropped_no_collector += o.dropped_no_collector;
    dropped_queue_full += o.dropped_queue_full;
    return *this;
  }
};

class DnstapWriter {
 public:
  // Throws std::runtime_error when libfstrm cannot be set up for the
  // path; a collector that is not there yet is not an error.
  explicit DnstapWriter(DnstapOptions options);
  // Writes what is queued if a collector is connected (waiting at most
  // two seconds for one that stopped reading), then stops.
  ~DnstapWriter();
  DnstapWriter(const DnstapWriter&) = delete;
  DnstapWriter& operator=(const DnstapWriter&) = delete;

  // From one thread (the query log's writer); never blocks on the socket.
  void write(const QueryEvent& e, const ClientPrivacy& privacy);

  const DnstapOptions& options() const { return options_; }
  DnstapStats stats() const;
  bool connected() const;

 private:
  struct State;  // shared with the I/O thread, which may outlive a stuck close
  DnstapOptions options_;
  std::shared_ptr<State> state_;
};

}  // namespace vigil::monitor
