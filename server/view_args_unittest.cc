#include "server/view_args.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

ViewArgs Ok(const std::vector<std::string>& args) {
  auto v = parse_view_args(args);
  if (auto* why = std::get_if<std::string>(&v)) {
    ADD_FAILURE() << *why;
    return {};
  }
  return std::get<ViewArgs>(v);
}

std::string Error(const std::vector<std::string>& args) {
  auto v = parse_view_args(args);
  auto* why = std::get_if<std::string>(&v);
  return why != nullptr ? *why : "";
}

TEST(ViewArgsTest, ABareNumberForSinceIsSecondsNeverTheCount) {
  // Issue 22: `vigilctl top domains --since 10` once meant "top 10, all time".
  const ViewArgs v = Ok(view_request("top", "domains", std::nullopt, "10"));
  EXPECT_EQ(v.kind, "domains");
  EXPECT_EQ(v.n, 10u);  // the default, not the 10 of --since
  ASSERT_TRUE(v.since.has_value());
  EXPECT_EQ(*v.since, std::chrono::seconds(10));
  const ViewArgs w = Ok(view_request("top", "clients", 3, "1h"));
  EXPECT_EQ(w.n, 3u);
  EXPECT_EQ(*w.since, std::chrono::hours(1));
  EXPECT_FALSE(Ok(view_request("top", "nxdomain", 5, "")).since.has_value());
}

TEST(ViewArgsTest, WhatVigilctlSendsIsReadBackAsItMeantIt) {
  EXPECT_EQ(view_request("top", "domains", 5, "10m"),
            (std::vector<std::string>{"top", "domains", "n=5", "since=10m"}));
  const ViewArgs c = Ok(view_request("client", "192.0.2.7", std::nullopt, "2d"));
  EXPECT_EQ(c.ip, (std::vector<std::uint8_t>{192, 0, 2, 7}));
  EXPECT_EQ(*c.since, std::chrono::hours(48));
  EXPECT_EQ(Ok(view_request("who-resolved", "::1", std::nullopt, "")).ip.size(), 16u);
  EXPECT_FALSE(Ok(view_request("alerts", "", std::nullopt, "")).since.has_value());
}

TEST(ViewArgsTest, WhatIsWrongIsSaidNotGuessed) {
  EXPECT_NE(Error({"top", "domains", "10"}).find("unexpected argument \"10\""), std::string::npos);
  EXPECT_NE(Error({"top", "domains", "n=0"}).find("-n"), std::string::npos);
  EXPECT_NE(Error({"top", "domains", "n=10001"}).find("-n"), std::string::npos);
  EXPECT_NE(Error({"top", "domains", "n=ten"}).find("-n"), std::string::npos);
  EXPECT_NE(Error({"top", "domains", "since=soon"}).find("--since"), std::string::npos);
  EXPECT_NE(Error({"top", "everything"}).find("usage: top"), std::string::npos);
  EXPECT_NE(Error({"client", "not-an-ip"}).find("not an IPv4 or IPv6"), std::string::npos);
  EXPECT_NE(Error({"client"}).find("usage: client"), std::string::npos);
  EXPECT_NE(Error({"alerts", "n=5"}).find("unexpected argument"), std::string::npos);
  EXPECT_NE(Error({"status"}).find("not a view"), std::string::npos);
}

}  // namespace
}  // namespace vigil::server
