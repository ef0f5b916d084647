// intent-eval: runs the intent detectors over labelled name lists and
// prints, per file, how many names each detector flags: recall for the
// malicious lists, the false-positive rate for the benign ones.
//
//   intent-eval --model build/release/monitor/dga.model [--show-false-positives] FILE...
//
// A file's label comes from its name: benign_* is benign, dga_<family> and
// tunnel_<tool> malicious (../shared/intent-dev/ follows this).
//
// Two passes per file:
//  - lexical: each name's registered domain scored by the DGA model alone;
//  - replay: the names as a query stream through the whole IntentEngine, one
//    query every 100 ms, each client a fresh engine state:
//      benign_*   one client asks every name and gets NOERROR (single-label
//                 names and reverse lookups NXDOMAIN, as they mostly do) —
//                 one client for a whole list is the worst case for the
//                 behavioural detectors
//      dga_*      one bot asks every name, in a fixed shuffled order, and
//                 gets NXDOMAIN
//      tunnel_*   one client per session (the names under one registered
//                 domain), in a fixed shuffled order, NOERROR; type A for
//                 all, so the record type helps nothing
//    A name counts as flagged when its query got a verdict of the file's
//    category (any category for benign files: every verdict there is a
//    false positive). For tunnels the worst session's first flagged query
//    is printed too.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "monitor/dga_model.h"
#include "monitor/intent.h"
#include "monitor/registered_domain.h"
#include "protocol/name.h"

namespace {

using vigil::dns::Name;
using vigil::monitor::DgaModel;
using vigil::monitor::IntentCategory;
using vigil::monitor::IntentEngine;
using vigil::monitor::IntentOptions;
using vigil::monitor::Observation;
using vigil::monitor::PublicSuffixList;
using vigil::monitor::Verdict;

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

double pct(std::size_t n, std::size_t of) {
  return of == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(of);
}

struct Replay {
  std::size_t names = 0, flagged = 0;
  std::array<std::size_t, vigil::monitor::kIntentCategoryCount> by_category{};
  std::size_t sessions = 0;
  std::size_t worst_first = 0;  // the latest first flagged query of any session (1-based), 0: none flagged
  std::size_t unflagged_sessions = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string model_path;
  bool show = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) {
      model_path = argv[++i];
    } else if (a == "--show-false-positives") {
      show = true;
    } else if (!a.starts_with("--")) {
      files.push_back(a);
    } else {
      std::cerr << "usage: intent-eval --model FILE [--show-false-positives] LIST...\n";
      return 2;
    }
  }
  std::string error;
  auto loaded = DgaModel::load(model_path, &error);
  if (!loaded) {
    std::cerr << "intent-eval: " << error << "\n";
    return 1;
  }
  auto model = std::make_shared<const DgaModel>(std::move(*loaded));
  auto psl = std::make_shared<const PublicSuffixList>();

  std::printf("%-22s %6s | lexical: %7s %8s %8s | replay: %8s %7s %7s %7s | %s\n", "list", "names", "scored",
              "dga-high", "dga-low", "flagged", "dga", "tunnel", "storm", "sessions (worst first flag)");
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) {
      std::cerr << "intent-eval: cannot read " << f << "\n";
      return 1;
    }
    const std::string list = base_name(f);
    const bool benign = list.starts_with("benign");
    const bool tunnel = list.starts_with("tunnel");
    const IntentCategory category = tunnel ? IntentCategory::kTunnel : IntentCategory::kDga;

    std::vector<std::string> names;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) names.push_back(line);
    }

    // Lexical alone.
    std::size_t scored = 0, high = 0, low = 0;
    for (const auto& n : names) {
      const std::string l = lower(n);
      const auto domain = psl->icann_domain(l);
      if (domain.empty() || domain.ends_with(".arpa")) continue;
      ++scored;
      const auto s = model->score(domain.substr(0, domain.find('.')));
      high += s.high ? 1 : 0;
      low += s.low ? 1 : 0;
    }

    // Replay, per session.
    std::map<std::string, std::vector<std::string>> sessions;
    for (const auto& n : names) {
      std::string key = "all";
      if (tunnel) key = std::string(psl->registered_domain(lower(n)));
      sessions[key].push_back(n);
    }
    Replay r;
    std::mt19937 rng(9);
    std::vector<Verdict> verdicts;
    for (auto& [key, session] : sessions) {
      if (!benign) std::shuffle(session.begin(), session.end(), rng);
      IntentEngine engine(IntentOptions{}, model, psl);
      const std::array<std::uint8_t, 4> client{10, 0, 0, static_cast<std::uint8_t>(r.sessions + 1)};
      ++r.sessions;
      std::size_t first = 0;
      std::int64_t t = 1'700'000'000'000'000'000;
      for (std::size_t i = 0; i < session.size(); ++i) {
        auto name = Name::from_text(session[i]);
        ++r.names;
        if (!name) continue;
        const std::string l = lower(session[i]);
        std::uint8_t rcode = 0;
        if (!benign && !tunnel) rcode = 3;
        if (benign && (name->label_count() == 1 || l.ends_with(".arpa") || l.ends_with(".arpa."))) rcode = 3;
        verdicts.clear();
        engine.observe({.time_ns = t, .client = client, .qname = &*name, .qtype = 1, .rcode = rcode},
                       verdicts);
        t += 100'000'000;
        bool hit = false;
        for (const auto& v : verdicts) {
          ++r.by_category[static_cast<std::size_t>(v.category)];
          if (benign || v.category == category) hit = true;
          if (benign && show) {
            std::fprintf(stderr, "%s: %s %s {%s}\n", list.c_str(), session[i].c_str(),
                         vigil::monitor::intent_category_name(v.category), v.evidence.c_str());
          }
        }
        if (hit) {
          ++r.flagged;
          if (first == 0) first = i + 1;
        }
      }
      if (first == 0) {
        ++r.unflagged_sessions;
      } else {
        r.worst_first = std::max(r.worst_first, first);
      }
    }
    std::printf(
        "%-22s %6zu |          %6.1f%% %7.2f%% %7.2f%% |         %7.2f%% %6.2f%% %6.2f%% %6.2f%% | %zu "
        "(%zu)%s\n",
        list.c_str(), names.size(), pct(scored, names.size()), pct(high, names.size()),
        pct(low, names.size()), pct(r.flagged, r.names), pct(r.by_category[0], r.names),
        pct(r.by_category[1], r.names), pct(r.by_category[2], r.names), r.sessions, r.worst_first,
        r.unflagged_sessions > 0 ? " some never flagged" : "");
  }
  return 0;
}
