// What the form of one query name says about DNS tunnelling: the part of
// the name below its registered domain (what a tunnel fills with data) is
// measured, and the encodings tunnels use are recognised.
//
// A tunnel client encodes data in the labels under a domain whose
// authoritative server it controls: long labels of Base32/64/128 or hex,
// dozens of octets per name, every name different. Lookup services do the
// same with benign data, and the measurements leave them out: a label that
// is a digest (hex of MD5, SHA-1 or SHA-256 length: hash-reputation
// services) or a number (reversed addresses: DNSBLs, .arpa) carries no
// counted information.
//
//   NameShape s = shape_of(name, registered_labels, model);
//   s.strong     → this name alone is a tunnel's
//   s.info_bits  → what it adds to its (client, domain) pair's total
#pragma once

#include <cstddef>
#include <cstdint>

#include "monitor/dga_model.h"
#include "protocol/name.h"

namespace vigil::monitor {

struct NameShape {
  std::size_t sub_labels = 0;  // labels below the registered domain
  std::size_t sub_octets = 0;  // their octets
  std::size_t max_label = 0;   // the longest of them
  std::size_t non_ldh = 0;     // octets other than letters, digits and '-' (a label's leading '_' aside)
  std::size_t odd_hex = 0;     // the longest hex label (16+ octets) that is no digest's length
  bool mixed_case = false;     // a long label with several upper- and lower-case letters
  bool dnscat = false;         // a label "dnscat" (dnscat2 without a domain of its own)
  bool lookup = false;         // a digest or reversed-address label: a lookup service's name
  double info_bits = 0;        // the surprise of the counted labels (DgaModel), summed
  bool strong = false;         // one of the above decides it alone
  bool encoded = false;        // looks encoded: counts towards the pair's verdict
};

// `registered_labels`: how many of the name's labels make its registered
// domain (0 when it has none: then every label but the last is measured).
NameShape shape_of(const dns::Name& name, std::size_t registered_labels, const DgaModel& model);

}  // namespace vigil::monitor
