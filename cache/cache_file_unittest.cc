#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "cache/rrset_cache.h"
#include "protocol/presentation.h"

namespace vigil::cache {
namespace {

using dns::Name;
using dns::RRClass;
using dns::RRType;

constexpr Time kFileT0 = 1'700'000'000;

class CacheFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-cachefile.XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { unlink(path_.c_str()); }
  std::string path_;
};

TEST_F(CacheFileTest, RoundTripKeepsRemainingTtlsAndDropsExpired) {
  RRsetCache a;
  auto www = *dns::parse_record("WWW.example. 300 IN A 127.0.0.1");
  a.insert({www.name, www.type, www.rclass, www.ttl, {www.rdata, {127, 0, 0, 2}}}, Rank::kAuthAnswer,
           kFileT0);
  auto mx = *dns::parse_record("example. 3600 IN MX 10 mail.example.");
  a.insert({mx.name, mx.type, mx.rclass, mx.ttl, {mx.rdata}}, Rank::kNonAuthAnswer, kFileT0);
  auto odd = *dns::parse_record("we\\ ird\\.name.example. 3600 IN TXT \"x y\"");
  a.insert({odd.name, odd.type, odd.rclass, odd.ttl, {odd.rdata}}, Rank::kAuthAnswer, kFileT0);
  auto shortlived = *dns::parse_record("brief.example. 50 IN A 127.0.0.3");
  a.insert({shortlived.name, shortlived.type, shortlived.rclass, shortlived.ttl, {shortlived.rdata}},
           Rank::kAuthAnswer, kFileT0);
  auto soa = *dns::parse_record("example. 3600 IN SOA ns.example. h.example. 1 2 3 4 600");
  a.insert_negative(Name::from_text("nx.example.").value(), RRType::A, RRClass::IN, NegativeKind::kNxDomain,
                    soa, Rank::kAuthAuthority, kFileT0);
  EXPECT_EQ(a.dump(path_, kFileT0).written, 5u);

  RRsetCache b;
  LoadStats s = b.load(path_, kFileT0 + 100);  // time passes across the restart
  EXPECT_EQ(s.loaded, 4u);
  EXPECT_EQ(s.expired, 1u);  // brief.example.
  EXPECT_EQ(s.rejected, 0u) << s.first_error;
  auto got = b.lookup(*Name::from_text("www.example."), RRType::A, RRClass::IN, kFileT0 + 100);
  ASSERT_TRUE(got.positive.has_value());
  EXPECT_EQ(got.positive->rrset.ttl, 200u);
  EXPECT_EQ(got.positive->rrset.rdatas.size(), 2u);
  EXPECT_EQ(got.positive->rank, Rank::kAuthAnswer);
  EXPECT_EQ(b.lookup(mx.name, RRType::MX, RRClass::IN, kFileT0 + 100).positive->rrset.ttl, 3500u);
  EXPECT_TRUE(b.lookup(odd.name, RRType::TXT, RRClass::IN, kFileT0 + 100).hit());
  auto neg = b.lookup(*Name::from_text("nx.example."), RRType::AAAA, RRClass::IN, kFileT0 + 100);
  ASSERT_TRUE(neg.negative.has_value());
  EXPECT_EQ(neg.negative->soa.ttl, 500u);
  EXPECT_FALSE(b.lookup(shortlived.name, RRType::A, RRClass::IN, kFileT0 + 100).hit());
}

TEST_F(CacheFileTest, AFailedDumpSaysWhyAndKeepsTheOldFile) {
  RRsetCache a;
  auto www = *dns::parse_record("www.example. 300 IN A 127.0.0.1");
  a.insert({www.name, www.type, www.rclass, www.ttl, {www.rdata}}, Rank::kAuthAnswer, kFileT0);
  DumpStats ok = a.dump(path_, kFileT0);
  EXPECT_EQ(ok.written, 1u);
  EXPECT_TRUE(ok.error.empty());
  DumpStats bad = a.dump("/nonexistent-dir/cache.dump", kFileT0);
  EXPECT_EQ(bad.written, 0u);
  EXPECT_NE(bad.error.find("/nonexistent-dir/cache.dump.tmp: cannot create"), std::string::npos) << bad.error;
  RRsetCache b;
  EXPECT_EQ(b.load(path_, kFileT0).loaded, 1u);
}

TEST_F(CacheFileTest, BadLinesAreRejectedWithTheirLineNumber) {
  {
    std::ofstream f(path_);
    f << "; vigil cache dump v1\n"
      << "P 5 " << kFileT0 + 1000 << " 1 1 ok.example. 7F000001\n"
      << "P 9 " << kFileT0 + 1000 << " 1 1 badrank.example. 7F000001\n"
      << "P 5 " << kFileT0 + 1000 << " 1 1 badrdata.example. 7F0000\n"
      << "P 5 " << kFileT0 + 1000 << " 1 1 a..b. 7F000001\n"
      << "garbage\n"
      << "N nxdomain 4 " << kFileT0 + 1000 << " 1 0 n.example. example. 60 00\n";
  }
  RRsetCache c;
  LoadStats s = c.load(path_, kFileT0);
  EXPECT_EQ(s.loaded, 1u);
  EXPECT_EQ(s.rejected, 5u);
  EXPECT_EQ(s.first_error, path_ + ":3: malformed entry header");
  EXPECT_TRUE(c.lookup(*Name::from_text("ok.example."), RRType::A, RRClass::IN, kFileT0).hit());
  EXPECT_FALSE(c.load("/nonexistent/cache.dump", kFileT0).first_error.empty());
}

}  // namespace
}  // namespace vigil::cache
