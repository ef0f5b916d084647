#include "monitor/registered_domain.h"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace vigil::monitor {
namespace {

const PublicSuffixList& Psl() {
  static const PublicSuffixList psl;
  return psl;
}

TEST(PublicSuffixListTest, RegisteredDomainsFromTheList) {
  EXPECT_EQ(Psl().registered_domain("www.example.com"), "example.com");
  EXPECT_EQ(Psl().registered_domain("www.example.com."), "example.com");  // the trailing dot
  EXPECT_EQ(Psl().registered_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(Psl().registered_domain("example.com"), "example.com");
  // The list's private section: every blogspot.com site is its own domain.
  EXPECT_EQ(Psl().registered_domain("www.someone.blogspot.com"), "someone.blogspot.com");
  // A tunnel's names all share one registered domain.
  EXPECT_EQ(Psl().registered_domain("0021vu.aaa.bbb.tun.kfx-labs.org"), "kfx-labs.org");
  // Reverse lookups: in-addr.arpa and ip6.arpa are suffixes of their own.
  EXPECT_EQ(Psl().registered_domain("4.3.2.1.in-addr.arpa"), "1.in-addr.arpa");
  // A TLD the list does not know: the implicit "*" rule.
  EXPECT_EQ(Psl().registered_domain("host.site.notatld"), "site.notatld");
}

TEST(PublicSuffixListTest, IcannDomainsIgnoreThePrivateSectionAndUnknownTlds) {
  EXPECT_EQ(Psl().icann_domain("www.example.com"), "example.com");
  EXPECT_EQ(Psl().icann_domain("a.b.example.co.uk."), "example.co.uk");
  EXPECT_EQ(Psl().icann_domain("d12zgccgt6pwjz.cloudfront.net"), "cloudfront.net");
  EXPECT_EQ(Psl().icann_domain("www.someone.blogspot.com"), "blogspot.com");
  EXPECT_EQ(Psl().icann_domain("host.site.notatld"), "");
  EXPECT_EQ(Psl().icann_domain("zyjupoocumuc"), "");  // a browser's single-label probe
  EXPECT_EQ(Psl().icann_domain("co.uk"), "");
  EXPECT_EQ(Psl().icann_domain("com"), "");
  EXPECT_EQ(Psl().icann_domain(""), "");
  EXPECT_EQ(Psl().icann_domain("4.3.2.1.in-addr.arpa"), "1.in-addr.arpa");
}

TEST(PublicSuffixListTest, SuffixesThemselvesHaveNoRegisteredDomain) {
  EXPECT_EQ(Psl().registered_domain("com"), "");
  EXPECT_EQ(Psl().registered_domain("co.uk"), "");
  EXPECT_EQ(Psl().registered_domain("."), "");
  EXPECT_EQ(Psl().registered_domain(""), "");
  EXPECT_TRUE(Psl().is_public_suffix("co.uk"));
  EXPECT_TRUE(Psl().is_public_suffix("blogspot.com"));
  EXPECT_FALSE(Psl().is_public_suffix("example.co.uk"));
}

TEST(PublicSuffixListTest, HostileNamesGiveAnAnswerNotACrash) {
  EXPECT_EQ(Psl().registered_domain(std::string(2000, 'a') + ".com"), "");  // longer than any name
  const std::string escaped = "\\000\\255.x\\\\y.example.com";
  EXPECT_EQ(Psl().registered_domain(escaped), "example.com");
  EXPECT_EQ(Psl().registered_domain(".."), "");
}

TEST(PublicSuffixListTest, DebiansListFileLoadsAndABadPathIsAnError) {
  const PublicSuffixList debian("/usr/share/publicsuffix/public_suffix_list.dat");
  EXPECT_EQ(debian.registered_domain("www.example.co.uk"), "example.co.uk");
  EXPECT_THROW(PublicSuffixList("/nonexistent/list.dat"), std::runtime_error);
}

}  // namespace
}  // namespace vigil::monitor
