#include "resolver/root_hints.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace vigil::resolver {
namespace {

TEST(RootHintsTest, BuiltinHintsParse) {
  // Parsing only: vigild is never pointed at the real roots in tests.
  const RootHints& h = builtin_root_hints();
  ASSERT_EQ(h.servers.size(), 13u);
  EXPECT_EQ(h.address_count(), 26u);
  EXPECT_EQ(h.servers[0].name, *dns::Name::from_text("a.root-servers.net."));
  for (const auto& s : h.servers) {
    EXPECT_EQ(s.ipv4.size(), 1u) << s.name.to_text();
    EXPECT_EQ(s.ipv6.size(), 1u) << s.name.to_text();
  }
  // b.root-servers.net's renumbering of November 2023.
  EXPECT_EQ(h.servers[1].ipv4[0], (std::array<std::uint8_t, 4>{170, 247, 170, 2}));
}

TEST(RootHintsTest, ParsesTheLabFormat) {
  auto h = parse_root_hints(
      ";  Root hints for the Vigil test lab\n"
      ".                        3600000      NS    a.root.lab.\n"
      "a.root.lab.              3600000      A     127.1.0.1\n"
      ".                        3600000      NS    b.root.lab.\n"
      "b.root.lab.              3600000      A     127.1.0.2\n"
      "; End of file\n");
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->servers.size(), 2u);
  EXPECT_EQ(h->servers[1].ipv4[0], (std::array<std::uint8_t, 4>{127, 1, 0, 2}));
  EXPECT_TRUE(h->servers[1].ipv6.empty());
}

TEST(RootHintsTest, BadHintsSayWhatAndWhere) {
  struct Case {
    const char* text;
    std::size_t line;
    const char* message;
  } cases[] = {
      {"a.root.lab. 1 A 127.1.0.1\n", 0, "no NS records for the root"},
      {". 1 NS a.root.lab.\n", 0, "root server a.root.lab. has no address"},
      {". 1 NS a.root.lab.\na.root.lab. 1 A 127.1.0.1\nevil.lab. 1 A 127.9.9.9\n", 3,
       "address of evil.lab., which no root NS record names"},
      {". 1 NS a.root.lab.\na.root.lab. 1 A 127.1.0.1\na.root.lab. 1 TXT hi\n", 3, "unexpected TXT record"},
      {"lab. 1 NS a.root.lab.\n", 1, "root hints name the root's servers only"},
      {". 1 NS a.root.lab.\na.root.lab. 1 A 999.1.0.1\n", 2, ""},
  };
  for (const auto& c : cases) {
    auto h = parse_root_hints(c.text);
    ASSERT_FALSE(h.ok()) << c.text;
    EXPECT_EQ(h.error().line, c.line) << c.text << h.error().message;
    EXPECT_NE(h.error().message.find(c.message), std::string::npos) << h.error().message;
  }
}

TEST(RootHintsTest, LoadNamesTheFile) {
  EXPECT_EQ(load_root_hints("builtin")->servers.size(), 13u);
  auto missing = load_root_hints("/nonexistent/root.hints");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "/nonexistent/root.hints: cannot read the root hints file");
  char path[] = "/tmp/vigil-hints-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "; hints\n. 1 NS a.root.lab.\n";
  auto bad = load_root_hints(path);
  std::remove(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), std::string(path) + ": root server a.root.lab. has no address");
}

}  // namespace
}  // namespace vigil::resolver
