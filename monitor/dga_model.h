// The lexical half of DGA detection: how surprising a registered domain's
// label is to a character model of the names people register.
//
// A character 4-gram model (Witten-Bell interpolation down to a uniform
// distribution) is trained on benign labels; a label's surprise is how many
// bits less likely the model finds it than a uniformly random string would
// be (26 letters, or 36 letters and digits when it has a digit: its negated
// log-likelihood ratio). Random-letter
// and hex names score high and longer ones higher; words, brands and
// pronounceable names score low. Labels with digits are scored against a
// threshold of their own: the benign ones are far more random-looking.
//
// The model is built by `vigil-dga-train` from data in Debian packages
// (docs/intent.md: provenance and licences) and stored in a small text file:
//
//   vigil-dga-model 1
//   threshold <alpha-high> <alnum-high> <alpha-low> <alnum-low>
//   <4-gram as 4 characters> <count>         (one per line)
//
// where '^' pads the start of a label and '$' ends it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vigil::monitor {

struct LexicalScore {
  double surprise = 0;     // bits; higher = more random-looking
  bool has_digit = false;  // which threshold applies
  bool high = false;       // over the high threshold: a verdict by itself
  bool low = false;        // over the low threshold: counts towards behaviour
};

class DgaModel {
 public:
  static constexpr int kOrder = 4;

  // Thresholds in bits, per kind of label.
  struct Thresholds {
    double alpha_high = 1e9, alnum_high = 1e9;  // never, until calibrated
    double alpha_low = 1e9, alnum_low = 1e9;
  };

  DgaModel() = default;
  // Counts the 4-grams of these labels (lower case; other octets than
  // letters, digits and '-' count as one symbol of their own).
  static DgaModel train(const std::vector<std::string>& labels);
  // Sets the thresholds from benign labels the model was not trained on:
  // the surprise that this fraction of them exceeds, per kind of label.
  void calibrate(const std::vector<std::string>& held_out, double high_fp, double low_fp);

  // The model file's text; parse() gives an error with the line number.
  std::string serialize() const;
  static std::optional<DgaModel> parse(std::string_view text, std::string* error);
  static std::optional<DgaModel> load(const std::string& path, std::string* error);

  double surprise(std::string_view label) const;
  LexicalScore score(std::string_view label) const;

  const Thresholds& thresholds() const { return thresholds_; }
  void set_thresholds(const Thresholds& t) { thresholds_ = t; }
  std::size_t grams() const { return counts_[kOrder - 1].size(); }
  bool empty() const { return counts_[kOrder - 1].empty(); }

 private:
  // Symbols: 0 '^' (padding), 1-26 letters, 27-36 digits, 37 '-', 38 '$'
  // (end), 39 anything else.
  static constexpr unsigned kSymbols = 40;
  static constexpr unsigned kPredicted = 39;  // all but the padding can follow a context
  static unsigned symbol(char c);
  static char symbol_char(unsigned s);

  void add(std::uint32_t gram4, std::uint64_t count);  // and its lower orders
  void finish();                                       // per-context totals

  // counts_[k]: (context of k symbols, symbol) → count, key = symbols in
  // base kSymbols; context_[k]: context → {total, distinct followers}.
  // finish() keeps only counts_[kOrder - 1] once the tables are made.
  struct Context {
    std::uint64_t total = 0;
    std::uint32_t distinct = 0;
  };
  std::unordered_map<std::uint32_t, std::uint64_t> counts_[kOrder];
  std::unordered_map<std::uint32_t, Context> contexts_[kOrder];
  // What surprise() reads, worked out by finish(): for every history of
  // kOrder - 1 symbols, the row of its longest seen context (the Witten-Bell
  // chain stops at the first unseen one), and per row the interpolated
  // probability of each symbol, computed as the chain would. One lookup a
  // symbol instead of two hash probes per order; the same doubles.
  std::vector<std::uint32_t> row_of_history_;
  std::vector<double> probability_;  // kSymbols per row
  Thresholds thresholds_;
};

}  // namespace vigil::monitor
