#include "tests/support/lab.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace vigil::testing {
namespace {

Lab* g_lab = nullptr;

std::filesystem::path lab_script() {
  return std::filesystem::path(VIGIL_SOURCE_DIR) / "tests" / "lab" / "lab.sh";
}

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("lab command failed: " + command);
}

}  // namespace

Lab* Lab::instance() {
  return g_lab;
}

Lab* Lab::install(int zones) {
  g_lab = new Lab(zones);  // owned by GoogleTest once added
  ::testing::AddGlobalTestEnvironment(g_lab);
  return g_lab;
}

void Lab::SetUp() {
  char tmpl[] = "/tmp/vigil-lab.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  run_dir_ = std::filesystem::path(tmpl) / "lab";
  run(lab_script().string() + " start " + run_dir_.string() + " --zones " + std::to_string(zones_) + " >&2");

  std::ifstream manifest(run_dir_ / "manifest.jsonl");
  std::string line;
  while (std::getline(manifest, line)) {
    auto j = nlohmann::json::parse(line);
    ManifestEntry e;
    e.qname = j["qname"];
    e.qtype = j["qtype"];
    e.kind = j["kind"];
    e.rcode = j["rcode"];
    for (const auto& a : j["answer"]) e.answer.push_back(a);
    for (const auto& c : j["chain"]) {
      e.chain.push_back(c["name"].get<std::string>() + " " + c["type"].get<std::string>() + " " +
                        c["data"].get<std::string>());
    }
    manifest_.push_back(std::move(e));
  }
  auto servers = nlohmann::json::parse(std::ifstream(run_dir_ / "servers.json"));
  for (const auto& [addr, zones] : servers["servers"].items()) {
    for (const auto& z : zones) servers_[addr].push_back(z);
  }
  for (const auto& r : servers["root"]) roots_.push_back(r);
}

void Lab::TearDown() {
  if (run_dir_.empty()) return;
  run(lab_script().string() + " stop " + run_dir_.string());
  std::filesystem::remove_all(run_dir_.parent_path());
}

std::vector<Endpoint> Lab::root_servers() const {
  std::vector<Endpoint> out;
  for (const auto& r : roots_) out.push_back({r, 53});
  return out;
}

std::vector<Endpoint> Lab::servers_for(const std::string& zone) const {
  std::vector<Endpoint> out;
  for (const auto& [addr, zones] : servers_) {
    for (const auto& z : zones) {
      if (z == zone) out.push_back({addr, 53});
    }
  }
  return out;
}

std::vector<std::string> Lab::zones() const {
  std::vector<std::string> out;
  for (const auto& [addr, zones] : servers_) {
    for (const auto& z : zones) {
      if (std::find(out.begin(), out.end(), z) == out.end()) out.push_back(z);
    }
  }
  return out;
}

}  // namespace vigil::testing
