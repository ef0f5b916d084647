#include "server/policy_loader.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace vigil::server {

std::optional<FileStamp> stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStamp s;
  s.device = st.st_dev;
  s.inode = st.st_ino;
  s.mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.size = static_cast<std::uint64_t>(st.st_size);
  return s;
}

std::string PolicyLoader::resolve_path(const std::string& file, const std::string& config_file) {
  if (file.empty() || file.front() == '/' || config_file.empty()) return file;
  const auto slash = config_file.rfind('/');
  if (slash == std::string::npos) return file;
  return config_file.substr(0, slash + 1) + file;
}

namespace {

// The file's text into `text`, or why it cannot be had.
std::string read_feed(const std::string& path, std::uint64_t max_size, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("cannot open ") + path + ": " + std::strerror(errno);
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size < 0) return "cannot read " + path;
  if (static_cast<std::uint64_t>(size) > max_size) {
    return path + " is " + std::to_string(static_cast<std::uint64_t>(size)) +
           " octets, over its max_size of " + std::to_string(max_size);
  }
  in.seekg(0);
  text.assign(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), size)) return "cannot read " + path;
  return "";
}

}  // namespace

dns::Expected<PolicyLoader::Next, config::ConfigError> PolicyLoader::load(const config::PolicyConfig& cfg,
                                                                          const std::string& config_file,
                                                                          bool force) {
  Next next;
  std::map<std::string, FeedStatus> previous;
  {
    std::lock_guard lock(mutex_);
    previous = feeds_;
  }
  const std::string cfg_name = config_file.empty() ? "<config>" : config_file;
  std::vector<policy::PolicySource> sources;
  for (const auto& fc : cfg.feeds) {
    FeedStatus st;
    st.config = fc;
    st.path = resolve_path(fc.file, config_file);
    auto prev = previous.find(fc.name);
    const bool had = prev != previous.end() && prev->second.feed && prev->second.config == fc &&
                     prev->second.path == st.path;
    if (had) st = prev->second;
    const auto stamp = stamp_of(st.path);
    const bool fresh = !had || force || !stamp || !(*stamp == st.seen);
    // A feed kept by a primary has no file until its first transfer: it
    // starts empty (as a BIND secondary zone does).
    const bool awaiting_transfer = fc.primary && !stamp;
    if (fresh && awaiting_transfer) {
      if (!had)
        next.loaded.push_back(fc.name + ": empty until the first transfer from " + fc.primary->to_string());
    } else if (fresh) {
      std::string why;
      std::size_t line = 0;
      std::shared_ptr<const policy::PolicyFeed> feed;
      std::string text;
      why = read_feed(st.path, fc.max_size, text);
      if (why.empty()) {
        policy::FeedOptions o;
        o.format = fc.format;
        o.list_action = fc.action;
        o.max_rules = fc.max_rules;
        if (!fc.zone.empty()) o.zone = *dns::Name::from_text(fc.zone);
        auto parsed = policy::PolicyFeed::parse(text, o);
        if (parsed.ok()) {
          feed = *parsed;
        } else {
          why = parsed.error().message;
          line = parsed.error().line;
        }
      }
      if (stamp) st.seen = *stamp;
      if (feed) {
        st.feed = feed;
        st.loaded = st.seen;
        st.loaded_at = std::time(nullptr);
        st.error.clear();
        next.loaded.push_back(
            fc.name + ": " + std::to_string(feed->name_triggers()) + " names, " +
            std::to_string(feed->address_triggers()) + " addresses" +
            (fc.format == policy::FeedFormat::kRpz ? ", serial " + std::to_string(feed->serial())
                                                   : std::string()) +
            (feed->skipped() > 0 ? ", " + std::to_string(feed->skipped()) +
                                       " unsupported triggers skipped (nsdname, nsip, client-ip)"
                                 : std::string()));
      } else {
        const std::string where = line > 0 ? st.path + ":" + std::to_string(line) : st.path;
        if (!had) {
          return config::ConfigError{cfg_name, fc.line, 0,
                                     "policy feed \"" + fc.name + "\": " + where + ": " + why};
        }
        ++st.failures;
        st.error = where + ": " + why;
        next.warnings.push_back("policy feed \"" + fc.name + "\": " + st.error +
                                "; keeping the version loaded before");
      }
    }
    sources.push_back({fc.name, fc.mode, st.feed, &counters(fc.name)});
    next.feeds[fc.name] = std::move(st);
  }
  next.set = std::make_shared<const policy::PolicySet>(std::move(sources), cfg.max_ttl, cfg.add_soa);
  return next;
}

void PolicyLoader::commit(Next next) {
  std::lock_guard lock(mutex_);
  feeds_ = std::move(next.feeds);
}

bool PolicyLoader::changed(const config::PolicyConfig& cfg, const std::string& config_file) const {
  std::lock_guard lock(mutex_);
  for (const auto& fc : cfg.feeds) {
    auto it = feeds_.find(fc.name);
    if (it == feeds_.end()) return true;
    const auto stamp = stamp_of(resolve_path(fc.file, config_file));
    if (stamp && !(*stamp == it->second.seen)) return true;
  }
  return false;
}

std::vector<FeedStatus> PolicyLoader::status() const {
  std::lock_guard lock(mutex_);
  std::vector<FeedStatus> out;
  for (const auto& [name, st] : feeds_) out.push_back(st);
  return out;
}

policy::PolicyCounters& PolicyLoader::counters(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<policy::PolicyCounters>();
  return *slot;
}

std::vector<std::pair<std::string, const policy::PolicyCounters*>> PolicyLoader::all_counters() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, const policy::PolicyCounters*>> out;
  for (const auto& [name, c] : counters_) out.emplace_back(name, c.get());
  return out;
}

}  // namespace vigil::server
