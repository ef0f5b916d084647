// libFuzzer: a policy feed (RPZ zone, hosts file, domain list) from
// arbitrary octets: an error or a feed, never a crash; a parsed feed
// answers lookups of the names and addresses it was given.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/policy_feed.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vigil;
  if (size < 1) return 0;
  policy::FeedOptions o;
  o.format = static_cast<policy::FeedFormat>(data[0] % 3);
  o.max_rules = 10000;
  if (o.format == policy::FeedFormat::kRpz) o.zone = *dns::Name::from_text("rpz.");
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto f = policy::PolicyFeed::parse(text, o);
  if (!f.ok()) return 0;
  for (const char* n : {"a.test.", "x.y.z.test.", ".", "bad.example."}) {
    const dns::Name name = *dns::Name::from_text(n);
    if (auto m = (*f)->match_name(name)) (void)m->trigger_text(name);
  }
  const std::uint8_t v4[] = {127, 0, 0, 1};
  const std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  if (auto m = (*f)->match_address(v4)) (void)m->trigger_text(dns::Name());
  if (auto m = (*f)->match_address(v6)) (void)m->trigger_text(dns::Name());
  return 0;
}
