// intent-eval: runs the intent detectors over labelled name lists and
// prints, per file, how many names each detector flags: recall for the
// malicious lists, the false-positive rate for the benign ones.
//
//   intent-eval --model build/release/monitor/dga.model FILE...
//
// A file's label comes from its name: benign_* is benign, dga_<family> and
// tunnel_<tool> malicious (../shared/intent-dev/ follows this).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "monitor/dga_model.h"
#include "monitor/registered_domain.h"

namespace {

using vigil::monitor::DgaModel;
using vigil::monitor::PublicSuffixList;

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) {
      model_path = argv[++i];
    } else if (!a.starts_with("--")) {
      files.push_back(a);
    } else {
      std::cerr << "usage: intent-eval --model FILE LIST...\n";
      return 2;
    }
  }
  std::string error;
  auto model = DgaModel::load(model_path, &error);
  if (!model) {
    std::cerr << "intent-eval: " << error << "\n";
    return 1;
  }
  PublicSuffixList psl;
  std::printf("%-24s %7s %9s %9s %9s\n", "list", "names", "scored", "dga-high", "dga-low");
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) {
      std::cerr << "intent-eval: cannot read " << f << "\n";
      return 1;
    }
    std::size_t names = 0, scored = 0, high = 0, low = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      ++names;
      for (char& c : line) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      const auto domain = psl.icann_domain(line);
      if (domain.empty() || domain.ends_with(".arpa")) continue;
      ++scored;
      const auto s = model->score(domain.substr(0, domain.find('.')));
      high += s.high ? 1 : 0;
      low += s.low ? 1 : 0;
    }
    auto pct = [&](std::size_t n) {
      return names == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(names);
    };
    std::printf("%-24s %7zu %8.1f%% %8.2f%% %8.2f%%\n", base_name(f).c_str(), names, pct(scored), pct(high),
                pct(low));
  }
  return 0;
}
