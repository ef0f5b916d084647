#include "server/control_channel.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "server/log.h"

namespace vigil::server {

namespace asio = boost::asio;
using asio::awaitable;
using asio::local::stream_protocol;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxRequest = 4096;
constexpr auto kRequestTimeout = std::chrono::seconds(5);

// Connects to a Unix socket; returns the fd or -errno.
int connect_unix(const std::string& path) {
  sockaddr_un a{};
  if (path.size() >= sizeof a.sun_path) return -ENAMETOOLONG;
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

ControlChannel::ControlChannel(asio::io_context& io, std::string path, Handler handler)
    : io_(io), path_(std::move(path)), handler_(std::move(handler)), acceptor_(io) {}

ControlChannel::~ControlChannel() {
  close();
}

void bind_private(stream_protocol::acceptor& acceptor, const std::string& path) {
  acceptor.open(stream_protocol());
  // The umask is the process's: this runs at start-up, before the workers.
  const mode_t before = ::umask(0117);
  boost::system::error_code ec;
  acceptor.bind(stream_protocol::endpoint(path), ec);
  ::umask(before);
  if (ec) throw boost::system::system_error(ec);
  acceptor.listen();
}

void ControlChannel::open(std::optional<uid_t> owner, std::optional<gid_t> group) {
  const int probe = connect_unix(path_);
  if (probe >= 0) {
    ::close(probe);
    throw ControlSocketInUse("control socket " + path_ + " is in use: is another vigild running?");
  }
  if (probe == -ENAMETOOLONG) throw std::runtime_error("control socket path is too long: " + path_);
  if (probe == -ECONNREFUSED) ::unlink(path_.c_str());  // stale, left by a crash
  // The directory (e.g. /run/vigil) is created when missing.
  const auto slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path_.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) == 0 && owner) {
      if (::chown(dir.c_str(), *owner, group.value_or(static_cast<gid_t>(-1))) != 0) {
        throw std::runtime_error("cannot hand " + dir + " to the service user: " + std::strerror(errno));
      }
    }
  }
  try {
    bind_private(acceptor_, path_);
  } catch (const std::system_error& e) {
    acceptor_ = stream_protocol::acceptor(io_);
    throw std::runtime_error("cannot create control socket " + path_ + ": " + e.code().message());
  }
  open_ = true;
  if (::chmod(path_.c_str(), 0660) != 0 ||
      ((owner || group) && ::chown(path_.c_str(), owner.value_or(static_cast<uid_t>(-1)),
                                   group.value_or(static_cast<gid_t>(-1))) != 0)) {
    const std::string why = std::strerror(errno);
    close();
    throw std::runtime_error("cannot set the owner and mode of " + path_ + ": " + why);
  }
}

void ControlChannel::start() {
  if (open_) asio::co_spawn(io_, accept_loop(), log_coroutine_exception);
}

void ControlChannel::close() {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  ::unlink(path_.c_str());
}

awaitable<void> ControlChannel::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (!open_ || !acceptor_.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(io_, serve(std::move(socket)), log_coroutine_exception);
  }
}

awaitable<void> ControlChannel::serve(stream_protocol::socket socket) {
  asio::streambuf buffer(kMaxRequest);
  asio::steady_timer timer(io_, kRequestTimeout);
  auto read =
      co_await (asio::async_read_until(socket, buffer, "\n\n", kNoThrow) || timer.async_wait(kNoThrow));
  ControlReply reply;
  if (read.index() == 1) {
    co_return;  // too slow: drop
  }
  if (auto [ec, n] = std::get<0>(read); ec) {
    reply = {false, ec == asio::error::not_found ? "request too long" : "bad request"};
  } else {
    std::string request(asio::buffers_begin(buffer.data()),
                        asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n) - 2);
    auto args = split_lines(request);
    if (args.empty() || args[0].empty()) {
      reply = {false, "empty request"};
    } else {
      try {
        if (auto it = async_.find(args[0]); it != async_.end()) {
          reply = co_await it->second(args);
        } else {
          reply = handler_(args);
        }
      } catch (const std::exception& e) {
        reply = {false, std::string("internal error: ") + e.what()};
      }
    }
  }
  std::string out = (reply.ok ? "ok\n" : "error\n") + reply.text;
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  timer.expires_after(kRequestTimeout);
  (void)co_await (asio::async_write(socket, asio::buffer(out), kNoThrow) || timer.async_wait(kNoThrow));
  boost::system::error_code ec;
  socket.shutdown(stream_protocol::socket::shutdown_both, ec);
}

ControlClientResult control_request(const std::string& path, const std::vector<std::string>& args) {
  using S = ControlClientResult::Status;
  const int fd = connect_unix(path);
  if (fd == -ENOENT || fd == -ECONNREFUSED || fd == -ENOTDIR) {
    return {S::kNotRunning,
            "vigild is not running: " +
                std::string(fd == -ECONNREFUSED ? "nothing is listening on " : "there is no socket at ") +
                path + " (see control.socket in vigild's configuration)"};
  }
  if (fd == -EACCES || fd == -EPERM) {
    return {S::kNotPermitted, "permission denied on " + path +
                                  ": run as root, as vigild's user, or as a member of the socket's group"};
  }
  if (fd < 0) return {S::kIoError, "cannot connect to " + path + ": " + std::strerror(-fd)};
  std::string request;
  for (const auto& a : args) request += a + "\n";
  request += "\n";
  timeval tv{30, 0};  // cache-dump of a large cache may take a while
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return {S::kIoError, "cannot send the request to " + path};
  }
  std::string reply;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      ::close(fd);
      return {S::kIoError, "no reply from vigild on " + path + ": " + std::strerror(errno)};
    }
    if (n == 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (reply.rfind("ok\n", 0) == 0) return {S::kOk, reply.substr(3)};
  if (reply.rfind("error\n", 0) == 0) return {S::kCommandFailed, reply.substr(6)};
  return {S::kIoError, "unexpected reply from " + path};
}

}  // namespace vigil::server
