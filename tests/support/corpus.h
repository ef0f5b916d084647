// Reads the shared test corpus in tests/corpus (see make_corpus.py there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::testing {

struct CorpusEntry {
  std::string name;         // file name without extension
  std::string expect;       // the "# expect:" value
  std::string description;  // the second comment line
  std::vector<std::uint8_t> bytes;
};

// Every malformed/*.hex file, sorted by name.
std::vector<CorpusEntry> load_malformed_corpus();
// Every fuzz/message/*.bin file, sorted by name.
std::vector<CorpusEntry> load_valid_messages();

}  // namespace vigil::testing
