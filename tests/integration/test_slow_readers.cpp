// Clients that read their answer slowly: the web sends at the client's pace,
// gives up on one that stalls for 5 s or has not taken the whole answer
// within WEB_SEND_TIMEOUT_MS, and logs what it could not deliver.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace fgtest;
using namespace std::chrono;

// A client with a small receive window (set before connecting, so the
// kernel cannot grow it) that sends one request and reads nothing yet.
static int slow_client(int port, const std::string &request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 65536;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads what arrives, `chunk` bytes at most every `pause`, until the server
// closes, `total` bytes are in, or nothing comes for 10 s (room for a slow
// command under the sanitizers).
static std::string read_slowly(int fd, size_t chunk, milliseconds pause, size_t total) {
  std::string got;
  std::vector<char> buf(chunk);
  while (got.size() < total) {
    std::this_thread::sleep_for(pause);
    size_t want = chunk;
    while (want > 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0)
        return got;
      ssize_t n = ::recv(fd, buf.data(), want, 0);
      if (n <= 0)
        return got;
      got.append(buf.data(), static_cast<size_t>(n));
      want -= static_cast<size_t>(n);
    }
  }
  return got;
}

static const std::string kBigAnswerCommand = "sh -c 'cat >/dev/null; yes | head -c 12000000'";
static std::string post_x() {
  return "POST /process HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
         "Content-Length: 1\r\n\r\nx";
}
// Starts the stack (its command answers 12 MB) and sends one request from a
// client with a small receive buffer; returns that client's socket.
static int big_answer_client(Stack &s) {
  s.start_processor();
  s.start_web();
  return slow_client(s.port(), post_x());
}

// The 5 s limit is on progress, not on the whole answer: a 12 MB answer to
// a client that drains it for longer than that arrives whole.
TEST(SlowClients, ASlowButSteadyReaderGetsTheWholeAnswer) {
  Stack s(Env{{"PROC_PROTOCOL", "raw"}, {"PROC_COMMAND", kBigAnswerCommand}});
  int fd = big_answer_client(s);
  ASSERT_GE(fd, 0);
  std::string got = read_slowly(fd, 1500000, milliseconds(700), 12000000 + 200);
  ::close(fd);
  size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << got.substr(0, 200);
  EXPECT_EQ(got.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_EQ(got.size() - head_end - 4, 12000000u);
  EXPECT_EQ(s.web_log().find("undelivered="), std::string::npos) << s.web_log();
}

// ... but not forever: a client that keeps reading a little, never stalling
// 5 s, still has to take the whole answer within WEB_SEND_TIMEOUT_MS, so a
// trickling reader cannot hold a thread for as long as it likes.
TEST(SlowClients, AReaderTooSlowForTheSendTimeoutIsGivenUpAndLogged) {
  Stack s(Env{{"PROC_PROTOCOL", "raw"},
              {"PROC_COMMAND", kBigAnswerCommand},
              {"WEB_SEND_TIMEOUT_MS", "2000"}});
  int fd = big_answer_client(s);
  ASSERT_GE(fd, 0);
  // 1.5 MB per 700 ms would take the 12 MB in about 5.6 s.
  std::string got = read_slowly(fd, 1500000, milliseconds(700), 12000000 + 200);
  ::close(fd);
  EXPECT_LT(got.size(), 12000000u) << "the connection ended early";
  EXPECT_GT(got.size(), 1500000u) << "the client was served until the deadline";
  EXPECT_TRUE(eventually([&] { return s.web_log().find("undelivered=") != std::string::npos; },
                         seconds(10)))
      << s.web_log();
  EXPECT_NE(s.web_log().find("the client did not take the answer within 2000 ms"),
            std::string::npos)
      << s.web_log();
  auto next = s.post("y");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body.size(), 12000000u);
}

// The answer's time starts at its head: a "100 Continue" sent before the body
// was read and the command ran does not start it. The command here takes
// longer than WEB_SEND_TIMEOUT_MS before it answers, then a reader that
// keeps up gets the whole 12 MB.
TEST(SlowClients, TheSendTimeoutStartsAtTheAnswerNotAtA100Continue) {
  Stack s(Env{{"PROC_PROTOCOL", "raw"},
              {"PROC_COMMAND", "sh -c 'cat >/dev/null; sleep 1.2; yes | head -c 12000000'"},
              {"WEB_SEND_TIMEOUT_MS", "800"}});
  s.start_processor();
  s.start_web();
  int fd = slow_client(s.port(), "POST /process HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                                 "Expect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
  ASSERT_GE(fd, 0);
  std::string got = read_slowly(fd, 1 << 20, milliseconds(0), 12000000 + 300);
  ::close(fd);
  EXPECT_EQ(got.substr(0, 25), "HTTP/1.1 100 Continue\r\n\r\n");
  size_t head = got.find("HTTP/1.1 200 OK");
  ASSERT_NE(head, std::string::npos) << got.substr(0, 200);
  size_t head_end = got.find("\r\n\r\n", head);
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(got.size() - head_end - 4, 12000000u);
  EXPECT_EQ(s.web_log().find("undelivered="), std::string::npos) << s.web_log();
}

// A client that stops reading is given up after 5 s without progress: the
// connection ends (not kept for a next request that would read the rest of
// this answer), the access line says so, and the next client is served.
TEST(SlowClients, AReaderThatStopsIsGivenUpAndLogged) {
  Stack s(Env{{"PROC_PROTOCOL", "raw"}, {"PROC_COMMAND", kBigAnswerCommand}});
  int fd = big_answer_client(s);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(eventually([&] { return s.web_log().find("undelivered=") != std::string::npos; },
                         seconds(20)))
      << s.web_log();
  EXPECT_NE(s.web_log().find("the client took nothing for 5000 ms"), std::string::npos)
      << s.web_log();
  std::string got = read_slowly(fd, 1 << 20, milliseconds(0), 12000000 + 200);
  ::close(fd);
  EXPECT_LT(got.size(), 12000000u) << "the connection ended early";
  auto next = s.post("y");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body.size(), 12000000u);
}

// A client's own "Connection: close" and ours make one header, not two.
TEST(SlowClients, AClosingAnswerSaysConnectionCloseOnce) {
  Stack s(Env{{"MAX_BODY_BYTES", "1000"}});
  s.start_processor();
  s.start_web();
  int fd = slow_client(s.port(), "POST /process HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                 "Content-Length: 5000\r\n\r\n");
  ASSERT_GE(fd, 0);
  std::string got = read_slowly(fd, 65536, milliseconds(1), 1 << 20);
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  size_t n = 0;
  for (size_t at = got.find("\r\nConnection:"); at != std::string::npos;
       at = got.find("\r\nConnection:", at + 1))
    ++n;
  EXPECT_EQ(n, 1u) << got;
}
