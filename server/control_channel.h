// vigilctl's side door: a Unix stream socket (mode 0660) on the daemon's
// control thread. One command per connection:
//   request:  the command and its arguments, one per line, then an empty line
//   reply:    "ok" or "error" on the first line, then text, then EOF
// Requests are bounded (4 KiB, 5 s to arrive); the daemon decides what a
// command does.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <sys/types.h>

namespace vigil::server {

struct ControlReply {
  bool ok = true;
  std::string text;
};

// Another process answers on the control socket: another vigild.
struct ControlSocketInUse : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ControlChannel {
 public:
  using Handler = std::function<ControlReply(const std::vector<std::string>& args)>;
  // A command that takes time (vigilctl trace): runs as a coroutine on the
  // control thread, so nothing blocks while it waits on the network.
  using AsyncHandler = std::function<boost::asio::awaitable<ControlReply>(std::vector<std::string> args)>;

  ControlChannel(boost::asio::io_context& io, std::string path, Handler handler);
  ~ControlChannel();

  // Creates the socket; a stale socket file is replaced, a live one (another
  // vigild) is an error: ControlSocketInUse. Throws std::runtime_error
  // saying what is wrong.
  void open(std::optional<uid_t> owner = std::nullopt, std::optional<gid_t> group = std::nullopt);
  void set_async(std::string command, AsyncHandler handler) {
    async_[std::move(command)] = std::move(handler);
  }
  void start();
  void close();  // stops accepting and removes the socket file
  const std::string& path() const { return path_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::local::stream_protocol::socket socket);

  boost::asio::io_context& io_;
  std::string path_;
  Handler handler_;
  std::map<std::string, AsyncHandler> async_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  bool open_ = false;
};

// Binds and listens on `path` with the socket file created mode 0660: the
// bind runs under a umask of 0117, so the socket is never open to others,
// not even between bind() and chmod() (with umask 000 an unprivileged user
// got in during that window). Throws std::system_error.
void bind_private(boost::asio::local::stream_protocol::acceptor& acceptor, const std::string& path);

// The client side, for vigilctl and tests: sends one command, returns the
// reply, or an error saying why the daemon could not be reached.
struct ControlClientResult {
  enum class Status : std::uint8_t { kOk, kCommandFailed, kNotRunning, kNotPermitted, kIoError };
  Status status = Status::kOk;
  std::string text;
};
ControlClientResult control_request(const std::string& path, const std::vector<std::string>& args);

}  // namespace vigil::server
