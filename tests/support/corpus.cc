#include "tests/support/corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace vigil::testing {
namespace {

std::filesystem::path corpus_dir() {
  return std::filesystem::path(VIGIL_SOURCE_DIR) / "tests" / "corpus";
}

std::vector<std::filesystem::path> files(const std::filesystem::path& dir, const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) throw std::runtime_error("no corpus files in " + dir.string());
  return out;
}

}  // namespace

std::vector<CorpusEntry> load_malformed_corpus() {
  std::vector<CorpusEntry> out;
  for (const auto& path : files(corpus_dir() / "malformed", ".hex")) {
    CorpusEntry e;
    e.name = path.stem().string();
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("# expect: ", 0) == 0) {
        e.expect = line.substr(10);
      } else if (line.rfind("# ", 0) == 0) {
        e.description = line.substr(2);
      } else {
        std::istringstream hex(line);
        std::string byte;
        while (hex >> byte) e.bytes.push_back(static_cast<std::uint8_t>(std::stoul(byte, nullptr, 16)));
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<CorpusEntry> load_valid_messages() {
  std::vector<CorpusEntry> out;
  for (const auto& path : files(corpus_dir() / "fuzz" / "message", ".bin")) {
    std::ifstream in(path, std::ios::binary);
    CorpusEntry e;
    e.name = path.stem().string();
    e.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace vigil::testing
