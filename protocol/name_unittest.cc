#include "protocol/name.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::dns {
namespace {

Name N(std::string_view text) {
  auto n = Name::from_text(text);
  EXPECT_TRUE(n.ok()) << text;
  return n.ok() ? *n : Name();
}

TEST(NameTest, RootAndSimpleNames) {
  EXPECT_TRUE(Name().is_root());
  EXPECT_EQ(Name().to_text(), ".");
  EXPECT_EQ(N(".").wire_length(), 1u);
  Name n = N("www.Example.COM.");
  EXPECT_EQ(n.to_text(), "www.Example.COM.");  // case preserved
  EXPECT_EQ(n.label_count(), 3u);
  EXPECT_EQ(n.wire_length(), 17u);
  const std::vector<std::uint8_t> wire = {3,   'w', 'w', 'w', 7,   'E', 'x', 'a', 'm',
                                          'p', 'l', 'e', 3,   'C', 'O', 'M', 0};
  EXPECT_TRUE(std::equal(n.wire().begin(), n.wire().end(), wire.begin(), wire.end()));
}

TEST(NameTest, RelativeNamesGetTheOrigin) {
  EXPECT_EQ(N("www.example.com").to_text(), "www.example.com.");
  auto rel = Name::from_text("host", N("lan."));
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->to_text(), "host.lan.");
  auto abs = Name::from_text("host.", N("lan."));
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs->to_text(), "host.");
}

TEST(NameTest, EscapesBothWays) {
  // "\." is a dot inside a label, "\DDD" a decimal octet, "\\" a backslash.
  Name n = N(R"(a\.b.c\032d.e\\f.\000.)");
  EXPECT_EQ(n.label_count(), 4u);
  EXPECT_EQ(n.label(0).size(), 3u);
  EXPECT_EQ(n.label(0)[1], '.');
  EXPECT_EQ(n.label(1)[1], ' ');
  EXPECT_EQ(n.label(2)[1], '\\');
  EXPECT_EQ(n.label(3)[0], 0);
  EXPECT_EQ(n.to_text(), "a\\.b.c\\032d.e\\\\f.\\000.");
  // Specials and non-printables are escaped so from_text gives them back.
  std::vector<std::uint8_t> label;
  label.reserve(63);
  for (int c = 0; c < 63; ++c) label.push_back(static_cast<std::uint8_t>(c * 4 + 1));
  auto odd = Name().prepend(label);
  ASSERT_TRUE(odd.ok());
  auto back = Name::from_text(odd->to_text());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->exact_equals(*odd));
  EXPECT_EQ(N("\"q\"@x;y(z)$.").to_text(), "\\\"q\\\"\\@x\\;y\\(z\\)\\$.");
}

TEST(NameTest, RejectsBadText) {
  EXPECT_EQ(Name::from_text("").error(), Error::kBadText);
  EXPECT_EQ(Name::from_text("a..b").error(), Error::kEmptyLabel);
  EXPECT_EQ(Name::from_text(".a").error(), Error::kEmptyLabel);
  EXPECT_EQ(Name::from_text("a.b..").error(), Error::kEmptyLabel);
  EXPECT_EQ(Name::from_text("a\\").error(), Error::kBadEscape);
  EXPECT_EQ(Name::from_text("a\\25").error(), Error::kBadEscape);
  EXPECT_EQ(Name::from_text("a\\256").error(), Error::kBadEscape);
  EXPECT_EQ(Name::from_text("a\\2x5").error(), Error::kBadEscape);
}

TEST(NameTest, LowercaseTextIsTheLowercasedNamesText) {
  for (const char* text : {".", "WWW.Example.COM.", R"(A\.B.c\032D.E\\f.\000.)", "\"Q\"@X;y(Z)$."}) {
    const Name n = N(text);
    std::string direct = "prefix ";
    n.append_lowercase_text(direct);
    EXPECT_EQ(direct, "prefix " + n.lowercased().to_text()) << text;
  }
  // The longest text: 255 octets of wire form, every one escaped as \DDD.
  std::vector<std::uint8_t> label(63, 0xC1);
  Name big;
  for (int i = 0; i < 3; ++i) big = *big.prepend(label);
  big = *big.prepend(std::vector<std::uint8_t>(61, 'Q'));
  ASSERT_EQ(big.wire_length(), 255u);
  std::string text;
  big.append_lowercase_text(text);
  EXPECT_EQ(text, big.lowercased().to_text());
  EXPECT_EQ(text.size(), 61u + 3 * 63 * 4 + 4);
  EXPECT_TRUE(Name::from_text(text)->exact_equals(big.lowercased()));
}

TEST(NameTest, LengthLimits) {
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  EXPECT_TRUE(Name::from_text(l63 + ".").ok());
  EXPECT_EQ(Name::from_text(l64 + ".").error(), Error::kLabelTooLong);
  // 4 labels of 63 = 256 octets with length octets, + root = 257: too long.
  EXPECT_EQ(Name::from_text(l63 + "." + l63 + "." + l63 + "." + l63 + ".").error(), Error::kNameTooLong);
  // 3*64 + 62 + root = 255: the longest legal name.
  auto longest = Name::from_text(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b') + ".");
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(longest->wire_length(), 255u);
  EXPECT_EQ(longest->prepend(std::vector<std::uint8_t>{'x'}).error(), Error::kNameTooLong);
  EXPECT_EQ(longest->concat(N("x.")).error(), Error::kNameTooLong);
  // 127 one-octet labels is the most a name can hold.
  std::string many;
  for (int i = 0; i < 127; ++i) many += "a.";
  auto m = Name::from_text(many);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->label_count(), 127u);
  EXPECT_EQ(Name::from_text(many + "a.").error(), Error::kNameTooLong);
}

