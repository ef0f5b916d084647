#include "monitor/query_log.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <limits>
#include <optional>

#include <sys/resource.h>

#include "monitor/query_log_format.h"

namespace vigil::monitor {

namespace {
// The writer wakes this often when idle (producers never signal it: that
// would cost a system call per query).
constexpr auto kIdlePoll = std::chrono::milliseconds(20);
constexpr std::size_t kBatchBytes = 256 * 1024;
constexpr std::size_t kBatchesPerPass = 8;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::uint32_t unix_now_s() {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}
}  // namespace

QueryLog::QueryLog(unsigned producers, std::size_t ring_bytes_per_producer, LogFile::ErrorReporter on_error)
    : on_error_(std::move(on_error)) {
  for (unsigned i = 0; i < producers; ++i) {
    rings_.push_back(std::make_unique<EventRing>(ring_bytes_per_producer));
    dropped_.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));
  }
  // The writer's priority (query_log.h): its nice is set here, before the
  // daemon gives up root; then SCHED_IDLE while it keeps up, when it can
  // come back from there once unprivileged.
  heartbeat_ns_.store(steady_ns(), std::memory_order_relaxed);
  workers_nice_ = ::getpriority(PRIO_PROCESS, 0);  // this thread's: what the workers get
  writer_nice_ = std::max(workers_nice_ - kWriterNiceBoost, -20);
  struct Priority {
    pid_t tid = 0;
    int nice_error = 0;
    int idle_error = 0;
  };
  std::promise<Priority> priority;
  std::future<Priority> priority_set = priority.get_future();
  writer_ = std::thread([this, target = writer_nice_, priority = std::move(priority)]() mutable {
    pthread_setname_np(pthread_self(), "vigil-querylog");
    Priority got;
    got.tid = ::gettid();
    errno = 0;
    got.nice_error = ::setpriority(PRIO_PROCESS, static_cast<id_t>(got.tid), target) == 0 ? 0 : errno;
    // Idle only when it can come back: coming back at this nice needs
    // CAP_SYS_NICE or an RLIMIT_NICE of 20 - nice, which the setpriority()
    // above proved only if it lowered the nice (workers already at -20 need
    // neither to stay there). Then tried: idle, back, idle.
    got.idle_error = got.nice_error;
    rlimit limit{};
    if (got.idle_error == 0 && target >= workers_nice_ &&
        (::getrlimit(RLIMIT_NICE, &limit) != 0 || limit.rlim_cur < static_cast<rlim_t>(20 - target))) {
      got.idle_error = EPERM;
    }
    const sched_param none{};
    if (got.idle_error == 0 && ::sched_setscheduler(0, SCHED_IDLE, &none) != 0) got.idle_error = errno;
    if (got.idle_error == 0 && ::sched_setscheduler(0, SCHED_OTHER, &none) != 0) got.idle_error = errno;
    if (got.idle_error == 0 && ::sched_setscheduler(0, SCHED_IDLE, &none) != 0) got.idle_error = errno;
    priority.set_value(got);
    run();
  });
  const Priority got = priority_set.get();
  writer_tid_ = got.tid;
  writer_priority_error_ = got.nice_error;
  writer_idle_error_ = got.idle_error;
  if (writer_priority_error_ != 0) writer_nice_ = workers_nice_;
  adaptive_.store(writer_idle_error_ == 0, std::memory_order_relaxed);
  if (adaptive_.load(std::memory_order_relaxed)) {
    watchdog_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "vigil-qlogwatch");
      watch();
    });
  }
}

void QueryLog::watch() {
  std::unique_lock lock(watch_mu_);
  while (!watch_wake_.wait_for(lock, kWatchdogStale, [this] { return watch_stop_; })) {
    const std::int64_t stale = std::chrono::nanoseconds(kWatchdogStale).count();
    if (writer_adaptive() && !boosted_.load(std::memory_order_relaxed) &&
        steady_ns() - heartbeat_ns_.load(std::memory_order_relaxed) > stale) {
      boost_writer();
    }
  }
}

