// intent-eval: runs the intent detectors over labelled name lists and
// prints, per file, how many names each detector flags: recall for the
// malicious lists, the false-positive rate for the benign ones.
//
//   intent-eval --model build/release/monitor/dga.model [--show-false-positives] [--mixed] FILE...
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
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
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

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The mixed replay: one engine, as one resolver sees its clients over two
// hours. 50 benign clients browse the benign lists (skewed towards the
// first names, 3 % typos answered NXDOMAIN); each DGA family is a bot that
// browses too and tries 100 of its names (NXDOMAIN) and one that resolves
// (its C2); each tunnel session is a client that browses and runs its
// session at one query a second. Prints which clients were flagged, and
// when.
void mixed_replay(const std::vector<std::string>& files, const std::shared_ptr<const DgaModel>& model,
                  const std::shared_ptr<const PublicSuffixList>& psl) {
  struct Query {
    std::int64_t t;
    std::uint32_t client;
    std::string name;
    std::uint8_t rcode;
    bool malicious;
  };
  std::mt19937 rng(11);
  std::vector<std::string> benign;
  std::map<std::string, std::vector<std::string>> dga, tunnel_sessions;
  for (const auto& f : files) {
    const std::string list = base_name(f);
    auto names = read_lines(f);
    if (list.starts_with("benign")) {
      benign.insert(benign.end(), names.begin(), names.end());
    } else if (list.starts_with("dga_")) {
      dga[list] = names;
    } else if (list.starts_with("tunnel_")) {
      std::shuffle(names.begin(), names.end(), rng);
      for (const auto& n : names) {
        const std::string reg(psl->registered_domain(lower(n)));
        if (!psl->icann_domain(lower(n)).empty()) tunnel_sessions[list + " " + reg].push_back(n);
      }
    }
  }
  if (benign.empty()) return;
  constexpr std::int64_t kHour = 3600'000'000'000;
  std::uniform_int_distribution<std::int64_t> when(0, 2 * kHour);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Query> qs;
  auto browse = [&](std::uint32_t client, int n) {
    for (int i = 0; i < n; ++i) {
      std::string name =
          benign[static_cast<std::size_t>(static_cast<double>(benign.size()) * std::pow(u(rng), 3))];
      std::uint8_t rcode = 0;
      const std::string l = lower(name);
      if (name.find('.') == std::string::npos || l.ends_with(".arpa")) rcode = 3;
      if (rcode == 0 && u(rng) < 0.03) {  // a typo: one letter of the first label changed
        const std::size_t dot = name.find('.');
        name[rng() % dot] = static_cast<char>('a' + rng() % 26);
        rcode = 3;
      }
      qs.push_back({when(rng), client, name, rcode, false});
    }
  };
  std::vector<std::pair<std::uint32_t, std::string>> bad_clients;
  for (std::uint32_t c = 0; c < 50; ++c) browse(0x0A010000 + c, 400);
  std::uint32_t next = 0x0A020000;
  for (auto& [family, names] : dga) {
    std::shuffle(names.begin(), names.end(), rng);
    browse(next, 200);
    // A bot tries its names in a burst, one every 2 to 10 seconds.
    std::int64_t t = when(rng);
    for (std::size_t i = 0; i < 101 && i < names.size(); ++i) {
      qs.push_back({t, next, names[i], static_cast<std::uint8_t>(i == 100 ? 0 : 3), true});
      t += (2 + static_cast<std::int64_t>(rng() % 9)) * 1'000'000'000;
    }
    bad_clients.emplace_back(next++, family);
  }
  for (auto& [session, names] : tunnel_sessions) {
    browse(next, 200);
    const std::int64_t start = when(rng);
    for (std::size_t i = 0; i < names.size(); ++i) {
      qs.push_back({start + static_cast<std::int64_t>(i) * 1'000'000'000, next, names[i], 0, true});
    }
    bad_clients.emplace_back(next++, session);
  }
  std::stable_sort(qs.begin(), qs.end(), [](const Query& a, const Query& b) { return a.t < b.t; });

  IntentEngine engine(IntentOptions{}, model, psl);
  std::map<std::uint32_t, std::set<std::string>> categories;  // client → categories it got
  std::map<std::uint32_t, std::set<std::string>> alerted;     // client → categories it was alerted for
  std::map<std::uint32_t, std::pair<std::size_t, std::size_t>>
      bad_seen;  // client → (malicious queries, first flagged)
  std::size_t benign_flagged_queries = 0, benign_queries = 0;
  std::vector<Verdict> verdicts;
  const std::int64_t t0 = 1'700'000'000'000'000'000;
  for (const auto& q : qs) {
    auto name = Name::from_text(q.name);
    if (!name) continue;
    const std::array<std::uint8_t, 4> client{
        static_cast<std::uint8_t>(q.client >> 24), static_cast<std::uint8_t>(q.client >> 16),
        static_cast<std::uint8_t>(q.client >> 8), static_cast<std::uint8_t>(q.client)};
    verdicts.clear();
    engine.observe({.time_ns = t0 + q.t, .client = client, .qname = &*name, .qtype = 1, .rcode = q.rcode},
                   verdicts);
    bool flagged = false;
    for (const auto& v : verdicts) {
      if (v.category == IntentCategory::kNewDomain) continue;  // still learning in a 2-hour replay
      categories[q.client].insert(vigil::monitor::intent_category_name(v.category));
      if (v.alert) alerted[q.client].insert(vigil::monitor::intent_category_name(v.category));
      flagged = true;
    }
    if (q.malicious) {
      auto& [n, first] = bad_seen[q.client];
      ++n;
      if (flagged && first == 0) first = n;
    } else {
      ++benign_queries;
      benign_flagged_queries += flagged ? 1 : 0;
    }
  }
  std::size_t benign_clients_flagged = 0, benign_clients_alerted = 0;
  std::map<std::string, std::size_t> benign_by_category;
  for (std::uint32_t c = 0; c < 50; ++c) {
    benign_clients_flagged += categories.count(0x0A010000 + c);
    benign_clients_alerted += alerted.count(0x0A010000 + c);
    for (const auto& cat : categories[0x0A010000 + c]) ++benign_by_category[cat];
  }
  std::printf("\nmixed replay: %zu queries over 2 hours, one engine\n", qs.size());
  std::printf(
      "  benign clients with a verdict: %zu of 50, with an alert: %zu of 50; browsing queries with a "
      "verdict: "
      "%zu of %zu (%.2f%%)\n",
      benign_clients_flagged, benign_clients_alerted, benign_flagged_queries, benign_queries,
      pct(benign_flagged_queries, benign_queries));
  for (const auto& [cat, n] : benign_by_category) {
    std::printf("    %zu benign clients got a %s verdict\n", n, cat.c_str());
  }
  for (const auto& [client, what] : bad_clients) {
    std::string cats;
    for (const auto& c : alerted[client]) cats += (cats.empty() ? "" : ",") + c;
    const auto& [n, first] = bad_seen[client];
    std::printf("  %-44s alerted %-26s first verdict at its malicious query %zu of %zu\n", what.c_str(),
                cats.empty() ? "NO" : cats.c_str(), first, n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path;
  bool show = false;
  bool mixed = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) {
      model_path = argv[++i];
    } else if (a == "--show-false-positives") {
      show = true;
    } else if (a == "--mixed") {
      mixed = true;
    } else if (!a.starts_with("--")) {
      files.push_back(a);
    } else {
      std::cerr << "usage: intent-eval --model FILE [--show-false-positives] [--mixed] LIST...\n";
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
  if (mixed) mixed_replay(files, model, psl);
  return 0;
}
