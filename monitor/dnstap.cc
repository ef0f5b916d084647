#include "monitor/dnstap.h"

#include <fstrm.h>
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "dnstap.pb-c.h"

namespace vigil::monitor {

namespace {

constexpr char kContentType[] = "protobuf:dnstap.Dnstap";
// Frames waiting for the collector, at most; and how often to try to
// connect while there is none.
constexpr std::size_t kMaxQueued = 1U << 14;
constexpr auto kReconnect = std::chrono::seconds(1);

ProtobufCBinaryData bytes(std::span<const std::uint8_t> s) {
  // protobuf-c's field is not const; packing only reads it.
  return {s.size(), const_cast<std::uint8_t*>(s.data())};
}

ProtobufCBinaryData bytes(const std::string& s) {
  return bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

std::vector<std::uint8_t> pack(const DnstapOptions& options, Dnstap__Message& m) {
  Dnstap__Dnstap d;
  dnstap__dnstap__init(&d);
  d.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
  d.message = &m;
  if (!options.identity.empty()) {
    d.has_identity = 1;
    d.identity = bytes(options.identity);
  }
  if (!options.version.empty()) {
    d.has_version = 1;
    d.version = bytes(options.version);
  }
  std::vector<std::uint8_t> out(dnstap__dnstap__get_packed_size(&d));
  dnstap__dnstap__pack(&d, out.data());
  return out;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> encode_dnstap(const QueryEvent& e, const DnstapOptions& options,
                                                     const ClientPrivacy& privacy) {
  std::array<std::uint8_t, 16> client{};
  const std::size_t client_len = privacy.octets({e.client.data(), e.client_len}, client);

  Dnstap__Message m;
  dnstap__message__init(&m);
  m.has_socket_family = 1;
  m.socket_family = e.client_len == 16 ? DNSTAP__SOCKET_FAMILY__INET6 : DNSTAP__SOCKET_FAMILY__INET;
  m.has_socket_protocol = 1;
  m.socket_protocol = e.tcp ? DNSTAP__SOCKET_PROTOCOL__TCP : DNSTAP__SOCKET_PROTOCOL__UDP;
  if (client_len > 0) {
    m.has_query_address = 1;
    m.query_address = bytes({client.data(), client_len});
  }
  m.has_query_port = 1;
  m.query_port = e.client_port;
  if (e.server_len == 4 || e.server_len == 16) {
    m.has_response_address = 1;
    m.response_address = bytes({e.server.data(), e.server_len});
  }
  m.has_response_port = 1;
  m.response_port = e.server_port;
  const std::int64_t query_ns = e.time_ns < 0 ? 0 : e.time_ns;
  m.has_query_time_sec = 1;
  m.query_time_sec = static_cast<std::uint64_t>(query_ns / 1'000'000'000);
  m.has_query_time_nsec = 1;
  m.query_time_nsec = static_cast<std::uint32_t>(query_ns % 1'000'000'000);

  std::vector<std::vector<std::uint8_t>> out;
  // The query's octets: kept beside the response, or the event's message
  // when nothing was sent back.
  const std::span<const std::uint8_t> query = e.is_response ? e.query_octets() : e.message_octets();
  if (options.client_queries && !query.empty()) {
    m.type = DNSTAP__MESSAGE__TYPE__CLIENT_QUERY;
    m.has_query_message = 1;
    m.query_message = bytes(query);
    out.push_back(pack(options, m));
    m.has_query_message = 0;
  }
  // A response cut to fit the event is not sent as if it were whole.
  if (options.client_responses && e.is_response && e.message_size == e.message_full_size) {
    const std::int64_t response_ns = query_ns + std::int64_t{e.duration_us} * 1000;
    m.type = DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE;
    m.has_response_time_sec = 1;
    m.response_time_sec = static_cast<std::uint64_t>(response_ns / 1'000'000'000);
    m.has_response_time_nsec = 1;
    m.response_time_nsec = static_cast<std::uint32_t>(response_ns % 1'000'000'000);
    m.has_response_message = 1;
    m.response_message = bytes(e.message_octets());
    out.push_back(pack(options, m));
  }
  return out;
}

struct DnstapWriter::State {
  std::mutex mu;
  std::condition_variable wake;
  std::condition_variable idle;  // the queue was taken and written (or dropped)
  std::vector<std::vector<std::uint8_t>> queue;
  bool writing = false;
  bool stopping = false;
  bool connected = false;
  DnstapStats stats;
  fstrm_writer* writer = nullptr;

  ~State() {
    if (writer != nullptr) fstrm_writer_destroy(&writer);
  }

  void run() {
    std::unique_lock lock(mu);
    auto last_attempt = std::chrono::steady_clock::time_point{};
    std::vector<std::vector<std::uint8_t>> batch;
    std::vector<iovec> iov;
    for (;;) {
      if (!connected && std::chrono::steady_clock::now() - last_attempt >= kReconnect && !stopping) {
        last_attempt = std::chrono::steady_clock::now();
        lock.unlock();
        const bool ok = fstrm_writer_open(writer) == fstrm_res_success;
        lock.lock();
        connected = ok;
      }
      if (!queue.empty()) {
        batch.swap(queue);
        writing = true;
        lock.unlock();
        iov.clear();
        for (auto& f : batch) iov.push_back({f.data(), f.size()});
        const bool ok =
            fstrm_writer_writev(writer, iov.data(), static_cast<int>(iov.size())) == fstrm_res_success;
        if (!ok) (void)fstrm_writer_close(writer);
        lock.lock();
        (ok ? stats.written : stats.dropped_no_collector) += batch.size();
        if (!ok) connected = false;
        batch.clear();
        writing = false;
        idle.notify_all();
        continue;
      }
      if (stopping) break;
      wake.wait_for(lock, kReconnect);
    }
    if (connected) {
      lock.unlock();
      (void)fstrm_writer_close(writer);  // the STOP frame: the collector closes its file cleanly
      lock.lock();
      connected = false;
    }
  }
};

DnstapWriter::DnstapWriter(DnstapOptions options)
    : options_(std::move(options)), state_(std::make_shared<State>()) {
  fstrm_unix_writer_options* uwopt = fstrm_unix_writer_options_init();
  fstrm_unix_writer_options_set_socket_path(uwopt, options_.socket.c_str());
  fstrm_writer_options* wopt = fstrm_writer_options_init();
  fstrm_writer_options_add_content_type(wopt, kContentType, sizeof kContentType - 1);
  state_->writer = fstrm_unix_writer_init(uwopt, wopt);
  fstrm_writer_options_destroy(&wopt);
  fstrm_unix_writer_options_destroy(&uwopt);
  if (state_->writer == nullptr || options_.socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw std::runtime_error("dnstap: cannot set up a Frame Streams writer for " + options_.socket);
  }
  std::thread([s = state_] {
    pthread_setname_np(pthread_self(), "vigil-dnstap");
    s->run();
  }).detach();
}

DnstapWriter::~DnstapWriter() {
  std::unique_lock lock(state_->mu);
  state_->stopping = true;
  state_->wake.notify_all();
  // The thread owns the state too: a collector that stopped reading can
  // hold it in a write, but not the daemon's shutdown.
  (void)state_->idle.wait_for(lock, std::chrono::seconds(2),
                              [&] { return !state_->writing && state_->queue.empty(); });
}

DnstapStats DnstapWriter::stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

bool DnstapWriter::connected() const {
  std::lock_guard lock(state_->mu);
  return state_->connected;
}

void DnstapWriter::write(const QueryEvent& e, const ClientPrivacy& privacy) {
  auto frames = encode_dnstap(e, options_, privacy);
  std::lock_guard lock(state_->mu);
  for (auto& f : frames) {
    if (!state_->connected) {
      ++state_->stats.dropped_no_collector;
    } else if (state_->queue.size() >= kMaxQueued) {
      ++state_->stats.dropped_queue_full;
    } else {
      state_->queue.push_back(std::move(f));
    }
  }
  if (!state_->queue.empty()) state_->wake.notify_one();
}

}  // namespace vigil::monitor
