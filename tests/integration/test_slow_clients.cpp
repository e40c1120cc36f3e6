// Slow and idle clients: a connection holds no serving thread until its
// request is complete, and a head or body that comes too slowly is ended with
// 408; connections past WEB_MAX_CONNECTIONS are refused at once; a burst of
// new connections fits the listen queue.
#include "../support/stack.hpp"
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>

using namespace fgtest;
using namespace std::chrono;

namespace {

void send_now(HttpConnection &c, const std::string &bytes) {
  ASSERT_EQ(::send(c.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

// Reads what the server sends a connection it ends on its own, until it
// closes it (or `timeout` passes).
std::string answer_on(HttpConnection &c, milliseconds timeout) {
  std::string got;
  auto end = steady_clock::now() + timeout;
  while (steady_clock::now() < end) {
    pollfd p{c.fd(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    char buf[4096];
    ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n <= 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

} // namespace

TEST(SlowClientsHeld, TricklingHeadsAndBodiesLeaveEveryThreadFree) {
  Stack s(Env{{"WEB_THREADS", "2"}});
  s.start_processor();
  s.start_web();
  std::vector<std::unique_ptr<HttpConnection>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<HttpConnection>(s.port()));
    send_now(*slow.back(), "POST /process HTTP/1.1\r\nHost: x\r\nX-A: ");
    slow.push_back(std::make_unique<HttpConnection>(s.port()));
    send_now(*slow.back(), "POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\nhe");
  }
  for (int round = 0; round < 3; ++round) {
    for (auto &c : slow)
      send_now(*c, "l");
    // Two threads, forty slow connections: with a thread per connection this
    // request would wait for the slow ones to give up.
    auto a = s.post("helo\n");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, aspell_direct("helo\n"));
  }
  // The slow ones are still served once they finish.
  send_now(*slow[0], "b\r\nContent-Length: 5\r\n\r\nhelo\n");
  auto done = slow[0]->request("", seconds(10));
  EXPECT_EQ(done.status, 200);
  EXPECT_EQ(done.body, aspell_direct("helo\n"));
}

TEST(SlowClientsHeld, AHeadThatDoesNotArriveInTimeIs408) {
  Stack s(Env{{"WEB_HEAD_TIMEOUT_MS", "400"}});
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  send_now(c, "POST /process HTTP/1.1\r\nHost: x\r\n");
  std::string got = answer_on(c, seconds(5));
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  EXPECT_TRUE(eventually(
      [&] {
        return s.web_log().find("408 0ms in=0B out=0B reason=\"the request head did not arrive "
                                "within WEB_HEAD_TIMEOUT_MS=400\"") != std::string::npos;
      },
      seconds(2)))
      << s.web_log();
  // A connection that never sent a byte is closed quietly after the same time.
  HttpConnection silent(s.port());
  EXPECT_TRUE(silent.closed_by_server(seconds(5)));
  EXPECT_EQ(s.post("helo\n").status, 200);
}

TEST(SlowClientsHeld, ABodyBelowTheMinimumRateIs408) {
  Stack s(Env{{"WEB_HEAD_TIMEOUT_MS", "300"}, {"WEB_BODY_MIN_RATE", "1000"}});
  s.start_processor();
  s.start_web();
  for (const char *length : {"1000", "200000"}) { // held by the loop; read by a thread
    SCOPED_TRACE(length);
    HttpConnection c(s.port());
    send_now(c, std::string("POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: ") + length +
                    "\r\n\r\nhel");
    std::string got;
    for (int i = 0; i < 40 && got.empty(); ++i) {
      std::this_thread::sleep_for(milliseconds(100));
      (void)::send(c.fd(), "l", 1, MSG_NOSIGNAL); // 10 bytes/s
      char buf[4096];
      ssize_t n = ::recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        got.assign(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
    EXPECT_NE(got.find("WEB_BODY_MIN_RATE=1000"), std::string::npos) << got;
  }
  EXPECT_EQ(s.post("helo\n").status, 200);
}

TEST(SlowClientsHeld, ABodyPastItsTotalTimeIs408EvenAtAGoodRate) {
  Stack s(Env{{"WEB_BODY_TIMEOUT_MS", "600"}, {"WEB_BODY_MIN_RATE", "0"}});
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  send_now(c, "POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nhel");
  std::string got = answer_on(c, seconds(5));
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
  EXPECT_NE(got.find("WEB_BODY_TIMEOUT_MS=600"), std::string::npos) << got;
}

TEST(SlowClientsHeld, ConnectionsPastTheLimitAreRefusedAtOnce) {
  Stack s(Env{{"WEB_MAX_CONNECTIONS", "4"}});
  s.start_processor();
  s.start_web();
  std::vector<std::unique_ptr<HttpConnection>> open;
  for (int i = 0; i < 4; ++i)
    open.push_back(std::make_unique<HttpConnection>(s.port()));
  EXPECT_TRUE(eventually(
      [&] {
        auto a = http_get(s.port(), "/healthz");
        return a.status == 503 &&
               a.body.find("too many connections open (WEB_MAX_CONNECTIONS=4)") !=
                   std::string::npos;
      },
      seconds(5)));
  // The held ones still work, and closing one makes room.
  auto b = open[0]->request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", seconds(5));
  EXPECT_EQ(b.status, 200);
  open.pop_back();
  EXPECT_TRUE(eventually([&] { return http_get(s.port(), "/healthz").status == 200; }, seconds(5)));
}

// The kernel's count of connections it dropped because a listen queue was
// full (this network namespace), or -1.
static long listen_overflows() {
  std::ifstream f("/proc/net/netstat");
  std::string names, values;
  while (std::getline(f, names) && std::getline(f, values)) {
    if (names.rfind("TcpExt:", 0) != 0)
      continue;
    std::istringstream n(names), v(values);
    std::string name, value;
    while (n >> name && v >> value)
      if (name == "ListenOverflows")
        return std::stol(value);
  }
  return -1;
}

// Many clients connecting at once (a load balancer's pool, a restart of
// every client) all fit the listen queue: one that overflowed it would wait
// for the kernel's retransmission (a second or more) before the web saw its
// request.
TEST(ConnectionBurst, HundredsOfConnectionsAtOnceFitTheListenQueue) {
  Stack s;
  s.start_processor();
  s.start_web();
  long before = listen_overflows();
  ASSERT_GE(before, 0);
  constexpr int kBurst = 500;
  std::vector<int> fds;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(s.port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < kBurst; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    fds.push_back(fd);
    int rc = ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << std::strerror(errno);
  }
  // Each asks for /version and reads its answer to the end.
  const std::string get = "GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::vector<std::string> got(kBurst);
  std::vector<char> sent(kBurst, 0), done(kBurst, 0);
  int finished = 0;
  auto end = steady_clock::now() + seconds(60);
  while (finished < kBurst && steady_clock::now() < end) {
    std::vector<pollfd> p;
    std::vector<int> which;
    for (int i = 0; i < kBurst; ++i)
      if (!done[i]) {
        p.push_back({fds[i], static_cast<short>(sent[i] ? POLLIN : POLLOUT), 0});
        which.push_back(i);
      }
    if (::poll(p.data(), p.size(), 1000) <= 0)
      continue;
    for (size_t k = 0; k < p.size(); ++k) {
      int i = which[k];
      if (!p[k].revents)
        continue;
      if (!sent[i]) {
        sent[i] = ::send(fds[i], get.data(), get.size(), MSG_NOSIGNAL) ==
                  static_cast<ssize_t>(get.size());
        if (!sent[i])
          done[i] = 1, ++finished;
        continue;
      }
      char buf[4096];
      ssize_t n = ::recv(fds[i], buf, sizeof buf, 0);
      if (n > 0)
        got[i].append(buf, static_cast<size_t>(n));
      else
        done[i] = 1, ++finished;
    }
  }
  int ok = 0;
  for (int i = 0; i < kBurst; ++i) {
    ok += got[i].rfind("HTTP/1.1 200", 0) == 0;
    ::close(fds[i]);
  }
  EXPECT_EQ(ok, kBurst);
  EXPECT_EQ(listen_overflows(), before) << "connections overflowed the web's listen queue";
}
