#include "protocol/edns.h"

#include <gtest/gtest.h>

namespace vigil::dns {
namespace {

TEST(EdnsTest, FlagsRoundTrip) {
  EdnsFlags f{1, 0, true, 0};
  EXPECT_EQ(f.to_ttl(), 0x01008000u);
  EdnsFlags g = EdnsFlags::from_ttl(0x02FF8001u);
  EXPECT_EQ(g.extended_rcode, 2);
  EXPECT_EQ(g.version, 0xFF);
  EXPECT_TRUE(g.dnssec_ok);
  EXPECT_EQ(g.z, 1);
}

TEST(EdnsTest, ExtendedErrorEncoding) {
  auto data = encode_extended_error(EdeCode::kStaleAnswer, "served stale");
  EXPECT_EQ(data[0], 0);
  EXPECT_EQ(data[1], 3);
  auto back = decode_extended_error(data);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->code, EdeCode::kStaleAnswer);
  EXPECT_EQ(back->text, "served stale");
  // Long text is cut; a trailing NUL from sloppy senders is dropped.
  EXPECT_EQ(encode_extended_error(EdeCode::kOther, std::string(500, 'x')).size(), 2 + kMaxEdeTextLength);
  const std::uint8_t with_nul[] = {0, 23, 'n', 'e', 't', 0};
  EXPECT_EQ(decode_extended_error(with_nul)->text, "net");
  const std::uint8_t too_short[] = {0};
  EXPECT_FALSE(decode_extended_error(too_short).has_value());
  EXPECT_EQ(ede_to_string(EdeCode::kNoReachableAuthority), "No Reachable Authority");
  EXPECT_EQ(ede_to_string(static_cast<EdeCode>(999)), "EDE 999");
}

TEST(EdnsTest, OptionsParseAndRejectOverruns) {
  Edns e;
  e.add_extended_error(EdeCode::kNetworkError, "x");
  e.options.push_back({12, {0, 0, 0}});
  auto wire = e.options_wire();
  std::vector<EdnsOption> back;
  ASSERT_EQ(Edns::parse_options(wire, back), Error::kOk);
  EXPECT_EQ(back, e.options);
  wire.pop_back();
  back.clear();
  EXPECT_EQ(Edns::parse_options(wire, back), Error::kBadOptRdata);
  const std::uint8_t cut_header[] = {0, 10, 0};
  EXPECT_EQ(Edns::parse_options(cut_header, back), Error::kBadOptRdata);
}

TEST(EdnsTest, PaddingForBlock) {
  EXPECT_EQ(padding_for_block(100, 0), 0u);
  EXPECT_EQ(padding_for_block(464, 468), 0u);
  EXPECT_EQ(padding_for_block(100, 128), 24u);
  EXPECT_EQ((100 + 4 + padding_for_block(100, 468)) % 468, 0u);
}

}  // namespace
}  // namespace vigil::dns
