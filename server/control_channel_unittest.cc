#include "server/control_channel.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace vigil::server {
namespace {

std::string TempDir() {
  std::string t = (std::filesystem::temp_directory_path() / "vigil-control-XXXXXX").string();
  EXPECT_NE(::mkdtemp(t.data()), nullptr);
  return t;
}

TEST(ControlChannelTest, TheSocketIsCreatedPrivateWhateverTheUmask) {
  // Issue 20 §4: under umask 000 the socket was mode 0777 from bind() to
  // chmod(), and an unprivileged user got in during that window.
  const std::string dir = TempDir();
  const std::string path = dir + "/control.sock";
  const mode_t before = ::umask(0);
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::acceptor acceptor(io);
  bind_private(acceptor, path);
  EXPECT_EQ(::umask(before), 0);  // the process's umask is given back
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);  // as bound, before any chmod
  acceptor.close();
  std::filesystem::remove_all(dir);
}

TEST(ControlChannelTest, ALiveSocketIsNotTakenOver) {
  const std::string dir = TempDir();
  const std::string path = dir + "/control.sock";
  boost::asio::io_context io;
  ControlChannel first(io, path, [](const std::vector<std::string>&) { return ControlReply{}; });
  first.open();
  ControlChannel second(io, path, [](const std::vector<std::string>&) { return ControlReply{}; });
  EXPECT_THROW(second.open(), std::runtime_error);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  first.close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::server
