// WEB_SOCKET: the web on a Unix domain socket, as a reverse proxy on the same
// host reaches it: answers over it, mode and group as set, a stale file
// replaced, a live one or a non-socket refused, the file gone after SIGTERM.
#include "../support/stack.hpp"
#include "fifogate/unique_fd.hpp"
#include <csignal>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace fgtest;
using namespace std::chrono;

namespace {

sockaddr_un address(const std::string &path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  return a;
}

// One request with Connection: close; the whole answer as it came.
std::string over_socket(const std::string &path, const std::string &request) {
  fifogate::UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto a = address(path);
  if (::connect(s.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
    return "";
  timeval tv{10, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::write(s.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size()))
    return "";
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(s.get(), buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string post(const std::string &path, const std::string &body) {
  return over_socket(path, "POST /process HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body);
}

struct SocketWeb {
  SocketWeb(Stack &s, const std::string &sock, Env extra = {}) : path(sock) {
    Env e = s.env();
    e["WEB_SOCKET"] = sock;
    for (auto &[k, v] : extra)
      e[k] = v;
    log = s.dir() + "/web-" + std::to_string(++starts) + ".log";
    web = Proc(FIFOGATE_WEB_BIN, {}, e, log, true);
  }
  bool listening() { return web.wait_ready(seconds(10)) == "listening on unix:" + path; }
  std::string path, log;
  Proc web;
  static inline int starts = 0;
};

} // namespace

TEST(UnixSocket, AnswersOverTheSocketWithTheModeAndGroupAsSet) {
  Stack s;
  s.start_processor();
  std::string sock = s.dir() + "/web.sock";
  SocketWeb w(s, sock);
  ASSERT_TRUE(w.listening()) << read_file(w.log);
  std::string a = post(sock, "helo wrld\n");
  EXPECT_EQ(a.rfind("HTTP/1.1 200", 0), 0u) << a;
  EXPECT_NE(a.find("& helo"), std::string::npos) << a;
  struct stat st {};
  ASSERT_EQ(::stat(sock.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  // --healthcheck goes over the socket too.
  Env e = s.env();
  e["WEB_SOCKET"] = sock;
  Proc check(FIFOGATE_WEB_BIN, {"--healthcheck"}, e, s.dir() + "/check.log");
  auto rc = check.wait(seconds(10));
  ASSERT_TRUE(rc);
  EXPECT_EQ(WEXITSTATUS(*rc), 0) << read_file(s.dir() + "/check.log");
  // A clean stop removes the file.
  w.web.signal(SIGTERM);
  ASSERT_TRUE(w.web.wait(seconds(10)));
  EXPECT_NE(::access(sock.c_str(), F_OK), 0) << "the socket file is left after SIGTERM";

  std::string other = s.dir() + "/other.sock";
  SocketWeb g(s, other, {{"WEB_SOCKET_MODE", "0600"}, {"WEB_SOCKET_GROUP", "nogroup"}});
  ASSERT_TRUE(g.listening()) << read_file(g.log);
  ASSERT_EQ(::stat(other.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_gid, 65534u); // Debian's nogroup
  EXPECT_EQ(post(other, "fine\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST(UnixSocket, AStaleSocketIsReplacedALiveOneOrAFileRefused) {
  Stack s;
  s.start_processor();
  std::string sock = s.dir() + "/web.sock";
  {
    // What a web that crashed leaves: a socket file nothing listens on.
    fifogate::UniqueFd dead(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    auto a = address(sock);
    ASSERT_EQ(::bind(dead.get(), reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
  }
  ASSERT_EQ(::access(sock.c_str(), F_OK), 0);
  SocketWeb w(s, sock);
  ASSERT_TRUE(w.listening()) << read_file(w.log);
  EXPECT_EQ(post(sock, "helo\n").rfind("HTTP/1.1 200", 0), 0u);
  // A second web on a socket that answers: refused, and the first serves on.
  SocketWeb second(s, sock);
  auto rc = second.web.wait(seconds(10));
  ASSERT_TRUE(rc);
  EXPECT_EQ(WEXITSTATUS(*rc), 111);
  EXPECT_NE(read_file(second.log).find("another server is listening"), std::string::npos)
      << read_file(second.log);
  EXPECT_EQ(post(sock, "helo\n").rfind("HTTP/1.1 200", 0), 0u);
  // A path that is not a socket is never replaced.
  std::string file = s.dir() + "/not-a-socket";
  write_file(file, "keep me");
  SocketWeb third(s, file);
  rc = third.web.wait(seconds(10));
  ASSERT_TRUE(rc);
  EXPECT_EQ(WEXITSTATUS(*rc), 111);
  EXPECT_NE(read_file(third.log).find("is not a socket"), std::string::npos)
      << read_file(third.log);
  EXPECT_EQ(read_file(file), "keep me");
  // A relative path fails start-up as configuration (exit 100).
  Env e = s.env();
  e["WEB_SOCKET"] = "web.sock";
  Proc relative(FIFOGATE_WEB_BIN, {}, e, s.dir() + "/relative.log");
  rc = relative.wait(seconds(10));
  ASSERT_TRUE(rc);
  EXPECT_EQ(WEXITSTATUS(*rc), 100) << read_file(s.dir() + "/relative.log");
}
