// The query log: one JSON line per client query (query_log_format.h),
// written by its own thread so the query path only copies an event into
// its worker's ring (event_ring.h) — no lock, no allocation, no system
// call. A full ring drops the event and counts it (never blocks); a failed
// write is reported once and counted; the daemon keeps answering either way.
//
//   QueryLog log(workers, ring_bytes);     // one ring per worker
//   log.configure({path, ...});            // on, off ("" path), re-pointed: any time
//                                          // (and dnstap, beside or instead of the file)
//   QueryEvent* e = log.claim(worker); fill *e; log.publish(worker);
//   log.flush(limit);                      // SIGTERM: everything so far written, within limit
//   log.reopen();                          // SIGHUP, vigilctl log-reopen: after logrotate
//
// The writer also runs the intent detectors (intent.h) when they are
// configured: their verdicts go into the query's line and alerts into the
// alert stream. Either needs no query log file: the rings run whenever
// any of the file, dnstap or the detectors is on.
//
// The writer formats a batch under mu_ and writes it with mu_ released, so
// a destination that stops taking lines (a pipe nobody reads) stalls only
// the writer: stats(), configure() and with_writer_stopped() never wait for
// it, the rings fill and their drops are counted, and flush() waits no
// longer than it is told.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "monitor/client_privacy.h"
#include "monitor/dnstap.h"
#include "monitor/event_ring.h"
#include "monitor/intent.h"
#include "monitor/line_buffer.h"
#include "monitor/log_file.h"
#include "monitor/recent_activity.h"
#include "monitor/resolution_index.h"

namespace vigil::monitor {

struct QueryLogOptions {
  std::string path;                                    // "" = off, "-" = standard output
  std::uint64_t max_bytes = std::uint64_t{100} << 20;  // rotate above this; 0 = never
  unsigned keep = 10;                                  // rotated files kept
  ClientPrivacy privacy;
  DnstapOptions dnstap;  // socket "" = no dnstap
  // The intent detectors (null: off); kept by the caller across
  // reconfigurations so that their state survives a reload.
  std::shared_ptr<IntentEngine> intent;
  std::string alerts_path;  // the alert stream: "" = off, "-" = standard output
  // Recent queries kept for vigilctl's views (recent_activity.h) while the
  // detectors run; 0 = none.
  std::size_t recent_queries = 0;
  // Who was given which address over the last minutes, for vigilctl
  // who-resolved (resolution_index.h) while the detectors run; entries 0 = none.
  ResolutionIndexOptions resolutions{.entries = 0};
  // Where the detectors' block list goes for the query path (null: none).
  BlockListPublisher* block = nullptr;
};

struct QueryLogStats {
  std::uint64_t written = 0;              // lines written
  std::uint64_t dropped_queue_full = 0;   // events not recorded: the writer was behind
  std::uint64_t writer_boosts = 0;        // times the writer left SCHED_IDLE to catch up
  std::uint64_t dropped_write_error = 0;  // lines lost to failed writes
  std::uint64_t bytes = 0;
  std::uint64_t rotations = 0;
  DnstapStats dnstap;
  bool dnstap_connected = false;
  bool file_open = false;  // a query log file (or standard output) is being written
  bool intent_enabled = false;
  std::size_t resolutions = 0;                     // the who-resolved index's entries in use
  std::size_t resolutions_capacity = 0;            // 0: not kept
  std::int64_t resolutions_complete_after_ns = 0;  // ResolutionIndex::complete_after()
  std::int64_t resolutions_window_ns = 0;
  IntentStats intent;
  std::uint64_t alerts_written = 0;
  std::uint64_t alerts_dropped = 0;  // alert lines lost to failed writes
};

class QueryLog {
 public:
  QueryLog(unsigned producers, std::size_t ring_bytes_per_producer, LogFile::ErrorReporter on_error = {});
  ~QueryLog();  // stop()
  // Writes what is queued, to what the destinations take at once (one that
  // stopped reading is not waited for: its lines are counted dropped), and
  // stops the writer. stats() stay readable; nothing is recorded after it.
  void stop();
  QueryLog(const QueryLog&) = delete;
  QueryLog& operator=(const QueryLog&) = delete;