std::string QueryLog::writer_priority() const {
  const std::string workers = " (the workers: nice " + std::to_string(workers_nice_) + ")";
  if (writer_priority_error_ == 0) {
    return "nice " + std::to_string(writer_nice_) + workers +
           (writer_idle_error_ == 0 ? ", idle while it keeps up"
                                    : ", never idle: " + std::string(std::strerror(writer_idle_error_)));
  }
  return "nice " + std::to_string(writer_nice_) + workers + ": " + std::strerror(writer_priority_error_) +
         (writer_priority_error_ == EPERM || writer_priority_error_ == EACCES
              ? " (raising a thread's priority needs CAP_SYS_NICE, or an RLIMIT_NICE of at least " +
                    std::to_string(20 - std::max(workers_nice_ - kWriterNiceBoost, -20)) + ")"
              : "");
}

int QueryLog::before_dropping_privileges() {
  std::lock_guard lock(mu_);  // the writer yields only with mu_ held
  if (!adaptive_.load(std::memory_order_relaxed)) return 0;
  // Unprivileged, leaving SCHED_IDLE for writer_nice_ needs an RLIMIT_NICE
  // of 20 - writer_nice_: raise it while privileged (CAP_SYS_RESOURCE).
  const auto needed = static_cast<rlim_t>(20 - writer_nice_);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NICE, &limit) == 0 && limit.rlim_cur >= needed) return 0;
  const rlimit raised{needed, std::max(limit.rlim_max, needed)};
  if (::setrlimit(RLIMIT_NICE, &raised) == 0) return 0;
  // Else the writer stays where it can stay: SCHED_OTHER at its nice.
  writer_idle_error_ = errno;
  adaptive_.store(false, std::memory_order_relaxed);
  boosted_.store(true, std::memory_order_relaxed);
  const sched_param none{};
  (void)::sched_setscheduler(writer_tid_, SCHED_OTHER, &none);  // still privileged: cannot fail
  return writer_idle_error_;
}

void QueryLog::boost_writer() {
  if (boosted_.exchange(true, std::memory_order_acq_rel)) return;  // another producer did
  const sched_param none{};
  // SCHED_OTHER keeps the nice set at construction.
  if (::sched_setscheduler(writer_tid_, SCHED_OTHER, &none) == 0) {
    boosts_.fetch_add(1, std::memory_order_relaxed);
  } else {
    // Only when the privilege went without before_dropping_privileges():
    // the next check (a fill, a drop, the watchdog) tries again.
    boosted_.store(false, std::memory_order_relaxed);
  }
}

void QueryLog::maybe_yield_writer(bool pending) {
  if (!adaptive_.load(std::memory_order_relaxed) || !boosted_.load(std::memory_order_acquire)) return;
  const auto now = std::chrono::steady_clock::now();
  if (!boost_noticed_ || pending) {  // the hold starts afresh while it is behind
    boost_noticed_ = true;
    boost_seen_ = now;
    return;
  }
  if (now - boost_seen_ < kBoostHold) return;
  const sched_param none{};
  if (::sched_setscheduler(0, SCHED_IDLE, &none) != 0) return;  // stays boosted: it keeps up either way
  boost_noticed_ = false;
  // After the switch, so that a producer's boost cannot come before it
  // and be undone. A producer that checks in between does not boost: the
  // next check (256 events on, a drop, the watchdog) does.
  boosted_.store(false, std::memory_order_release);
}

QueryLog::~QueryLog() {
  stop();
}

void QueryLog::stop_watchdog() {
  if (!watchdog_.joinable()) return;
  {
    std::lock_guard lock(watch_mu_);
    watch_stop_ = true;
  }
  watch_wake_.notify_all();
  watchdog_.join();
}

void QueryLog::stop() {
  stop_watchdog();
  if (!writer_.joinable()) return;
  if (writer_adaptive()) boost_writer();  // the last batch, now, whatever else runs
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    paused_ = false;
    // The last batch takes what the destinations accept at once: a pipe
    // nobody reads does not hold the exit (its lines are counted dropped).
    if (file_) file_->abandon();
    if (alert_file_) alert_file_->abandon();
  }
  wake_.notify_all();
  writer_.join();
}

