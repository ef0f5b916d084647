// Keeps the threat feeds current between reloads: every
// policy.check_interval the feed files are looked at, and a changed one is
// read and, when it parses, swapped in (a new runtime, asked for through
// `publish`); a broken one is logged once per version and its feed keeps
// what it had. A feed kept by a primary (policy.feeds[].primary) is
// transferred as a BIND secondary keeps its zone and written to its file,
// then read from there like any feed file. Runs on the control thread's
// io_context.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "config/config.h"
#include "policy/policy_set.h"
#include "server/policy_loader.h"

namespace vigil::server {

class FeedKeeper {
 public:
  // The feeds' configuration in force (it changes on reload).
  using PolicySource = std::function<config::PolicyConfig()>;
  // Swaps in a runtime over `set` (the configuration in force otherwise
  // unchanged); returns "" or why it could not be built.
  using Publish = std::function<std::string(std::shared_ptr<const policy::PolicySet> set)>;

  FeedKeeper(boost::asio::io_context& io, PolicyLoader& loader, std::string config_path, PolicySource policy,
             Publish publish);

  // Starts watching the feed files and keeping the transferred feeds.
  void start();
  // A coroutine for each feed kept by a primary that has none yet (after a
  // reload: a feed new to the configuration); one whose feed left it ends.
  void start_transfers();

  struct Refresh {
    bool swapped = false;             // a changed feed was read and a new runtime published
    std::vector<std::string> errors;  // what was logged as errors (a broken file keeps its feed)
  };
  // Reads the feed files that changed since they were last read.
  Refresh refresh();

 private:
  boost::asio::awaitable<void> watch();
  boost::asio::awaitable<void> keep(std::string name);

  boost::asio::io_context& io_;
  PolicyLoader& loader_;
  std::string config_path_;
  PolicySource policy_;
  Publish publish_;
  std::set<std::string> transfers_;  // feeds with a keep() coroutine
};

}  // namespace vigil::server