  // The writer's priority adapts to its backlog, so that the detectors
  // never delay an answer and never lose a record:
  // - While it keeps up it runs as SCHED_IDLE: only when no worker (or
  //   anything else) wants the core, so a query never waits behind a batch
  //   of detector work (the p99 at a modest rate was 2-3x Unbound's).
  // - When a producer finds its ring more than 1/kBoostFill full (every
  //   kFillCheckEvery events), or full, it moves the writer to SCHED_OTHER
  //   at a nice kWriterNiceBoost below the constructing thread's (the
  //   workers'; -5 when they run at 0, never below -20): under saturation
  //   a fair share among the workers and the clients is less than the
  //   detectors need.
  // - After kBoostHold boosted with every pass ending with the rings empty,
  //   the writer goes back to SCHED_IDLE.
  // The nice is set at construction. Lowering it needs CAP_SYS_NICE (root
  // has it) or an RLIMIT_NICE of 20 minus the target (`docker run --ulimit
  // nice=25`): without, the writer runs at the workers' nice, never idle.
  // Leaving SCHED_IDLE needs the same: the constructor tries it (idle,
  // back, idle) and keeps the writer at its nice, never idle, when it
  // fails. Once the daemon gives up root it needs the RLIMIT_NICE:
  // before_dropping_privileges().
  static constexpr int kWriterNiceBoost = 5;
  static constexpr std::size_t kBoostFill = 16;
  static constexpr std::uint64_t kFillCheckEvery = 256;  // a power of two
  static constexpr std::chrono::milliseconds kBoostHold{1000};
  // An idle writer also starves when other processes keep every core busy,
  // at any query rate: a watchdog thread boosts it when it has not finished
  // a pass (it makes one every kIdlePoll, 20 ms) for kWatchdogStale, so the
  // log, the alerts and vigilctl's views lag by that much at most.
  static constexpr std::chrono::milliseconds kWatchdogStale{100};
  // What the writer got, for the start-up log: "nice -5 (the workers:
  // nice 0), idle while it keeps up", or why it stayed at the workers'
  // nice, or why never idle.
  std::string writer_priority() const;
  bool writer_prioritised() const { return writer_priority_error_ == 0; }
  // Whether the writer yields (SCHED_IDLE) while it keeps up.
  bool writer_adaptive() const { return adaptive_.load(std::memory_order_relaxed); }
  int writer_nice() const { return writer_nice_; }
  int workers_nice() const { return workers_nice_; }
  // The daemon is about to give up root: keeps the writer able to leave
  // SCHED_IDLE afterwards (raises RLIMIT_NICE), or, when it cannot, moves
  // it to SCHED_OTHER at its nice for good. Returns 0, or the errno of
  // the failed setrlimit() (writer_priority() then says "never idle").
  int before_dropping_privileges();
  // The writer's thread id (for tests and diagnostics).
  pid_t writer_tid() const { return writer_tid_; }

  // Switches the log on, off or to another file; queued events are written
  // to the old destination first (for up to kReconfigureFlush: one that
  // does not take them is abandoned, its lines counted as dropped). The
  // files kept (the same path) are reopened, as by reopen().
  void configure(const QueryLogOptions& options);
  static constexpr std::chrono::milliseconds kReconfigureFlush{1000};
  // The query log and alert files are opened afresh before the next line
  // (logrotate moved them: `create` + SIGHUP or `vigilctl log-reopen`).
  void reopen();
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  // Whether events should carry the query's octets too (dnstap logs
  // client queries).
  bool wants_queries() const { return wants_queries_.load(std::memory_order_relaxed); }

  // Producer side, from producer thread `p` only.
  // claim() never fails; publish() counts the event dropped when the
  // producer's ring has no room for it.
  QueryEvent* claim(unsigned p) { return rings_[p]->claim(); }
  // False when the event was dropped (and counted).
  bool publish(unsigned p) {
    EventRing& ring = *rings_[p];
    if (ring.publish()) {
      if ((ring.published() & (kFillCheckEvery - 1)) == 0 && writer_adaptive() &&
          !boosted_.load(std::memory_order_relaxed) &&
          ring.used_bytes() > ring.capacity_bytes() / kBoostFill) {
        boost_writer();
      }
      return true;
    }
    dropped_[p]->fetch_add(1, std::memory_order_relaxed);
    if (writer_adaptive()) boost_writer();
    return false;
  }

  // Blocks until every event published before the call has been taken by
  // the writer — written, or dropped and counted (a failed or abandoned
  // write) — or `limit` has passed; returns whether they were taken.
  bool flush(std::chrono::milliseconds limit = std::chrono::milliseconds(5000));
  QueryLogStats stats() const;

  // Runs `f` while the writer is not formatting (it may be writing a batch
  // out): for what touches the intent detectors from another thread.
  template <typename F>
  void with_writer_stopped(F&& f) {
    std::lock_guard lock(mu_);
    f();
  }