void QueryLog::configure(const QueryLogOptions& options) {
  (void)flush(kReconfigureFlush);  // what is queued goes where it was meant to
  std::lock_guard lock(mu_);
  const bool same_file = file_ && options.path == options_.path;
  options_ = options;
  if (same_file) file_->reopen();
  if (!same_file && file_) {
    rotations_ += file_->rotations();  // the old file's count stays in the total
    file_->abandon();                  // a write stuck on it gives up
    file_.reset();
  }
  if (!options.path.empty() && !same_file) {
    file_ = std::make_shared<LogFile>(options.path, options.max_bytes, options.keep, on_error_);
  }
  if (dnstap_ && dnstap_->options() != options.dnstap) {
    dnstap_before_ += dnstap_->stats();
    dnstap_.reset();  // hands its queue to the collector first
  }
  if (!dnstap_ && !options.dnstap.socket.empty()) {
    try {
      dnstap_ = std::make_unique<DnstapWriter>(options.dnstap);
    } catch (const std::runtime_error& e) {
      if (on_error_) on_error_(e.what());
    }
  }
  intent_ = options.intent;
  if (!intent_ || options.recent_queries == 0) {
    activity_.reset();
  } else if (!activity_ || activity_->capacity() != options.recent_queries) {
    activity_ = std::make_unique<RecentActivity>(options.recent_queries);
  }
  if (activity_) activity_->set_privacy(options.privacy);
  if (!intent_ || options.resolutions.entries == 0) {
    resolutions_.reset();
  } else if (!resolutions_ || resolutions_->options() != options.resolutions) {
    resolutions_ = std::make_unique<ResolutionIndex>(options.resolutions);
  }
  if (alert_file_ && (options.alerts_path != alert_file_->path() || !intent_)) {
    alert_file_->abandon();
    alert_file_.reset();
  }
  if (alert_file_) alert_file_->reopen();
  if (!alert_file_ && intent_ && !options.alerts_path.empty()) {
    alert_file_ = std::make_shared<LogFile>(options.alerts_path, options.max_bytes, options.keep, on_error_);
  }
  if (resolutions_) resolutions_->set_privacy(options.privacy);
  // The query path's block list follows the detectors as configured now:
  // a new engine's (empty) list, or none when the detectors are off.
  if (options.block != nullptr) {
    options.block->publish(intent_ ? intent_->take_block_list(unix_now_s(), true)
                                   : std::make_shared<const BlockList>());
  }
  wants_queries_.store(dnstap_ && options.dnstap.client_queries, std::memory_order_relaxed);
  enabled_.store(file_ || dnstap_ || intent_, std::memory_order_relaxed);
}

bool QueryLog::flush(std::chrono::milliseconds limit) {
  std::unique_lock lock(mu_);
  const std::uint64_t ticket = ++flush_requests_;
  wake_.notify_all();
  return flushed_.wait_for(lock, limit, [&] { return flushes_done_ >= ticket || stopping_; });
}

void QueryLog::reopen() {
  std::lock_guard lock(mu_);
  if (file_) file_->reopen();
  if (alert_file_) alert_file_->reopen();
}

void QueryLog::pause_writer(bool paused) {
  {
    std::lock_guard lock(mu_);
    paused_ = paused;
  }
  wake_.notify_all();
}

QueryLogStats QueryLog::stats() const {
  std::lock_guard lock(mu_);
  QueryLogStats s;
  s.written = written_;
  s.dropped_write_error = dropped_write_error_;
  s.bytes = bytes_;
  s.rotations = rotations_ + (file_ ? file_->rotations() : 0);
  s.dnstap = dnstap_before_;
  if (dnstap_) {
    s.dnstap += dnstap_->stats();
    s.dnstap_connected = dnstap_->connected();
  }
  for (const auto& d : dropped_) s.dropped_queue_full += d->load(std::memory_order_relaxed);
  s.writer_boosts = boosts_.load(std::memory_order_relaxed);
  s.file_open = file_ != nullptr;
  s.intent_enabled = intent_ != nullptr;
  if (intent_) s.intent = intent_->stats();
  if (resolutions_) {
    s.resolutions = resolutions_->used();
    s.resolutions_capacity = resolutions_->capacity();
    s.resolutions_complete_after_ns = resolutions_->complete_after();
    s.resolutions_window_ns = resolutions_->options().window_ns;
  }
  s.alerts_written = alerts_written_;
  s.alerts_dropped = alerts_dropped_;
  return s;
}

