// HTTP/1.1 keep-alive: several requests per connection, idle connections
// parked off the server's threads and closed after WEB_KEEPALIVE_MS.
#include "../support/stack.hpp"
#include <csignal>
#include <gtest/gtest.h>
#include <memory>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <thread>

using namespace fgtest;
using namespace std::chrono;

namespace {

std::string post_req(const std::string &body, const std::string &extra_headers = "") {
  return "POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra_headers + "\r\n" + body;
}

const std::string kGet = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

} // namespace

TEST(KeepAlive, SeveralRequestsShareOneConnection) {
  Stack s;
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  for (const std::string body : {"helo wrld\n", "color\n", "speling mistake\n"}) {
    auto a = c.request(post_req(body));
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body, aspell_direct(body));
    EXPECT_NE(a.header("connection"), "close");
    EXPECT_EQ(a.header("keep-alive"), "timeout=5, max=1000");
  }
  EXPECT_EQ(c.request(kGet).status, 200);
  EXPECT_FALSE(c.closed_by_server(milliseconds(100)));
  // Four answers, four access-log lines, each with its own request id.
  std::set<std::string> ids;
  EXPECT_TRUE(eventually(
      [&] {
        std::istringstream log(s.web_log());
        ids.clear();
        for (std::string line; std::getline(log, line);)
          if (auto p = line.find("req=");
              p != std::string::npos && line.find(" 200 ") != std::string::npos)
            ids.insert(line.substr(p, 20));
        return ids.size() == 4;
      },
      seconds(5)))
      << s.web_log();
}

TEST(KeepAlive, ConnectionCloseAndHttp10AreHonoured) {
  Stack s;
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  auto a = c.request(post_req("helo\n", "Connection: close\r\n"));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("connection"), "close");
  EXPECT_TRUE(c.closed_by_server(seconds(2)));

  HttpConnection old(s.port());
  auto b = old.request("GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n");
  EXPECT_EQ(b.status, 200);
  EXPECT_TRUE(old.closed_by_server(seconds(2)));
}

TEST(KeepAlive, IdleConnectionIsClosedAfterTheKeepAliveTime) {
  Stack s(Env{{"WEB_KEEPALIVE_MS", "400"}});
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  auto a = c.request(kGet);
  ASSERT_EQ(a.status, 200);
  // "Keep-Alive: timeout=" counts whole seconds: under one, it is left out.
  EXPECT_EQ(a.header("keep-alive"), "");
  auto t0 = steady_clock::now();
  EXPECT_FALSE(c.closed_by_server(milliseconds(150)));
  EXPECT_TRUE(c.closed_by_server(seconds(3)));
  EXPECT_GE(steady_clock::now() - t0, milliseconds(350));
}

TEST(KeepAlive, OffMeansOneRequestPerConnection) {
  Stack s(Env{{"WEB_KEEPALIVE_MS", "0"}});
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  auto a = c.request(post_req("helo\n"));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("connection"), "close");
  EXPECT_TRUE(c.closed_by_server(seconds(2)));
}

// Idle keep-alive clients hold no server thread: with 2 threads and 6 idle
// connections, a new client is still served at once, and so are the idle
// ones when they come back.
TEST(KeepAlive, IdleConnectionsDoNotHoldServerThreads) {
  Stack s(Env{{"WEB_THREADS", "2"}, {"WEB_KEEPALIVE_MS", "20000"}});
  s.start_processor();
  s.start_web();
  std::vector<std::unique_ptr<HttpConnection>> idle;
  for (int i = 0; i < 6; ++i) {
    idle.push_back(std::make_unique<HttpConnection>(s.port()));
    ASSERT_EQ(idle.back()->request(kGet).status, 200);
  }
  auto t0 = steady_clock::now();
  auto a = s.post("helo\n");
  EXPECT_EQ(a.status, 200);
  EXPECT_LT(steady_clock::now() - t0, seconds(3));
  for (auto &c : idle) {
    auto b = c->request(post_req("wrld\n"), seconds(5));
    EXPECT_EQ(b.status, 200);
    EXPECT_EQ(b.body, aspell_direct("wrld\n"));
  }
}

// Two requests in one write: the first is answered; the second is answered
// too or the connection is closed (the client then sends it again). Never a
// hang, never a mixed-up answer.
TEST(KeepAlive, PipelinedRequestsNeverHangOrMix) {
  Stack s;
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  auto first = c.request(post_req("helo\n") + post_req("wrld\n"), seconds(10));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body, aspell_direct("helo\n"));
  auto second = c.request("", seconds(3));
  if (second.status != 0) {
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(second.body, aspell_direct("wrld\n"));
  } else {
    EXPECT_TRUE(c.closed_by_server(seconds(1)));
  }
}