TEST(NameTest, CaseInsensitiveEqualityAndHash) {
  EXPECT_EQ(N("WWW.example.com."), N("www.EXAMPLE.com."));
  EXPECT_EQ(N("WWW.example.com.").hash(), N("www.EXAMPLE.com.").hash());
  EXPECT_FALSE(N("WWW.example.com.").exact_equals(N("www.example.com.")));
  EXPECT_NE(N("www.example.com."), N("www.example.net."));
  // Only ASCII letters fold: octet 0xC4 and 0xE4 stay distinct.
  EXPECT_NE(N("\\196."), N("\\228."));
  std::unordered_set<Name> set{N("a.example."), N("A.EXAMPLE."), N("b.example.")};
  EXPECT_EQ(set.size(), 2u);
}

TEST(NameTest, CanonicalOrderingFromRfc4034) {
  // RFC 4034 §6.1 example, already in canonical order.
  std::vector<Name> expected = {N("example."),         N("a.example."),      N("yljkjljk.a.example."),
                                N("Z.a.example."),     N("zABC.a.EXAMPLE."), N("z.example."),
                                N("\\001.z.example."), N("*.z.example."),    N("\\200.z.example.")};
  std::vector<Name> shuffled = {expected[5], expected[0], expected[8], expected[3], expected[1],
                                expected[7], expected[2], expected[6], expected[4]};
  std::sort(shuffled.begin(), shuffled.end());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(shuffled[i], expected[i]) << i;
  EXPECT_TRUE(Name() < N("com."));
  EXPECT_TRUE(N("a.") < N("b."));
  EXPECT_TRUE(N("ab.") > N("a."));
  EXPECT_EQ(N("A.") <=> N("a."), std::strong_ordering::equal);
}

TEST(NameTest, Hierarchy) {
  Name www = N("www.example.com.");
  EXPECT_TRUE(www.is_subdomain_of(N("example.com.")));
  EXPECT_TRUE(www.is_subdomain_of(N("EXAMPLE.com.")));
  EXPECT_TRUE(www.is_subdomain_of(www));
  EXPECT_TRUE(www.is_subdomain_of(Name()));
  EXPECT_FALSE(www.is_strict_subdomain_of(www));
  EXPECT_TRUE(www.is_strict_subdomain_of(N("com.")));
  // Suffix match must be on a label boundary.
  EXPECT_FALSE(N("wwwexample.com.").is_subdomain_of(N("example.com.")));
  EXPECT_FALSE(N("xample.com.").is_subdomain_of(N("example.com.")));
  EXPECT_FALSE(N("com.").is_subdomain_of(www));
  // A label that contains the suffix's bytes is not a boundary.
  EXPECT_FALSE(N("a\\003com.").is_subdomain_of(N("com.")));

  EXPECT_EQ(www.parent(), N("example.com."));
  EXPECT_EQ(www.parent().parent().parent(), Name());
  EXPECT_EQ(Name().parent(), Name());
  EXPECT_EQ(www.suffix(2), N("example.com."));
  EXPECT_EQ(www.suffix(0), Name());
  EXPECT_EQ(www.suffix(9), www);
  EXPECT_EQ(www.common_labels(N("mail.example.com.")), 2u);
  EXPECT_EQ(www.common_labels(N("example.org.")), 0u);
  EXPECT_EQ(www.label(1).size(), 7u);
  EXPECT_TRUE(N("*.example.").is_wildcard());
  EXPECT_FALSE(N("a*.example.").is_wildcard());
}

TEST(NameTest, Construction) {
  auto p = N("example.com.").prepend(std::vector<std::uint8_t>{'w', 'w', 'w'});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, N("www.example.com."));
  auto c = N("www.").concat(N("example.com."));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->to_text(), "www.example.com.");
  auto d = N("a.b.example.com.").replace_suffix(N("example.com."), N("example.net."));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->to_text(), "a.b.example.net.");
  EXPECT_FALSE(N("a.example.org.").replace_suffix(N("example.com."), N("x.")).ok());
  EXPECT_EQ(N("WwW.ExAmPlE.").lowercased().to_text(), "www.example.");
  EXPECT_EQ(Name().prepend({}).error(), Error::kEmptyLabel);
}

TEST(NameTest, FromWire) {
  const std::uint8_t ok[] = {1, 'a', 0};
  EXPECT_EQ(Name::from_wire(ok)->to_text(), "a.");
  const std::uint8_t pointer[] = {1, 'a', 0xC0, 0};
  EXPECT_EQ(Name::from_wire(pointer).error(), Error::kBadLabelType);
  const std::uint8_t trailing[] = {1, 'a', 0, 0};
  EXPECT_EQ(Name::from_wire(trailing).error(), Error::kTrailingData);
  const std::uint8_t cut[] = {3, 'a', 'b'};
  EXPECT_EQ(Name::from_wire(cut).error(), Error::kTruncated);
}

}  // namespace
}  // namespace vigil::dns
