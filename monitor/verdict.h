// What an intent detector concluded about one query (intent.h): carried
// into the query log line of the query and, the first time per (client,
// category, domain) in the suppression window, into the alert stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vigil::monitor {

enum class IntentCategory : std::uint8_t { kDga, kTunnel, kNxdomainStorm, kNewDomain, kThreatFeed };
inline constexpr std::size_t kIntentCategoryCount = 5;
// "dga", "tunnel", "nxdomain-storm", "new-domain", "threat-feed"
const char* intent_category_name(IntentCategory c);

struct Verdict {
  IntentCategory category = IntentCategory::kDga;
  double score = 0;      // the detector's measure (evidence says which)
  std::string domain;    // the registered domain it is about ("" for a client-level verdict)
  std::string evidence;  // a JSON object's members, e.g. "\"surprise_bits\":41.2"
  bool alert = false;    // the first for (client, category, domain) in the suppression window
  // Whether it may raise an alert at all: a DGA verdict on a name's looks
  // alone stays in the query log (too many benign names look random for an
  // analyst's queue); the detectors' behavioural verdicts alert.
  bool alertable = true;
  bool blocked = false;  // its domain was put on the block list (a detector's action: block)
};

}  // namespace vigil::monitor
