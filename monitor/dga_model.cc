#include "monitor/dga_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace vigil::monitor {

namespace {

constexpr std::string_view kMagic = "vigil-dga-model 1";
// A model file far larger than any real one is refused before it is read.
constexpr std::size_t kMaxModelBytes = std::size_t{64} << 20;
// The largest count a 4-gram may have (a real model's are below 10^7).
constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 40;

bool starts_with_xn(std::string_view label) {
  return label.size() >= 4 && (label[0] | 0x20) == 'x' && (label[1] | 0x20) == 'n' && label[2] == '-' &&
         label[3] == '-';
}

}  // namespace

unsigned DgaModel::symbol(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 'A' && u <= 'Z') return u - 'A' + 1;
  if (u >= 'a' && u <= 'z') return u - 'a' + 1;
  if (u >= '0' && u <= '9') return u - '0' + 27;
  if (u == '-') return 37;
  return 39;
}

char DgaModel::symbol_char(unsigned s) {
  if (s == 0) return '^';
  if (s <= 26) return static_cast<char>('a' + s - 1);
  if (s <= 36) return static_cast<char>('0' + s - 27);
  if (s == 37) return '-';
  if (s == 38) return '$';
  return '_';
}

void DgaModel::add(std::uint32_t gram4, std::uint64_t count) {
  counts_[kOrder - 1][gram4] += count;
}

void DgaModel::finish() {
  // The lower orders are the 4-grams' suffixes: each position in a padded
  // label is one n-gram of every order.
  for (int k = 0; k < kOrder - 1; ++k) counts_[k].clear();
  for (const auto& [gram, count] : counts_[kOrder - 1]) {
    std::uint32_t modulus = kSymbols;
    for (int k = 0; k < kOrder - 1; ++k, modulus *= kSymbols) counts_[k][gram % modulus] += count;
  }
  for (int k = 0; k < kOrder; ++k) {
    contexts_[k].clear();
    for (const auto& [gram, count] : counts_[k]) {
      Context& c = contexts_[k][gram / kSymbols];
      c.total += count;
      ++c.distinct;
    }
  }
  // The probability of symbol s after the context `ctx` of `order` symbols,
  // interpolated from the shorter contexts up, as a Witten-Bell chain does.
  auto chain = [&](std::uint32_t ctx, int order, unsigned s) {
    double p = 1.0 / kPredicted;
    std::uint32_t modulus = 1;
    for (int k = 0; k <= order; ++k, modulus *= kSymbols) {
      const Context& c = contexts_[k].at(ctx % modulus);
      auto g = counts_[k].find((ctx % modulus) * kSymbols + s);
      const double seen = g == counts_[k].end() ? 0.0 : static_cast<double>(g->second);
      const auto n = static_cast<double>(c.total);
      const double lambda = n / (n + c.distinct);
      p = lambda * seen / n + (1 - lambda) * p;
    }
    return p;
  };
  constexpr std::uint32_t kHistories = kSymbols * kSymbols * kSymbols;
  row_of_history_.assign(kHistories, 0);
  probability_.clear();
  if (contexts_[0].empty()) return;
  // Rows by (order, context), made as histories first need them.
  std::unordered_map<std::uint64_t, std::uint32_t> rows;
  for (std::uint32_t h = 0; h < kHistories; ++h) {
    int order = 0;
    std::uint32_t modulus = kSymbols;
    while (order + 1 < kOrder && contexts_[order + 1].contains(h % modulus)) {
      ++order;
      modulus *= kSymbols;
    }
    const std::uint32_t ctx = h % (modulus / kSymbols);
    const std::uint64_t key = (std::uint64_t{static_cast<std::uint32_t>(order)} << 32) | ctx;
    auto [it, fresh] = rows.try_emplace(key, static_cast<std::uint32_t>(probability_.size() / kSymbols));
    if (fresh) {
      for (unsigned s = 0; s < kSymbols; ++s) probability_.push_back(chain(ctx, order, s));
    }
    row_of_history_[h] = it->second;
  }
  // Only the 4-grams are kept besides (the model file's content).
  for (int k = 0; k < kOrder; ++k) {
    std::unordered_map<std::uint32_t, Context>().swap(contexts_[k]);
    if (k < kOrder - 1) std::unordered_map<std::uint32_t, std::uint64_t>().swap(counts_[k]);
  }
}

DgaModel DgaModel::train(const std::vector<std::string>& labels) {
  DgaModel m;
  for (const auto& label : labels) {
    std::uint32_t history = 0;  // the last three symbols, '^'-padded
    auto push = [&](unsigned s) {
      const std::uint32_t gram = history * kSymbols + s;
      m.add(gram, 1);
      history = gram % (kSymbols * kSymbols * kSymbols);
    };
    for (char c : label) push(symbol(c));
    push(38);
  }
  m.finish();
  return m;
}

double DgaModel::surprise(std::string_view label) const {
  if (empty()) return 0;
  // The random string the label is compared with: uniform letters, or
  // uniform letters and digits when it has a digit.
  const bool digit = std::any_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
  const double uniform = digit ? 36.0 : 26.0;
  double bits = 0;
  std::uint32_t history = 0;
  auto step = [&](unsigned s) {
    const double p = probability_[std::size_t{row_of_history_[history]} * kSymbols + s];
    if (s != 38) bits -= std::log2(p * uniform);  // the end of the label shapes the context only
    history = (history * kSymbols + s) % (kSymbols * kSymbols * kSymbols);
  };
  for (char c : label) step(symbol(c));
  return bits;
}

