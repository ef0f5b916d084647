// The coalescing table: one leader per key, waiters get its result on
// their own executor, a full key sheds, a wait is bounded.
#include "resolver/inflight.h"

#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace vigil::resolver {
namespace {

using namespace std::chrono_literals;
using Table = InflightTable<std::string, int>;

TEST(InflightTableTest, OneLeadsTheOthersGetItsResult) {
  boost::asio::io_context io;
  Table table;
  std::vector<std::optional<int>> got;
  bool led = false;
  auto waiter = [&]() -> boost::asio::awaitable<void> {
    auto j = co_await table.join("q", 10s);
    EXPECT_EQ(j.role, Table::Role::kWait);
    got.push_back(co_await Table::wait(j.waiter));
  };
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        auto j = co_await table.join("q", 10s);
        EXPECT_EQ(j.role, Table::Role::kLead);
        led = true;
        boost::asio::co_spawn(io, waiter(), boost::asio::detached);
        boost::asio::co_spawn(io, waiter(), boost::asio::detached);
        co_return;
      },
      boost::asio::detached);
  io.poll();  // the leader joins, then the waiters
  EXPECT_TRUE(led);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.waiters(), 2u);
  table.finish("q", 42);
  io.run();
  EXPECT_EQ(got, (std::vector<std::optional<int>>{42, 42}));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.coalesced(), 2u);
}

TEST(InflightTableTest, AFullKeyShedsAndAWaitIsBounded) {
  boost::asio::io_context io;
  Table table;
  std::optional<int> timed_out_result = 7;
  Table::Role third{};
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        (void)co_await table.join("q", 1ms, 1);           // leads, never finishes
        auto second = co_await table.join("q", 1ms, 1);   // waits
        third = (co_await table.join("q", 1ms, 1)).role;  // one waiter already: shed
        timed_out_result = co_await Table::wait(second.waiter);
      },
      boost::asio::detached);
  io.run();
  EXPECT_EQ(third, Table::Role::kFull);
  EXPECT_EQ(table.shed(), 1u);
  EXPECT_FALSE(timed_out_result);  // the wait ended without a result
}

TEST(InflightTableTest, ALeaseFinishesWhenItGoes) {
  boost::asio::io_context io;
  Table table;
  std::optional<int> got;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        (void)co_await table.join("q", 10s);
        auto w = co_await table.join("q", 10s);
        { InflightLease<Table, std::string, int> lease(table, "q", 5); }
        got = co_await Table::wait(w.waiter);
      },
      boost::asio::detached);
  io.run();
  EXPECT_EQ(got, 5);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace vigil::resolver
