// The test lab (tests/lab) as a GoogleTest environment: brought up once per
// test binary, torn down at exit. Binaries that use it must run inside a
// private network namespace — register them with vigil_lab_test() in CMake,
// which wraps them in `tests/lab/lab.sh netns`.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/dns_client.h"

namespace vigil::testing {

// One line of the lab's manifest.jsonl: a question and its correct answer.
struct ManifestEntry {
  std::string qname;
  std::string qtype;
  std::string kind;                 // what the entry exercises: "cname-cross-zone", "nxdomain", ...
  std::string rcode;                // "NOERROR", "NXDOMAIN"
  std::vector<std::string> answer;  // final RRset's RDATA in presentation format, sorted
  std::vector<std::string> chain;   // "owner TYPE target" for each CNAME/DNAME followed
};

class Lab : public ::testing::Environment {
 public:
  // Set by main() before RUN_ALL_TESTS; nullptr when no lab is registered.
  static Lab* instance();
  // Registers the environment; `zones` is gen_lab.py --zones.
  static Lab* install(int zones = 6);

  void SetUp() override;
  void TearDown() override;

  const std::filesystem::path& run_dir() const { return run_dir_; }
  std::filesystem::path root_hints() const { return run_dir_ / "root.hints"; }
  const std::vector<ManifestEntry>& manifest() const { return manifest_; }
  std::vector<Endpoint> root_servers() const;
  // The servers authoritative for `zone` (with a trailing dot).
  std::vector<Endpoint> servers_for(const std::string& zone) const;
  // Every zone the lab serves, apex names with trailing dots.
  std::vector<std::string> zones() const;

 private:
  explicit Lab(int zones) : zones_(zones) {}
  int zones_;
  std::filesystem::path run_dir_;
  std::vector<ManifestEntry> manifest_;
  std::map<std::string, std::vector<std::string>> servers_;  // address -> zones
  std::vector<std::string> roots_;
};

}  // namespace vigil::testing
