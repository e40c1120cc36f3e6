// Message framing by RFC 9112: each ambiguous shape is refused with 400 (501
// for an unknown transfer coding) and the connection closed, so no second
// request can be cut out of the body. Raw bytes over a real socket.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace fgtest;
using namespace std::chrono;

namespace {

struct Transcript {
  std::string bytes;   // everything the server sent
  bool closed = false; // the server closed the connection
  int answers() const {
    int n = 0;
    for (size_t p = bytes.find("HTTP/1.1 "); p != std::string::npos;
         p = bytes.find("HTTP/1.1 ", p + 1))
      ++n;
    return n;
  }
  int status() const { return bytes.size() >= 12 ? std::stoi(bytes.substr(9, 3)) : 0; }
};

// Sends `raw` at once and collects what comes back until the server closes
// or `quiet` passes without a byte.
Transcript send_raw(int port, const std::string &raw, milliseconds quiet = milliseconds(1500)) {
  Transcript t;
  int fd = connect_loopback(port);
  if (fd < 0)
    return t;
  // The server may close before taking every byte: that is its right here.
  (void)::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0)
      break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      t.closed = true;
      break;
    }
    t.bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return t;
}

// A second request hidden where a lenient parser would look for the next one.
const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

struct Shape {
  const char *name;
  std::string request;
  int status;
};

std::vector<Shape> shapes() {
  const std::string head = "POST /process HTTP/1.1\r\nHost: x\r\n";
  return {
      {"length-and-chunked",
       head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled, 400},
      {"chunked-and-length",
       head + "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n" + kSmuggled, 400},
      {"two-different-lengths",
       head + "Content-Length: 5\r\nContent-Length: 40\r\n\r\nhelo\n" + kSmuggled, 400},
      {"repeated-same-length",
       head + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhelo\n" + kSmuggled, 400},
      {"list-length", head + "Content-Length: 5, 5\r\n\r\nhelo\n" + kSmuggled, 400},
      {"signed-length", head + "Content-Length: +5\r\n\r\nhelo\n" + kSmuggled, 400},
      {"space-before-colon", head + "Content-Length : 5\r\n\r\nhelo\n" + kSmuggled, 400},
      {"tab-before-colon", head + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n" + kSmuggled, 400},
      {"obsolete-line-folding",
       head + "X-A: a\r\n  folded\r\nContent-Length: 5\r\n\r\nhelo\n" + kSmuggled, 400},
      {"negative-chunk-size",
       head + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhelo\n\r\n0\r\n\r\n" + kSmuggled, 400},
      {"chunk-size-not-hex",
       head + "Transfer-Encoding: chunked\r\n\r\n5g\r\nhelo\n\r\n0\r\n\r\n" + kSmuggled, 400},
      {"chunk-size-overflows",
       head + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhelo\n\r\n0\r\n\r\n" +
           kSmuggled,
       400},
      {"chunk-without-crlf",
       head + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelo\nXX0\r\n\r\n" + kSmuggled, 400},
      {"gzip-transfer-coding",
       head + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + kSmuggled, 501},
      {"identity-transfer-coding", head + "Transfer-Encoding: identity\r\n\r\n" + kSmuggled, 501},
  };
}

class Framing : public ::testing::Test {
protected:
  void SetUp() override {
    s.start_processor();
    s.start_web();
  }
  Stack s;
};

} // namespace

TEST_F(Framing, EveryAmbiguousShapeIsRefusedAndClosesTheConnection) {
  for (const Shape &shape : shapes()) {
    SCOPED_TRACE(shape.name);
    Transcript t = send_raw(s.port(), shape.request);
    EXPECT_EQ(t.status(), shape.status) << t.bytes;
    EXPECT_NE(t.bytes.find("Connection: close\r\n"), std::string::npos) << t.bytes;
    EXPECT_TRUE(t.closed) << "the server keeps a connection whose framing is in doubt";
    EXPECT_EQ(t.answers(), 1) << "a second request was parsed out of the body:\n" << t.bytes;
  }
  std::string log = s.web_log();
  EXPECT_EQ(log.find("/smuggled"), std::string::npos) << log;
  // Each refusal is logged with a request id and the reason.
  EXPECT_NE(log.find(" - - 400 0ms in=0B out=0B reason=\"both Content-Length and "
                     "Transfer-Encoding"),
            std::string::npos)
      << log;
  // The server is unharmed.
  auto ok = s.post("helo\n");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, aspell_direct("helo\n"));
}

// The control: with sound framing the very same pipelined bytes are a second
// request, and the web answers it, so the test above would see one.
TEST_F(Framing, SoundFramingKeepsTheConnectionAndServesThePipelinedRequest) {
  const std::string head = "POST /process HTTP/1.1\r\nHost: x\r\n";
  for (const std::string &first :
       {head + "Transfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\no\n\r\n0\r\n\r\n",
        head + "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhelo\n\r\n0\r\nX-Trailer: 1\r\n\r\n",
        head + "Content-Length: 5\r\n\r\nhelo\n", head + "content-length:5\r\n\r\nhelo\n"}) {
    Transcript t = send_raw(
        s.port(), first + "GET /smuggled HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(t.status(), 200) << t.bytes;
    EXPECT_EQ(t.answers(), 2) << t.bytes;
    EXPECT_TRUE(t.closed);
    EXPECT_NE(t.bytes.find("HTTP/1.1 404"), std::string::npos) << t.bytes;
    EXPECT_NE(t.bytes.find(aspell_direct("helo\n")), std::string::npos) << t.bytes;
  }
  EXPECT_NE(s.web_log().find("GET /smuggled 404"), std::string::npos) << s.web_log();
}
