// Reads the configured threat feeds (policy.feeds) from their files into a
// PolicySet, and keeps what it read: on a reload (SIGHUP, or a feed file
// that changed), a feed whose new file is broken keeps its last good
// version, with the error logged and counted; a feed configured for the
// first time must load. Runs on the control thread; the metrics exposer
// reads status() from its own threads.
//
//   PolicyLoader loader;
//   auto next = loader.load(cfg.policy, config_file);   // nothing changes yet
//   if (!next.ok()) reject(next.error());
//   ... build the runtime with next->set ...
//   loader.commit(std::move(*next));                     // now it is in force
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "policy/policy_set.h"
#include "protocol/result.h"

namespace vigil::server {

// What identifies one version of a file.
struct FileStamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t size = 0;
  bool operator==(const FileStamp&) const = default;
};

struct FeedStatus {
  config::PolicyFeedConfig config;
  std::string path;                                // the file, resolved against the configuration's directory
  std::shared_ptr<const policy::PolicyFeed> feed;  // the version in force
  FileStamp loaded;                                // the file it came from
  FileStamp seen;                                  // the last version read (loaded, or rejected)
  std::int64_t loaded_at = 0;                      // Unix time of the last good load
  std::uint64_t failures = 0;                      // versions rejected since start
  std::string error;                               // why the last version was rejected; "" = none
};

class PolicyLoader {
 public:
  struct Next {
    std::shared_ptr<const policy::PolicySet> set;
    std::vector<std::string> warnings;  // feeds kept at their last good version, and why
    std::vector<std::string> loaded;    // "name: N names, M addresses, serial S" per feed read
    std::map<std::string, FeedStatus> feeds;
  };

  // Reads every feed whose file is new or changed (all of them with
  // `force`, as SIGHUP does). An error names the file and line.
  dns::Expected<Next, config::ConfigError> load(const config::PolicyConfig& cfg,
                                                const std::string& config_file, bool force = true);
  void commit(Next next);
  // Whether a feed file differs from the version last read.
  bool changed(const config::PolicyConfig& cfg, const std::string& config_file) const;

  std::vector<FeedStatus> status() const;
  // Hit counters by feed name, kept across reloads.
  policy::PolicyCounters& counters(const std::string& name);
  std::vector<std::pair<std::string, const policy::PolicyCounters*>> all_counters() const;

  static std::string resolve_path(const std::string& file, const std::string& config_file);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, FeedStatus> feeds_;
  std::map<std::string, std::unique_ptr<policy::PolicyCounters>> counters_;
};

// The stamp of `path`, or nullopt when it cannot be read.
std::optional<FileStamp> stamp_of(const std::string& path);

}  // namespace vigil::server