LexicalScore DgaModel::score(std::string_view label) const {
  LexicalScore r;
  // Internationalised labels (xn--) are Punycode: random-looking by
  // construction, and not what DGA families register.
  if (label.empty() || starts_with_xn(label)) return r;
  r.surprise = surprise(label);
  r.has_digit = std::any_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
  r.high = r.surprise > (r.has_digit ? thresholds_.alnum_high : thresholds_.alpha_high);
  r.low = r.surprise > (r.has_digit ? thresholds_.alnum_low : thresholds_.alpha_low);
  return r;
}

void DgaModel::calibrate(const std::vector<std::string>& held_out, double high_fp, double low_fp) {
  std::vector<double> alpha, alnum;
  for (const auto& label : held_out) {
    if (label.empty() || starts_with_xn(label)) continue;
    const bool digit = std::any_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
    (digit ? alnum : alpha).push_back(surprise(label));
  }
  auto quantile = [](std::vector<double>& v, double fp) {
    if (v.empty()) return 1e9;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(std::floor(static_cast<double>(v.size()) * (1.0 - fp)));
    return v[std::min(i, v.size() - 1)];
  };
  thresholds_.alpha_high = quantile(alpha, high_fp);
  thresholds_.alnum_high = quantile(alnum, high_fp);
  thresholds_.alpha_low = quantile(alpha, low_fp);
  thresholds_.alnum_low = quantile(alnum, low_fp);
}

std::string DgaModel::serialize() const {
  std::string out(kMagic);
  char line[160];
  std::snprintf(line, sizeof line, "\nthreshold %.6f %.6f %.6f %.6f\n", thresholds_.alpha_high,
                thresholds_.alnum_high, thresholds_.alpha_low, thresholds_.alnum_low);
  out += line;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> grams(counts_[kOrder - 1].begin(),
                                                             counts_[kOrder - 1].end());
  std::sort(grams.begin(), grams.end());
  for (const auto& [gram, count] : grams) {
    char text[kOrder + 1];
    std::uint32_t g = gram;
    for (int i = kOrder - 1; i >= 0; --i, g /= kSymbols) text[i] = symbol_char(g % kSymbols);
    text[kOrder] = '\0';
    std::snprintf(line, sizeof line, "%s %llu\n", text, static_cast<unsigned long long>(count));
    out += line;
  }
  return out;
}

std::optional<DgaModel> DgaModel::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::size_t line, const std::string& what) -> std::optional<DgaModel> {
    if (error != nullptr) *error = "line " + std::to_string(line) + ": " + what;
    return std::nullopt;
  };
  DgaModel m;
  std::size_t line_no = 0;
  bool have_thresholds = false;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (line_no == 1) {
      if (line != kMagic) return fail(1, "not a Vigil DGA model (expected \"" + std::string(kMagic) + "\")");
      continue;
    }
    if (line.empty()) continue;
    std::istringstream in{std::string(line)};
    std::string first;
    in >> first;
    if (first == "threshold") {
      Thresholds t;
      // Bits; 1e9 is "never" (an uncalibrated model's).
      auto sane = [](double v) { return std::isfinite(v) && std::fabs(v) <= 1e9; };
      if (!(in >> t.alpha_high >> t.alnum_high >> t.alpha_low >> t.alnum_low) || !sane(t.alpha_high) ||
          !sane(t.alnum_high) || !sane(t.alpha_low) || !sane(t.alnum_low))
        return fail(line_no, "threshold: expected four numbers of bits (at most 1e9 each)");
      m.thresholds_ = t;
      have_thresholds = true;
      continue;
    }
    if (first.size() != kOrder)
      return fail(line_no, "expected a 4-gram of 4 characters, got \"" + first + "\"");
    std::uint32_t gram = 0;
    for (char c : first) {
      unsigned s = 0;
      if (c == '^')
        s = 0;
      else if (c == '$')
        s = 38;
      else if (c == '_')
        s = 39;
      else {
        s = symbol(c);
        if (s == 39) return fail(line_no, std::string("a 4-gram with the character '") + c + "'");
      }
      gram = gram * kSymbols + s;
    }
    unsigned long long count = 0;
    if (!(in >> count) || count == 0) return fail(line_no, "expected a count after the 4-gram");
    std::string rest;
    if (in >> rest) return fail(line_no, "unexpected \"" + rest + "\" after the count");
    // Bounded so that no sum over the model overflows (every context's
    // total is a sum of at most kSymbols^4 of them).
    const std::uint64_t already = m.counts_[kOrder - 1].contains(gram) ? m.counts_[kOrder - 1][gram] : 0;
    if (count > kMaxCount - already)
      return fail(line_no, "the count of \"" + first + "\" is over " + std::to_string(kMaxCount));
    m.add(gram, count);
  }
  if (line_no == 0) return fail(1, "empty file");
  if (!have_thresholds) return fail(line_no, "no threshold line");
  if (m.empty()) return fail(line_no, "no 4-grams");
  m.finish();
  return m;
}

std::optional<DgaModel> DgaModel::load(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) *error = path + ": cannot open";
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxModelBytes) {
      if (error != nullptr) *error = path + ": larger than " + std::to_string(kMaxModelBytes >> 20) + " MiB";
      return std::nullopt;
    }
  }
  std::string why;
  auto m = parse(text, &why);
  if (!m && error != nullptr) *error = path + ": " + why;
  return m;
}

}  // namespace vigil::monitor