  // RecentActivity::top_counts(n, *psl) over the recent queries, computed
  // by the writer at the end of its next pass (the scraper never stops
  // it, never takes the writer's lock): waits at most `limit` for that pass,
  // else takes the last figures the writer computed. False when no recent
  // queries are kept, or nothing was computed yet.
  bool top_counts(std::size_t n, std::shared_ptr<const PublicSuffixList> psl,
                  std::array<std::vector<std::size_t>, 4>& out,
                  std::chrono::milliseconds limit = std::chrono::milliseconds(1000));

  // What clients did lately (null: not kept); only inside
  // with_writer_stopped().
  const RecentActivity* activity() const { return activity_.get(); }
  const ResolutionIndex* resolutions() const { return resolutions_.get(); }

  // For tests: hold the writer (it stops draining) to fill the rings.
  void pause_writer(bool paused);
  // For tests: no watchdog (kWatchdogStale), so that only the rings' fill
  // boosts the writer.
  void stop_watchdog();

 private:
  void run();
  // A producer found the writer behind: SCHED_OTHER at writer_nice_.
  void boost_writer();
  // The writer, after a pass: back to SCHED_IDLE when it has kept up for
  // kBoostHold.
  void maybe_yield_writer(bool pending);
  // One batch: formats what the rings hold (mu_ held, as `lock`), writes it
  // with mu_ released, counts. Returns the events taken.
  std::size_t drain_batch(std::unique_lock<std::mutex>& lock, LineBuffer& buffer, LineBuffer& alerts,
                          bool& more);
  // Up to `max_batches`; `pending`: the rings still hold events.
  std::size_t drain(std::unique_lock<std::mutex>& lock, LineBuffer& buffer, LineBuffer& alerts,
                    std::size_t max_batches, bool& pending);

  std::vector<std::unique_ptr<EventRing>> rings_;
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> dropped_;
  LogFile::ErrorReporter on_error_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable wake_;
  std::condition_variable flushed_;
  QueryLogOptions options_;
  std::shared_ptr<LogFile> file_;  // shared: the writer holds it while writing, unlocked
  std::unique_ptr<DnstapWriter> dnstap_;
  std::shared_ptr<IntentEngine> intent_;
  std::shared_ptr<LogFile> alert_file_;
  std::unique_ptr<RecentActivity> activity_;
  std::unique_ptr<ResolutionIndex> resolutions_;
  std::uint64_t alerts_written_ = 0;
  std::uint64_t alerts_dropped_ = 0;
  DnstapStats dnstap_before_;  // of writers replaced
  std::atomic<bool> enabled_{false};
  std::atomic<bool> wants_queries_{false};
  bool stopping_ = false;
  bool paused_ = false;
  std::uint64_t flush_requests_ = 0;
  std::uint64_t flushes_done_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t dropped_write_error_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t rotations_ = 0;
  // top_counts(): asked by a scraper, answered by the writer (mu_ held, then
  // top_mu_; a scraper takes top_mu_ only).
  void answer_top_counts();
  std::mutex top_mu_;  // guards the top_* below
  std::condition_variable top_ready_;
  std::shared_ptr<const PublicSuffixList> top_psl_;
  std::size_t top_n_ = 0;
  std::uint64_t top_asked_ = 0;
  std::uint64_t top_answered_ = 0;
  bool top_kept_ = false;
  std::array<std::vector<std::size_t>, 4> top_;
  int writer_priority_error_ = 0;  // errno of setpriority(), 0: applied
  int writer_idle_error_ = 0;      // why the writer is never idle (errno), 0: it is when it keeps up
  pid_t writer_tid_ = 0;
  std::atomic<bool> adaptive_{false};
  std::atomic<bool> boosted_{false};  // set by a producer, cleared by the writer
  std::atomic<std::uint64_t> boosts_{0};
  std::chrono::steady_clock::time_point boost_seen_{};  // the writer's: when it first saw boosted_
  bool boost_noticed_ = false;                          // the writer's
  // The writer's last pass (steady clock, ns), for the watchdog.
  std::atomic<std::int64_t> heartbeat_ns_{0};
  void watch();
  std::mutex watch_mu_;
  std::condition_variable watch_wake_;
  bool watch_stop_ = false;  // guarded by watch_mu_
  std::thread watchdog_;
  int workers_nice_ = 0;
  int writer_nice_ = 0;
  std::thread writer_;
};

}  // namespace vigil::monitor