std::size_t QueryLog::drain(std::unique_lock<std::mutex>& lock, LineBuffer& buffer, LineBuffer& alerts,
                            std::size_t max_batches, bool& pending) {
  std::size_t events = 0;
  bool more = true;
  for (std::size_t i = 0; more && i < max_batches; ++i) events += drain_batch(lock, buffer, alerts, more);
  pending = more;
  return events;
}

// Formats what the rings hold (mu_ held): the detectors see each event
// first, so that its line carries their verdicts. Then writes the batch
// with mu_ released.
std::size_t QueryLog::drain_batch(std::unique_lock<std::mutex>& lock, LineBuffer& buffer, LineBuffer& alerts,
                                  bool& more) {
  std::size_t events = 0;
  thread_local std::vector<Verdict> verdicts;
  thread_local std::string lower_name;  // the question name's lowercase text, for the tables that keep names
  {
    more = false;
    buffer.clear();
    alerts.clear();
    std::size_t lines = 0, alert_lines = 0;
    for (auto& ring : rings_) {
      while (buffer.size() < kBatchBytes && alerts.size() < kBatchBytes) {
        const QueryEvent* e = ring->peek();
        if (e == nullptr) break;
        dns::MessageView view;
        const bool parsed = (file_ || intent_) && parse_event_message(view, *e);
        verdicts.clear();
        // The question name, read from the message once for every table.
        const bool asked = parsed && view.count(dns::Section::kQuestion) > 0;
        const bool keep_names = asked && (activity_ || (resolutions_ && e->is_response));
        const dns::Name qname = asked && (intent_ || keep_names) ? view.question_name() : dns::Name();
        if (keep_names) {
          lower_name.clear();
          qname.append_lowercase_text(lower_name);
        }
        // Answers, and the queries a policy dropped unanswered: silenced
        // for the client, still the loudest thing in the record.
        if (intent_ && asked && (e->is_response || e->policy.hit)) {
          intent_->observe(
              {.time_ns = e->time_ns,
               .client = {e->client.data(), e->client_len},
               .qname = &qname,
               .qtype = static_cast<std::uint16_t>(view.question_type()),
               .rcode = static_cast<std::uint8_t>(e->is_response ? view.rcode() : dns::Rcode::kNoError),
               .answered = e->is_response,
               .policy = &e->policy},
              verdicts);
        }
        if (file_) {
          append_json_line(buffer, *e, parsed ? &view : nullptr, options_.privacy, verdicts);
          ++lines;
        }
        if (activity_ && asked) activity_->record(*e, view, lower_name);
        if (resolutions_ && asked && e->is_response) {
          std::optional<ResolutionIndex::Asker> who;  // made at the first address, if any
          std::size_t n = 0;
          for_each_answer_address(view, [&](std::span<const std::uint8_t> address) {
            if (!who) {
              who.emplace(std::span<const std::uint8_t>(e->client.data(), e->client_len), lower_name,
                          static_cast<std::uint16_t>(view.question_type()));
            }
            resolutions_->record(e->time_ns, *who, address);
            return ++n < ResolutionIndex::kAddressesPerAnswer;
          });
        }
        for (const Verdict& v : verdicts) {
          if (!v.alert || (!alert_file_ && !activity_)) continue;
          const std::size_t start = alerts.size();
          append_alert_line(alerts, *e, parsed ? &view : nullptr, options_.privacy, v);
          if (activity_) {
            const std::string_view l = alerts.view().substr(start);
            activity_->record_alert(e->time_ns, std::string(l.substr(0, l.size() - 1)));
          }
          if (alert_file_) {
            ++alert_lines;
          } else {
            alerts.set_end(alerts.view().data() + start);
          }
        }
        if (dnstap_) dnstap_->write(*e, options_.privacy);
        ring->release();
        ++events;
      }
      ring->commit();
      if (buffer.size() >= kBatchBytes || alerts.size() >= kBatchBytes) more = true;
    }
    const std::shared_ptr<LogFile> file = lines > 0 ? file_ : nullptr;
    const std::shared_ptr<LogFile> alert_file = alert_lines > 0 ? alert_file_ : nullptr;
    if (!file && !alert_file) return events;
    lock.unlock();
    LogWriteResult q, a;
    if (file) q = file->write(buffer.view());
    if (alert_file) a = alert_file->write(alerts.view());
    lock.lock();
    written_ += q.lines_written;
    bytes_ += q.bytes_written;
    dropped_write_error_ += q.lines_dropped;
    alerts_written_ += a.lines_written;
    alerts_dropped_ += a.lines_dropped;
  }
  return events;
}

