// paced-latency: DNS latency under a fixed, open-loop query rate.
//
//   paced-latency -s SERVER [-p PORT] -d FILE -r RATE -l SECONDS [-S SOCKETS]
//                 [-a ADDR[,ADDR...]] [-t TIMEOUT_MS]
//
// Sends the queries of FILE ("NAME TYPE" a line, as dnsperf reads them,
// cycled) over UDP at RATE queries per second for SECONDS, round-robin over
// SOCKETS sockets (default 64, each its own source port; with -a, socket K is
// bound to address K mod the number given, to look like several clients).
// Every query has a random ID, RD set and EDNS (1232 octets). Query I is due
// at t0 + I / RATE whether or not earlier ones were answered (open loop: a
// slow server gets the same load, not less); the sender sleeps to each due
// time on CLOCK_MONOTONIC and, when it wakes late, sends at once, so the
// schedule never drifts. A reply counts when its socket, ID and question
// match a query still waiting; one not answered within TIMEOUT_MS (default
// 1000) is lost, also when its answer comes later.
//
// Prints one "key value" per line: sent, answered, lost, late (answers after
// the timeout, counted in lost), send_errors, the rcodes, p50_us, p90_us,
// p99_us, p99.9_us, max_us (answered queries; nearest rank), and how far the
// sender fell behind its schedule: max_lag_us, sends_late_1ms (sent more
// than 1 ms after their due time), end_lag_us (the last send's), and "behind
// yes" when the last send was over 1 ms late or more than 1 % of them were.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

