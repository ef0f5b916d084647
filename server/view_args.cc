#include "server/view_args.h"

#include <algorithm>

#include "config/load.h"
#include "monitor/recent_activity.h"

namespace vigil::server {

std::vector<std::string> view_request(const std::string& cmd, const std::string& positional,
                                      std::optional<std::size_t> n, const std::string& since) {
  std::vector<std::string> out{cmd};
  if (!positional.empty()) out.push_back(positional);
  if (n) out.push_back("n=" + std::to_string(*n));
  if (!since.empty()) out.push_back("since=" + since);
  return out;
}

std::variant<ViewArgs, std::string> parse_view_args(const std::vector<std::string>& args) {
  if (args.empty()) return std::string("no command");
  ViewArgs v;
  v.cmd = args[0];
  std::size_t at = 1;
  if (v.cmd == "client" || v.cmd == "who-resolved") {
    if (args.size() < 2 || args[1].find('=') != std::string::npos) {
      return "usage: " + v.cmd + " IP [--since DURATION]";
    }
    auto ip = monitor::parse_ip(args[1]);
    if (!ip) return "\"" + args[1] + "\" is not an IPv4 or IPv6 address";
    v.ip = std::move(*ip);
    at = 2;
  } else if (v.cmd == "top") {
    static const char* kKinds[] = {"domains", "clients", "nxdomain", "blocked"};
    if (args.size() < 2 ||
        std::none_of(std::begin(kKinds), std::end(kKinds), [&](const char* k) { return args[1] == k; })) {
      return std::string("usage: top domains|clients|nxdomain|blocked [-n N] [--since DURATION]");
    }
    v.kind = args[1];
    at = 2;
  } else if (v.cmd != "alerts") {
    return "\"" + v.cmd + "\" is not a view (alerts, client, who-resolved, top)";
  }
  for (; at < args.size(); ++at) {
    const std::string& a = args[at];
    if (v.cmd == "top" && a.starts_with("n=")) {
      const std::string num = a.substr(2);
      if (num.empty() || num.size() > 6 ||
          !std::all_of(num.begin(), num.end(), [](unsigned char c) { return c >= '0' && c <= '9'; })) {
        return "-n: expected a number from 1 to " + std::to_string(kMaxTopN) + ", got \"" + num + "\"";
      }
      v.n = std::stoul(num);
      if (v.n < 1 || v.n > kMaxTopN) {
        return "-n: expected a number from 1 to " + std::to_string(kMaxTopN) + ", got \"" + num + "\"";
      }
    } else if (a.starts_with("since=")) {
      const std::string d = a.substr(6);
      v.since = config::parse_duration(d);
      if (!v.since) return "--since: expected a duration such as 90s, 10m, 1h or 2d, got \"" + d + "\"";
    } else {
      return "unexpected argument \"" + a + "\" (options: " + std::string(v.cmd == "top" ? "-n N, " : "") +
             "--since DURATION)";
    }
  }
  return v;
}

}  // namespace vigil::server