// A GET with a body (httplib does not read it) or an unparsable request
// leaves the framing unknown: the connection ends after the answer, so the
// leftover bytes are never taken for a request.
TEST(KeepAlive, UnreadBodyOrBadRequestEndsTheConnection) {
  Stack s;
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  auto a = c.request("GET /limits HTTP/1.1\r\nHost: x\r\nContent-Length: 34\r\n\r\n");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("connection"), "close") << "the answer says the connection ends";
  EXPECT_NE(a.body.find("max_body_bytes"), std::string::npos) << a.body;
  // The promised body comes after the answer, in its own segment.
  std::string body = "GET /version HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(body.size(), 34u);
  (void)::send(c.fd(), body.data(), body.size(), MSG_NOSIGNAL);
  EXPECT_EQ(c.request("", seconds(2)).status, 0) << "the body was served as a request";
  EXPECT_TRUE(c.closed_by_server(seconds(2)));

  HttpConnection bad(s.port());
  auto b = bad.request("BLAH\r\n\r\n");
  EXPECT_EQ(b.status, 400);
  EXPECT_EQ(b.header("connection"), "close");
  EXPECT_TRUE(bad.closed_by_server(seconds(2)));

  // An answer to a request the application refused (bad JSON) keeps the
  // connection: its body was read in full.
  HttpConnection app(s.port());
  std::string json = "{not json";
  auto c400 = app.request("POST /check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: " +
                          std::to_string(json.size()) + "\r\n\r\n" + json);
  EXPECT_EQ(c400.status, 400) << c400.body;
  EXPECT_NE(c400.header("connection"), "close");
  EXPECT_EQ(app.request(kGet).status, 200);
}

TEST(KeepAlive, ParkedConnectionsLeakNothingAndDoNotDelayShutdown) {
  Stack s(Env{{"WEB_KEEPALIVE_MS", "60000"}});
  s.start_processor();
  s.start_web();
  // Warm up, then take the baseline.
  {
    HttpConnection w(s.port());
    ASSERT_EQ(w.request(kGet).status, 200);
  }
  int base = settled_fd_count(s.web().pid()); // the warm-up connection's hang-up is seen
  {
    std::vector<std::unique_ptr<HttpConnection>> conns;
    for (int i = 0; i < 10; ++i) {
      conns.push_back(std::make_unique<HttpConnection>(s.port()));
      for (int j = 0; j < 5; ++j)
        ASSERT_EQ(conns.back()->request(post_req("helo\n")).status, 200);
    }
  } // clients close: the watcher sees the hang-ups and closes its ends
  EXPECT_TRUE(eventually([&] { return count_fds(s.web().pid()) <= base; }, seconds(3)));

  std::vector<std::unique_ptr<HttpConnection>> parked;
  for (int i = 0; i < 5; ++i) {
    parked.push_back(std::make_unique<HttpConnection>(s.port()));
    ASSERT_EQ(parked.back()->request(kGet).status, 200);
  }
  auto t0 = steady_clock::now();
  s.web().signal(SIGTERM);
  auto st = s.web().wait(seconds(5));
  ASSERT_TRUE(st.has_value()) << "web did not exit with parked connections";
  EXPECT_LT(steady_clock::now() - t0, seconds(3));
  for (auto &c : parked)
    EXPECT_TRUE(c->closed_by_server(seconds(1)));
}

// A HEAD answer is the head alone: no body bytes follow it (the web holds a
// head back only when a body follows), and the connection carries on with
// the next request.
TEST(KeepAlive, HeadAnswersHaveNoBodyAndTheConnectionGoesOn) {
  Stack s;
  s.start_processor();
  s.start_web();
  HttpConnection c(s.port());
  std::string head = "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(c.fd(), head.data(), head.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(head.size()));
  std::string got;
  char buf[4096];
  auto until = steady_clock::now() + seconds(10);
  while (got.find("\r\n\r\n") == std::string::npos && steady_clock::now() < until) {
    pollfd p{c.fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    ssize_t n = ::recv(c.fd(), buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(got.substr(0, 15), "HTTP/1.1 200 OK") << got;
  EXPECT_NE(got.find("Content-Length: "), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), ""); // no body bytes
  auto a = c.request(post_req("helo wrld\n"));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, aspell_direct("helo wrld\n"));
}