namespace {

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

void sleep_until_ns(std::uint64_t t) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(t / 1'000'000'000u);
  ts.tv_nsec = static_cast<long>(t % 1'000'000'000u);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "paced-latency: %s\n", what.c_str());
  std::exit(2);
}

std::uint16_t type_code(const std::string& t) {
  static const std::map<std::string, std::uint16_t> kTypes = {
      {"A", 1},    {"NS", 2},    {"CNAME", 5}, {"SOA", 6}, {"PTR", 12},  {"MX", 15},
      {"TXT", 16}, {"AAAA", 28}, {"SRV", 33},  {"DS", 43}, {"CAA", 257}, {"ANY", 255}};
  auto it = kTypes.find(t);
  if (it != kTypes.end()) return it->second;
  if (t.rfind("TYPE", 0) == 0) return static_cast<std::uint16_t>(std::stoul(t.substr(4)));
  die("unknown query type " + t);
}

// A query's question in wire form (QNAME, QTYPE, QCLASS), names lowercased.
std::vector<std::uint8_t> question_wire(const std::string& name, const std::string& type) {
  std::vector<std::uint8_t> q;
  std::string n = name;
  if (!n.empty() && n.back() == '.') n.pop_back();
  std::size_t start = 0;
  while (start < n.size()) {
    std::size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    std::size_t len = dot - start;
    if (len == 0 || len > 63) die("bad name " + name);
    q.push_back(static_cast<std::uint8_t>(len));
    for (std::size_t i = start; i < dot; ++i) {
      q.push_back(static_cast<std::uint8_t>(std::tolower(static_cast<unsigned char>(n[i]))));
    }
    start = dot + 1;
  }
  q.push_back(0);
  std::uint16_t code = type_code(type);
  q.push_back(static_cast<std::uint8_t>(code >> 8));
  q.push_back(static_cast<std::uint8_t>(code & 0xff));
  q.push_back(0);
  q.push_back(1);  // IN
  return q;
}

// The question of a reply, lowercased; empty if the reply is malformed.
std::vector<std::uint8_t> reply_question(const std::uint8_t* p, std::size_t len) {
  std::vector<std::uint8_t> q;
  std::size_t i = 12;
  if (len < 12 || p[4] != 0 || p[5] != 1) return q;
  while (i < len && p[i] != 0) {
    std::size_t l = p[i];
    if (l > 63 || i + 1 + l > len) return {};
    q.push_back(p[i]);
    for (std::size_t k = i + 1; k <= i + l; ++k) {
      q.push_back(static_cast<std::uint8_t>(std::tolower(p[k])));
    }
    i += 1 + l;
  }
  if (i + 5 > len) return {};
  q.insert(q.end(), p + i, p + i + 5);  // root label, QTYPE, QCLASS
  return q;
}

struct Pending {
  std::uint64_t sent_ns = 0;  // 0: free
  std::uint32_t query = 0;    // index into the query list
};

struct Socket {
  int fd = -1;
  std::mutex mu;
  std::vector<Pending> slots = std::vector<Pending>(65536);  // by query ID
};

struct Options {
  std::string server;
  std::uint16_t port = 53;
  std::string file;
  double rate = 0;
  double seconds = 0;
  std::size_t sockets = 64;
  std::vector<std::string> sources;
  std::uint64_t timeout_ns = 1'000'000'000u;
};

Options parse(int argc, char** argv) {
  Options o;
  int c = 0;
  while ((c = getopt(argc, argv, "s:p:d:r:l:S:a:t:h")) != -1) {
    switch (c) {
      case 's': o.server = optarg; break;
      case 'p': o.port = static_cast<std::uint16_t>(std::stoul(optarg)); break;
      case 'd': o.file = optarg; break;
      case 'r': o.rate = std::stod(optarg); break;
      case 'l': o.seconds = std::stod(optarg); break;
      case 'S': o.sockets = std::stoul(optarg); break;
      case 'a': {
        std::stringstream ss(optarg);
        std::string a;
        while (std::getline(ss, a, ',')) o.sources.push_back(a);
        break;
      }
      case 't': o.timeout_ns = std::stoull(optarg) * 1'000'000u; break;
      default:
        std::fprintf(stderr,
                     "usage: paced-latency -s SERVER [-p PORT] -d FILE -r RATE -l SECONDS [-S SOCKETS]\n"
                     "                     [-a ADDR[,ADDR...]] [-t TIMEOUT_MS]\n");
        std::exit(2);
    }
  }
  if (o.server.empty() || o.file.empty() || o.rate <= 0 || o.seconds <= 0 || o.sockets == 0) {
    die("need -s SERVER -d FILE -r RATE -l SECONDS (see the top of paced_latency.cc)");
  }
  return o;
}

sockaddr_in address(const std::string& text, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, text.c_str(), &sa.sin_addr) != 1) die("not an IPv4 address: " + text);
  return sa;
}

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);

  // The queries: the question (to match replies) and the whole message
  // (header with ID 0, question, OPT) to send.
  std::vector<std::vector<std::uint8_t>> questions;
  std::vector<std::vector<std::uint8_t>> messages;
  {
    std::ifstream in(opt.file);
    if (!in) die("cannot read " + opt.file);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string name, type;
      if (!(ls >> name) || name[0] == '#') continue;
      if (!(ls >> type)) type = "A";
      questions.push_back(question_wire(name, type));
      std::vector<std::uint8_t> m = {0, 0, 0x01, 0x00, 0, 1,
                                     0, 0, 0,    0,    0, 1};  // RD, 1 question, 1 additional
      m.insert(m.end(), questions.back().begin(), questions.back().end());
      const std::uint8_t opt_rr[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};  // OPT, 1232 octets
      m.insert(m.end(), std::begin(opt_rr), std::end(opt_rr));
      messages.push_back(std::move(m));
    }
  }
  if (messages.empty()) die(opt.file + " holds no queries");

  const sockaddr_in server = address(opt.server, opt.port);
  std::vector<Socket> socks(opt.sockets);
  const int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1: " + std::string(std::strerror(errno)));
  for (std::size_t k = 0; k < socks.size(); ++k) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("socket: " + std::string(std::strerror(errno)));
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (!opt.sources.empty()) {
      sockaddr_in src = address(opt.sources[k % opt.sources.size()], 0);
      if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
        die("bind " + opt.sources[k % opt.sources.size()] + ": " + std::strerror(errno));
      }
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
      die("connect: " + std::string(std::strerror(errno)));
    }
    socks[k].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl: " + std::string(std::strerror(errno)));
  }

  // Receiver: matches replies to the queries waiting on their socket.
  std::atomic<bool> stop{false};
  std::vector<std::uint64_t> latencies;  // ns, of answers within the timeout
  std::uint64_t late = 0;
  std::uint64_t unmatched = 0;
  std::map<int, std::uint64_t> rcodes;
  std::thread receiver([&] {
    std::uint8_t buf[65536];
    epoll_event events[64];
    while (!stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep, events, 64, 50);
      for (int e = 0; e < n; ++e) {
        Socket& s = socks[events[e].data.u64];
        for (;;) {
          ssize_t got = recv(s.fd, buf, sizeof buf, 0);
          if (got < 0) break;  // EAGAIN, or an ICMP error (ECONNREFUSED): nothing to match
          const std::uint64_t t = now_ns();
          const auto len = static_cast<std::size_t>(got);
          if (len < 12 || (buf[2] & 0x80) == 0) {
            ++unmatched;
            continue;
          }
          const std::size_t id = static_cast<std::size_t>(buf[0]) << 8 | buf[1];
          const std::vector<std::uint8_t> q = reply_question(buf, len);
          std::uint64_t sent = 0;
          {
            std::lock_guard<std::mutex> lock(s.mu);
            Pending& p = s.slots[id];
            if (p.sent_ns != 0 && q == questions[p.query]) {
              sent = p.sent_ns;
              p.sent_ns = 0;
            }
          }
          if (sent == 0) {
            ++unmatched;
          } else if (t - sent > opt.timeout_ns) {
            ++late;
          } else {
            latencies.push_back(t - sent);
            ++rcodes[buf[3] & 0x0f];
          }
        }
      }
    }
  });

  // Sender: query I at t0 + I / RATE, on socket I mod SOCKETS.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // wake within a microsecond, not the default 50
  std::mt19937_64 rng(std::random_device{}());
  const auto total = static_cast<std::uint64_t>(opt.rate * opt.seconds);
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t id_busy = 0;
  std::uint64_t max_lag = 0;
  std::uint64_t late_1ms = 0;
  std::uint64_t end_lag = 0;
  const std::uint64_t t0 = now_ns() + 10'000'000u;  // 10 ms to settle
  std::vector<std::uint8_t> msg;
  for (std::uint64_t i = 0; i < total; ++i) {
    const std::uint64_t due =
        t0 + static_cast<std::uint64_t>(static_cast<double>(i) * 1e9 / opt.rate);  // no accumulated error
    std::uint64_t now = now_ns();
    if (now < due) {
      sleep_until_ns(due);
      now = now_ns();
    }
    const std::uint64_t lag = now - due;
    max_lag = std::max(max_lag, lag);
    end_lag = lag;
    if (lag > 1'000'000u) ++late_1ms;
    Socket& s = socks[i % socks.size()];
    const auto qi = static_cast<std::uint32_t>(i % messages.size());
    msg = messages[qi];
    std::size_t id = 0;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      // A random ID no query on this socket waits for (one waiting longer
      // than the timeout is lost already: its slot may be reused).
      for (int tries = 0;; ++tries) {
        id = rng() & 0xffff;
        const Pending& p = s.slots[id];
        if (p.sent_ns == 0 || now_ns() - p.sent_ns > opt.timeout_ns) break;
        if (tries == 0) ++id_busy;
      }
      s.slots[id] = Pending{now_ns(), qi};
    }
    msg[0] = static_cast<std::uint8_t>(id >> 8);
    msg[1] = static_cast<std::uint8_t>(id & 0xff);
    if (send(s.fd, msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size())) {
      ++send_errors;
      std::lock_guard<std::mutex> lock(s.mu);
      s.slots[id].sent_ns = 0;
      continue;
    }
    ++sent;
  }
  const std::uint64_t t_end = now_ns();
  // Wait for the last answers, at most the timeout.
  sleep_until_ns(t_end + opt.timeout_ns);
  stop.store(true);
  receiver.join();

  std::sort(latencies.begin(), latencies.end());
  auto rank = [&](double q) -> std::uint64_t {
    if (latencies.empty()) return 0;
    auto r = static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies.size())));
    return latencies[std::clamp<std::size_t>(r, 1, latencies.size()) - 1];
  };
  const std::uint64_t answered = latencies.size();
  std::printf("target_qps %.0f\n", opt.rate);
  std::printf("seconds %.3f\n", static_cast<double>(t_end - t0) / 1e9);
  std::printf("sockets %zu\n", socks.size());
  std::printf("sent %llu\n", static_cast<unsigned long long>(sent));
  std::printf("answered %llu\n", static_cast<unsigned long long>(answered));
  std::printf("lost %llu\n", static_cast<unsigned long long>(sent - answered));
  std::printf("late %llu\n", static_cast<unsigned long long>(late));
  std::printf("unmatched %llu\n", static_cast<unsigned long long>(unmatched));
  std::printf("send_errors %llu\n", static_cast<unsigned long long>(send_errors));
  std::printf("id_busy %llu\n", static_cast<unsigned long long>(id_busy));
  static const char* const kRcodes[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  for (const auto& [code, count] : rcodes) {
    if (code >= 0 && code < 6) {
      std::printf("rcode_%s %llu\n", kRcodes[code], static_cast<unsigned long long>(count));
    } else {
      std::printf("rcode_%d %llu\n", code, static_cast<unsigned long long>(count));
    }
  }
  std::printf("p50_us %.1f\n", us(rank(0.50)));
  std::printf("p90_us %.1f\n", us(rank(0.90)));
  std::printf("p99_us %.1f\n", us(rank(0.99)));
  std::printf("p99.9_us %.1f\n", us(rank(0.999)));
  std::printf("max_us %.1f\n", us(latencies.empty() ? 0 : latencies.back()));
  std::printf("max_lag_us %.1f\n", us(max_lag));
  std::printf("sends_late_1ms %llu\n", static_cast<unsigned long long>(late_1ms));
  std::printf("end_lag_us %.1f\n", us(end_lag));
  // Behind: the last send over 1 ms late, or more than 1 % of them were.
  std::printf("behind %s\n", end_lag > 1'000'000u || late_1ms * 100 > total ? "yes" : "no");
  return 0;
}