bool QueryLog::top_counts(std::size_t n, std::shared_ptr<const PublicSuffixList> psl,
                          std::array<std::vector<std::size_t>, 4>& out, std::chrono::milliseconds limit) {
  std::unique_lock lock(top_mu_);
  const std::uint64_t asked = ++top_asked_;
  top_n_ = n;
  top_psl_ = std::move(psl);
  wake_.notify_one();  // a writer waiting for events looks at once (else within kIdlePoll)
  top_ready_.wait_for(lock, limit, [&] { return top_answered_ >= asked; });
  if (top_kept_) out = top_;
  return top_kept_;
}

void QueryLog::answer_top_counts() {
  std::unique_lock lock(top_mu_);
  if (top_answered_ >= top_asked_) return;
  const std::uint64_t asked = top_asked_;
  const std::size_t n = top_n_;
  const std::shared_ptr<const PublicSuffixList> psl = top_psl_;
  lock.unlock();
  std::array<std::vector<std::size_t>, 4> tops;
  const bool kept = activity_ != nullptr && psl != nullptr;
  if (kept) tops = activity_->top_counts(n, *psl);
  lock.lock();
  top_ = std::move(tops);
  top_kept_ = kept;
  top_answered_ = std::max(top_answered_, asked);
  top_ready_.notify_all();
}

void QueryLog::run() {
  LineBuffer buffer, alerts;
  buffer.reserve(kBatchBytes + 4096);
  alerts.reserve(4096);
  std::unique_lock lock(mu_);
  for (;;) {
    bool pending = false;  // batches left for the next pass
    if (!paused_) {
      const std::uint64_t requested = flush_requests_;
      // A bounded pass: with a destination slower than the queries, the
      // block list and the flushes are still seen to between passes.
      (void)drain(lock, buffer, alerts, kBatchesPerPass, pending);
      // Every pass, queries or not: a block expires on time.
      if (intent_ && options_.block != nullptr) {
        if (auto list = intent_->take_block_list(unix_now_s())) options_.block->publish(std::move(list));
      }
      if (flushes_done_ < requested && !pending) {
        const std::shared_ptr<LogFile> file = file_, alert_file = alert_file_;
        lock.unlock();
        if (file) file->sync();
        if (alert_file) alert_file->sync();
        lock.lock();
        flushes_done_ = std::max(flushes_done_, requested);
        flushed_.notify_all();
      }
    }
    answer_top_counts();
    maybe_yield_writer(pending || paused_);  // held (tests): not keeping up
    heartbeat_ns_.store(steady_ns(), std::memory_order_relaxed);
    if (stopping_) break;
    if (!pending) wake_.wait_for(lock, kIdlePoll);
  }
  bool pending = false;
  (void)drain(lock, buffer, alerts, std::numeric_limits<std::size_t>::max(), pending);
  if (file_) file_->sync();
  if (alert_file_) alert_file_->sync();
  flushes_done_ = flush_requests_;
  flushed_.notify_all();
}

}  // namespace vigil::monitor
