// The HTTP edge: methods, paths, limits and hostile input; each behaviour is
// tested whether cpp-httplib or our own guard provides it.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace fgtest;
using namespace std::chrono;

class HttpEdge : public ::testing::Test {
protected:
  void SetUp() override {
    s.set("MAX_BODY_BYTES", "1000");
    s.start_processor();
    s.start_web();
  }
  Stack s;
};

TEST_F(HttpEdge, FormPageAndMethodsAndPaths) {
  auto page = http_get(s.port(), "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<textarea"), std::string::npos);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  auto get = http_get(s.port(), "/process");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("allow"), "POST");
  EXPECT_EQ(http_get(s.port(), "/nope").status, 404);
  EXPECT_EQ(http_post(s.port(), "/nope", "x").status, 404);
}

TEST_F(HttpEdge, BodyLimitByContentLengthAnswersWithoutReadingTheBody) {
  auto t0 = steady_clock::now();
  // The client promises 10 MB and sends none of it: 413 must come anyway.
  auto a =
      http_raw(s.port(), "POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n",
               seconds(5));
  EXPECT_EQ(a.status, 413);
  EXPECT_NE(a.body.find("MAX_BODY_BYTES=1000"), std::string::npos) << a.body;
  EXPECT_LT(steady_clock::now() - t0, seconds(3));
  EXPECT_EQ(s.post(std::string(1000, 'a')).status, 200);
  EXPECT_EQ(s.post(std::string(1001, 'a')).status, 413);
}

TEST_F(HttpEdge, ChunkedBodyCannotPassTheLimit) {
  std::string chunk(500, 'a');
  std::string req = "POST /process HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i)
    req += "1f4\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  EXPECT_EQ(http_raw(s.port(), req).status, 413);
  std::string small = "POST /process HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                      "chunked\r\n\r\n5\r\nhelo\n\r\n0\r\n\r\n";
  auto ok = http_raw(s.port(), small);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, aspell_direct("helo\n"));
}

TEST_F(HttpEdge, Expect100ContinueOverTheLimitIs413) {
  auto a = http_raw(
      s.port(),
      "POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
      seconds(5));
  EXPECT_EQ(a.status, 413);
}

