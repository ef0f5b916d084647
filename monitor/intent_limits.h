// Every threshold, window and bound of the intent detectors, in one place.
// The constants are the name-shape rules (name_shape.cc); IntentOptions
// holds what the configuration can change, with its defaults.
// docs/intent.md says how each was chosen and what it gives on the
// development data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::monitor {

// --- Name shape (tunnelling, per name) --------------------------------------
// A hex label this long that is no digest's length: session ids and hex
// encodings (dnscat2).
inline constexpr std::size_t kTunnelHexLabel = 16;
inline constexpr std::size_t kTunnelLongHexLabel = 24;  // ... alone a verdict
// A label of Base32/64/128 data: iodine fills labels to 57+ octets; benign
// labels this long are digests (not counted) or rare.
inline constexpr std::size_t kTunnelLongLabel = 50;
// Octets outside letters, digits and '-' (iodine's Base128 and Base64u).
inline constexpr std::size_t kTunnelNonLdhOctets = 3;
// A label this long with several capitals and small letters (Base64).
inline constexpr std::size_t kTunnelMixedCaseLabel = 12;
// Surprise (bits, DgaModel) of the labels below the registered domain:
// above kTunnelEncodedBits a name counts as encoded towards its pair, above
// kTunnelStrongBits it is a verdict alone.
inline constexpr double kTunnelEncodedBits = 100;
inline constexpr double kTunnelStrongBits = 160;

// --- Configurable: defaults ---------------------------------------------------
// Names whose facts (registered domain, DGA score, shape) the detectors
// remember, in a direct-mapped table: a miss asks the Public Suffix List
// once per label and the model once. 4 096 slots thrashed on traffic
// spread over 5 000 registered domains (issue 24): libpsl was 23 % of the
// writer thread. 32 768 (about 7 MiB) cut the writer's cost per query from
// 4.66 to 3.16 µs with every domain equally popular, and from 3.47 to
// 2.51 µs with Zipf popularity (bench/server_dnsperf.sh, realistic mix,
// ZIPF=0 and 1, ROUNDS=1), with the same verdicts (intent-eval, --mixed).
inline constexpr std::size_t kNameFactsMemo = 32768;

// Octets of each worker's ring of query-log events (event_ring.h): what
// the writer may fall behind by before records are dropped. A typical
// answer's event takes about 250 octets, so 16 MiB holds about 60 000 (half
// a second at 120 000 queries a second): enough for the burst when the
// detectors meet every name for the first time after a start.
inline constexpr std::size_t kQueryLogRingBytes = std::size_t{16} << 20;

struct IntentOptions {
  // Tracking tables: at most this many entries each, whatever the traffic
  // (a full table forgets its least recently seen entry).
  std::size_t max_clients = 65536;
  std::size_t max_pairs = 65536;       // (client, registered domain) for tunnelling
  std::size_t max_alert_keys = 65536;  // (client, category, domain) suppression

  // DGA: a client whose NXDOMAIN answers within `dga_window_s` name this
  // many distinct registered domains (weighted: 1 for a lexically
  // random-looking one, dga_plain_weight for others) is generating names.
  std::uint32_t dga_window_s = 600;
  double dga_nx_threshold = 8;
  double dga_plain_weight = 0.5;

  // Tunnelling per (client, registered domain) within `tunnel_window_s`:
  // this many distinct encoded-looking names below it, or this many
  // distinct names carrying this much information (in all, and on average).
  std::uint32_t tunnel_window_s = 300;
  std::uint32_t tunnel_encoded_names = 5;
  std::uint32_t tunnel_min_names = 30;
  double tunnel_bits = 4000;
  double tunnel_mean_bits = 60;

  // NXDOMAIN storm per client within `storm_window_s`.
  std::uint32_t storm_window_s = 60;
  std::uint32_t storm_nxdomain = 100;
  double storm_ratio = 0.5;

  // Newly observed domains: a registered domain that resolved and was not
  // looked up in the last `new_domain_days`, once the history is
  // `new_domain_learning_days` old; the history is sized for
  // `new_domain_per_day` distinct domains a day (1 % false positives there:
  // about 120 KB a day of history).
  bool new_domain = true;
  std::uint32_t new_domain_days = 30;
  std::uint32_t new_domain_learning_days = 2;
  std::size_t new_domain_per_day = 100000;

  // `action: block` per detector: the domain of a verdict (DGA: behavioural
  // ones only, never looks alone) is answered `block_rcode` (with EDE 15,
  // Blocked) for `block_for_s`, to every client; at most `max_blocked`
  // domains at a time (the least recently blocked make room).
  bool dga_block = false;
  bool tunnel_block = false;
  bool new_domain_block = false;
  std::uint8_t block_rcode = 3;  // NXDOMAIN; REFUSED (5) and SERVFAIL (2) too
  std::uint32_t block_for_s = 3600;
  std::size_t max_blocked = 4096;
  // Domains never blocked (intent.allow): each, and every name below it,
  // lower case, without the trailing dot. Their verdicts are still made.
  std::vector<std::string> allow;

  // One alert per (client, category, domain) per this many seconds.
  std::uint32_t alert_suppress_s = 3600;

  bool operator==(const IntentOptions&) const = default;
};

// vigilctl who-resolved's index (monitor/resolution_index.h): how many
// (address, client, name) triples it keeps and how far back.
struct ResolutionIndexOptions {
  std::size_t entries = 131072;                                 // (address, client, name) triples kept
  std::int64_t window_ns = std::int64_t{3600} * 1'000'000'000;  // how far back an entry counts
  bool operator==(const ResolutionIndexOptions&) const = default;
};

}  // namespace vigil::monitor
