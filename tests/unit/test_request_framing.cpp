// Where a request head ends and how its body is framed (RFC 9112), decided
// from raw bytes before cpp-httplib sees them.
#include "access_control.hpp"
#include "request_framing.hpp"
#include <gtest/gtest.h>

using namespace fifogate;

namespace {
Framing framing(const std::string &headers) {
  return check_framing("POST /process HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
}
} // namespace

TEST(RequestFraming, TheHeadEndsAtTheFirstEmptyLine) {
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nHost: x\r\n").length, 0u);
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY").length, 27u);
  EXPECT_EQ(scan_head("GET / HTTP/1.1\nHost: x\n\nBODY").length, 24u);
  EXPECT_FALSE(scan_head("GET / HTTP/1.1\r\n").error);
}

TEST(RequestFraming, AHeadTooLargeOrWithTooManyLinesIs431EvenBeforeItEnds) {
  std::string big = "GET / HTTP/1.1\r\nX-A: " + std::string(kMaxHeadBytes, 'a');
  EXPECT_EQ(scan_head(big).error.status, 431);
  std::string many = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i < kMaxHeaderLines + 2; ++i)
    many += "X-A: b\r\n";
  EXPECT_EQ(scan_head(many).error.status, 431);
}

TEST(RequestFraming, BodyFramingFromTheHeaders) {
  EXPECT_EQ(framing("").body, BodyFraming::none);
  auto cl = framing("Content-Length: 12\r\n");
  EXPECT_EQ(cl.body, BodyFraming::length);
  EXPECT_EQ(cl.content_length, 12u);
  EXPECT_EQ(framing("Content-Length: 0\r\n").body, BodyFraming::none);
  EXPECT_EQ(framing("transfer-encoding:  Chunked \r\n").body, BodyFraming::chunked);
  EXPECT_TRUE(framing("Expect: 100-continue\r\n").expect_continue);
}

TEST(RequestFraming, SmugglingShapesAre400) {
  for (const char *h :
       {"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 3\r\nContent-Length: 4\r\n", "Content-Length: 3\r\nContent-Length: 3\r\n",
        "Content-Length: 3, 3\r\n", "Content-Length : 3\r\n", "Content-Length: +3\r\n",
        "Content-Length: -1\r\n", "Content-Length: abc\r\n",
        "Content-Length: 99999999999999999999\r\n", "X-A: a\r\n b\r\n", "X-A: a\r\n\tb\r\n",
        "No colon here\r\n", ": empty name\r\n", "X-A: a\rb\r\n", "X(A): b\r\n"}) {
    auto f = framing(h);
    EXPECT_EQ(f.error.status, 400) << h;
    EXPECT_FALSE(f.error.reason.empty()) << h;
  }
}

TEST(RequestFraming, ATransferCodingOtherThanChunkedIs501) {
  for (const char *h : {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: gzip, chunked\r\n",
                        "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
                        "Transfer-Encoding: identity\r\n"})
    EXPECT_EQ(framing(h).error.status, 501) << h;
}

TEST(ChunkedScan, CompleteIncompleteAndTrailers) {
  EXPECT_EQ(scan_chunked("5\r\nhello\r\n0\r\n\r\n").length, 15u);
  EXPECT_EQ(scan_chunked("5\r\nhello\r\n0\r\n\r\nNEXT").length, 15u);
  EXPECT_EQ(scan_chunked("5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n").length, 29u);
  EXPECT_EQ(scan_chunked("5\r\nhel").length, 0u);
  EXPECT_EQ(scan_chunked("5\r\nhello\r\n0\r\n").length, 0u);
  EXPECT_FALSE(scan_chunked("5\r\nhel").error);
  EXPECT_EQ(scan_chunked("A\r\n0123456789\r\n1\r\nx").data_bytes, 11u);
}

TEST(ChunkedScan, BadChunkSizesAre400) {
  for (const char *b :
       {"-5\r\nhello\r\n0\r\n\r\n", "zz\r\nhello\r\n0\r\n\r\n", "FFFFFFFFFFFFFFFFFFFF\r\nx\r\n",
        "\r\nx\r\n", "5 x\r\nhello\r\n", "5\r\nhelloXY0\r\n\r\n", "0x5\r\nhello\r\n"}) {
    auto s = scan_chunked(b);
    EXPECT_EQ(s.error.status, 400) << b;
  }
  EXPECT_EQ(scan_chunked(std::string(5000, '1')).error.status, 400);
}

TEST(AccessPolicy, TheBearerTokenMustMatchExactly) {
  auto p = access_policy("s3cret", "");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->authorized("Bearer s3cret"));
  EXPECT_TRUE(p->authorized("bearer s3cret"));
  EXPECT_FALSE(p->authorized("Bearer s3cre"));
  EXPECT_FALSE(p->authorized("Bearer s3cretx"));
  EXPECT_FALSE(p->authorized("Basic s3cret"));
  EXPECT_FALSE(p->authorized(""));
  auto open = access_policy("", "");
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->authorized(""));
  EXPECT_FALSE(access_policy("two words", "").ok());
}

TEST(AccessPolicy, OriginsAreAnAllowlist) {
  auto p = access_policy("", "https://a.example, http://b.example:8080");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->origin_allowed("https://a.example"));
  EXPECT_TRUE(p->origin_allowed("http://b.example:8080"));
  EXPECT_FALSE(p->origin_allowed("https://a.example.evil"));
  EXPECT_FALSE(p->origin_allowed("http://a.example"));
  EXPECT_FALSE(p->origin_allowed(""));
  auto any = access_policy("", "*");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->origin_allowed("https://c.example"));
  EXPECT_FALSE(any->origin_allowed("null"));
  EXPECT_FALSE(access_policy("", "https://a.example/path").ok());
  EXPECT_FALSE(access_policy("", "a.example").ok());
  EXPECT_FALSE(access_policy("", "*, https://a.example").ok());
  EXPECT_FALSE(access_policy("", "://a.example").ok());
  EXPECT_FALSE(access_policy("", "HT TP://a.example").ok());
  // A browser add-on's own pages.
  auto addon = access_policy("", "chrome-extension://abcdef moz-extension://0a1b-2c3d");
  ASSERT_TRUE(addon.ok()) << addon.error().message();
  EXPECT_TRUE(addon->origin_allowed("moz-extension://0a1b-2c3d"));
  EXPECT_FALSE(access_policy("", "").value().origin_allowed("https://a.example"));
}

TEST(AccessPolicy, ConstantTimeEqualIsEquality) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_TRUE(constant_time_equal("", ""));
}