TEST_F(HttpEdge, CompressedBodiesAreRefused) {
  // 0.11.4 would inflate this without any limit.
  auto a = s.post("\x1f\x8b\x08\x00", {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(a.status, 415);
}

TEST_F(HttpEdge, HeaderFloodsAreRefused) {
  std::string many = "POST /process HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 200; ++i)
    many += "X-H" + std::to_string(i) + ": v\r\n";
  auto refused = http_raw(s.port(), many + "Content-Length: 2\r\n\r\nok");
  EXPECT_EQ(refused.status, 431);
  // Answered before httplib parsed it, yet with the id its log line shows.
  std::string id = refused.header("x-request-id");
  EXPECT_EQ(id.size(), 16u) << id;
  EXPECT_TRUE(eventually(
      [&] { return s.web_log().find("req=" + id + " - - 431") != std::string::npos; }, seconds(2)))
      << s.web_log();
  std::string flood = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20000; ++i)
    flood += "X-A: b\r\n";
  EXPECT_EQ(http_raw(s.port(), flood + "\r\n").status, 431);
  EXPECT_EQ(http_get(s.port(), "/").status, 200);
  // Refused before httplib parsed them, but logged like any other answer.
  EXPECT_TRUE(
      eventually([&] { return s.web_log().find(" 431 0ms") != std::string::npos; }, seconds(2)))
      << s.web_log();
}

// Answers are whole. httplib 0.11.4 would cut a 200 answer to a Range the
// client asked for (the first 10 bytes of aspell's answer, still "200 OK").
TEST_F(HttpEdge, ARangeHeaderIsIgnored) {
  auto a = s.post("helo wrld\n", {{"Range", "bytes=0-9"}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, aspell_direct("helo wrld\n"));
  auto page = http_raw(s.port(), "GET / HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9, 20-29\r\n"
                                 "Connection: close\r\n\r\n");
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(page.body == http_get(s.port(), "/").body) << page.body.substr(0, 300);
  EXPECT_EQ(page.header("content-range"), "");
}

TEST_F(HttpEdge, OptionsIsAMethodThePathDoesNotTake) {
  auto a = http_raw(s.port(), "OPTIONS /process HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(a.status, 405) << a.body;
  EXPECT_EQ(a.header("allow"), "POST");
  EXPECT_EQ(http_raw(s.port(), "OPTIONS / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .header("allow"),
            "GET");
}

// httplib 0.11.4 parses TRACE and CONNECT but routes them nowhere: it
// answered a bare 400, as if the request were malformed.
TEST_F(HttpEdge, TraceAndConnectAreMethodsNoPathTakes) {
  auto t = http_raw(s.port(), "TRACE /process HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(t.status, 405) << t.body;
  EXPECT_EQ(t.header("allow"), "POST");
  auto c = http_raw(s.port(), "CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n");
  EXPECT_EQ(c.status, 404) << c.body;
  EXPECT_EQ(c.header("connection"), "close");
  EXPECT_EQ(http_get(s.port(), "/healthz").status, 200);
}

// HTTP/1.1: a request with neither Content-Length nor Transfer-Encoding has
// no body. httplib 0.11.4 read one until the client closed (5 s, then 400).
TEST_F(HttpEdge, APostWithoutALengthHasAnEmptyBodyAndIsAnsweredAtOnce) {
  HttpConnection c(s.port());
  auto a = c.request("POST /process HTTP/1.1\r\nHost: x\r\n\r\n", seconds(2));
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, aspell_direct(""));
  auto h = c.request("POST /healthz HTTP/1.1\r\nHost: x\r\n\r\n", seconds(2));
  EXPECT_EQ(h.status, 405) << h.body;
}

TEST_F(HttpEdge, ATransferCodingOtherThanChunkedIs501AtOnce) {
  HttpConnection c(s.port());
  auto a = c.request(
      "POST /process HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", seconds(2));
  EXPECT_EQ(a.status, 501) << a.body;
  EXPECT_EQ(a.header("connection"), "close");
}

// Only POST /process and /check take a body: any other request's body is
// left unread (httplib read a chunked one whole, without limit, to answer
// 404). The answer comes before the body is complete.
TEST_F(HttpEdge, ABodyForAPathThatTakesNoneIsNotRead) {
  std::string chunk = "5\r\nhello\r\n"; // and never the last chunk
  for (std::string head :
       {"POST /nosuch HTTP/1.1", "POST /healthz HTTP/1.1", "PUT /process HTTP/1.1"}) {
    HttpConnection c(s.port());
    auto a =
        c.request(head + "\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk, seconds(2));
    EXPECT_EQ(a.status, head.find("nosuch") != std::string::npos ? 404 : 405) << head << a.body;
    EXPECT_EQ(a.header("connection"), "close") << head;
  }
}

// 414 and 416 are answered before routing: the body that came with the
// head must not be taken for the next request on the connection.
TEST_F(HttpEdge, ABodyLeftUnreadByAnEarlyRefusalIsNeverTakenForARequest) {
  std::string smuggled = "GET /nosuch HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string len = "Content-Length: " + std::to_string(smuggled.size()) + "\r\n";
  for (std::string head : {"POST /process HTTP/1.1\r\nHost: x\r\nRange: bytes=abc\r\n" + len,
                           "POST /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n" + len}) {
    HttpConnection c(s.port());
    auto a = c.request(head + "\r\n" + smuggled, seconds(2));
    EXPECT_TRUE(a.status == 414 || a.status == 416) << a.status;
    EXPECT_EQ(a.header("connection"), "close");
    auto b = c.request("", seconds(2));
    EXPECT_EQ(b.status, 0) << "the body was served as a request: " << b.status;
    EXPECT_TRUE(c.closed_by_server(seconds(2)));
  }
}

TEST_F(HttpEdge, AnswersAreNeverCompressed) {
  auto a = s.post("helo wrld\n", {{"Accept-Encoding", "br, gzip, deflate"}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("content-encoding"), "");
  EXPECT_EQ(a.body, aspell_direct("helo wrld\n"));
}

// A connection that says nothing waits with the watcher, not on a server
// thread: more silent connections than threads do not stall anyone.
TEST(HttpEdgeThreads, SilentNewConnectionsHoldNoThread) {
  Stack s(Env{{"WEB_THREADS", "2"}});
  s.start_processor();
  s.start_web();
  int before = count_fds(s.web().pid());
  std::vector<std::unique_ptr<HttpConnection>> silent;
  for (int i = 0; i < 4; ++i)
    silent.push_back(std::make_unique<HttpConnection>(s.port()));
  // Accepted: the web holds them.
  ASSERT_TRUE(eventually([&] { return count_fds(s.web().pid()) >= before + 4; }, seconds(5)));
  auto t0 = steady_clock::now();
  auto a = http_get(s.port(), "/healthz");
  EXPECT_EQ(a.status, 200);
  EXPECT_LT(steady_clock::now() - t0, seconds(2));
  // They are still served when they speak.
  auto b = silent[0]->request("GET /version HTTP/1.1\r\nHost: x\r\n\r\n", seconds(5));
  EXPECT_EQ(b.status, 200);
}

TEST_F(HttpEdge, UrlEncodedContentTypeIsStillText) {
  // curl --data-binary @file sends this type: a text that is not in form
  // encoding (spaces, line breaks) is taken as it is, at any size.
  Stack big(Env{{"MAX_BODY_BYTES", "100000"}});
  big.start_processor();
  big.start_web();
  std::string text = gpl3().substr(0, 20000);
  auto a = big.post(text, {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, aspell_direct(text));
}

TEST_F(HttpEdge, JunkBytesAre400AndTheServerCarriesOn) {
  auto nul = s.post(std::string("good\0helo wrld\n", 15));
  EXPECT_EQ(nul.status, 400);
  EXPECT_NE(nul.body.find("NUL byte at byte 4"), std::string::npos) << nul.body;
  auto bad = s.post("caf\xe9 ok\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("invalid UTF-8 at byte 3"), std::string::npos) << bad.body;
  auto fine = s.post("helo\n");
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.body, aspell_direct("helo\n"));
}

TEST_F(HttpEdge, GarbageRequestLines) {
  auto tls = http_raw(s.port(), "\x16\x03\x01 not http at all\r\n\r\n");
  EXPECT_EQ(tls.status, 400);
  EXPECT_NE(tls.body.find("not valid HTTP/1.1"), std::string::npos) << "says why: " << tls.body;
  auto long_target = http_raw(s.port(), "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(long_target.status, 414);
  EXPECT_NE(long_target.body.find("over 8192 bytes"), std::string::npos) << long_target.body;
  http_raw(s.port(), "", milliseconds(100)); // connect and close
  EXPECT_EQ(http_get(s.port(), "/").status, 200);
}
