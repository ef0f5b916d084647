// vigil-dga-train: builds the DGA detector's character model (dga_model.h)
// from text in Debian packages, at build time.
//
//   vigil-dga-train --out dga.model --hosts FILE... --words FILE...
//
// --hosts: any text holding host names (filter lists, a crawl's JSON); every
// token that looks like one is reduced to its ICANN registered domain, and
// the label left of the suffix is a benign example. Half of the registered
// domains (by a hash of the name) train the model, the other half set its
// thresholds, so the thresholds are measured on names the model never saw.
// --words: dictionaries (one word per line), for training only.
// --calibrate: the --hosts files whose held-out domains set the thresholds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "monitor/dga_model.h"
#include "monitor/registered_domain.h"

namespace {

using vigil::monitor::DgaModel;
using vigil::monitor::PublicSuffixList;

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// Host-name-like tokens of `text`: runs of [a-z0-9.-] with a dot, ending in
// a letter (a TLD), lower-cased.
void scan_hosts(const std::string& text, std::set<std::string>& out) {
  std::string token;
  auto flush = [&] {
    while (!token.empty() && (token.front() == '.' || token.front() == '-')) token.erase(token.begin());
    while (!token.empty() && (token.back() == '.' || token.back() == '-')) token.pop_back();
    if (token.size() >= 4 && token.size() <= 253 && token.find('.') != std::string::npos &&
        token.back() >= 'a' && token.back() <= 'z' && token.find("..") == std::string::npos)
      out.insert(token);
    token.clear();
  };
  for (char raw : text) {
    const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
    if (host_char(c)) {
      token.push_back(c);
    } else {
      flush();
    }
  }
  flush();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "vigil-dga-train: cannot read " << path << "\n";
    std::exit(1);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  std::vector<std::string> hosts_files, word_files, calibration_files;
  double high_alpha = 0.002, high_alnum = 0.015, low = 0.05;
  std::vector<std::string>* list = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
      list = nullptr;
    } else if (a == "--hosts") {
      list = &hosts_files;
    } else if (a == "--words") {
      list = &word_files;
    } else if (a == "--calibrate") {
      list = &calibration_files;
    } else if ((a == "--high-fp" || a == "--high-fp-digits" || a == "--low-fp") && i + 1 < argc) {
      const double v = std::strtod(argv[++i], nullptr);
      (a == "--high-fp" ? high_alpha : a == "--low-fp" ? low : high_alnum) = v;
      list = nullptr;
    } else if (list != nullptr && !a.starts_with("--")) {
      list->push_back(a);
    } else {
      std::cerr << "usage: vigil-dga-train --out FILE --hosts FILE... [--words FILE...] [--calibrate "
                   "FILE...] [--high-fp F] "
                   "[--high-fp-digits F] [--low-fp F]\n";
      return 2;
    }
  }
  if (out.empty() || hosts_files.empty()) {
    std::cerr << "vigil-dga-train: --out and --hosts are required\n";
    return 2;
  }
  PublicSuffixList psl;
  std::set<std::string> hosts;
  for (const auto& f : hosts_files) scan_hosts(read_file(f), hosts);
  std::set<std::string> domains;
  for (const auto& h : hosts) {
    auto d = psl.icann_domain(h);
    if (!d.empty()) domains.emplace(d);
  }
  // The thresholds are set on the held-out half of the --calibrate files'
  // domains (of all --hosts files when none is given): a population like
  // clients' traffic, where the filter lists' ad and tracker domains are
  // more random-looking than what people visit.
  std::set<std::string> calibration;
  if (!calibration_files.empty()) {
    std::set<std::string> calibration_hosts;
    for (const auto& f : calibration_files) scan_hosts(read_file(f), calibration_hosts);
    for (const auto& h : calibration_hosts) {
      auto d = psl.icann_domain(h);
      if (!d.empty()) calibration.emplace(d);
    }
  }
  std::vector<std::string> train, held_out;
  for (const auto& d : domains) {
    const std::string label = d.substr(0, d.find('.'));
    if ((fnv1a(d) & 1) == 0) {
      train.push_back(label);
    } else if (calibration_files.empty() || calibration.count(d) != 0) {
      held_out.push_back(label);
    }
  }
  const std::size_t domain_labels = train.size();
  for (const auto& f : word_files) {
    std::ifstream in(f);
    if (!in) {
      std::cerr << "vigil-dga-train: cannot read " << f << "\n";
      return 1;
    }
    for (std::string w; std::getline(in, w);) {
      bool plain = !w.empty();
      for (char& c : w) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c < 'a' || c > 'z') plain = false;
      }
      if (plain) train.push_back(w);
    }
  }
  DgaModel model = DgaModel::train(train);
  model.calibrate(held_out, high_alpha, low);
  // The labels with digits get a threshold of their own.
  DgaModel::Thresholds t = model.thresholds();
  DgaModel digits = model;
  digits.calibrate(held_out, high_alnum, low);
  t.alnum_high = digits.thresholds().alnum_high;
  model.set_thresholds(t);
  std::ofstream o(out, std::ios::binary | std::ios::trunc);
  o << model.serialize();
  if (!o.flush()) {
    std::cerr << "vigil-dga-train: cannot write " << out << "\n";
    return 1;
  }
  std::printf(
      "vigil-dga-train: %zu host names, %zu registered domains (%zu trained on, %zu held out), %zu words; "
      "%zu 4-grams; thresholds %.1f/%.1f bits (high), %.1f/%.1f (low)\n",
      hosts.size(), domains.size(), domain_labels, held_out.size(), train.size() - domain_labels,
      model.grams(), t.alpha_high, t.alnum_high, t.alpha_low, t.alnum_low);
  return 0;
}
