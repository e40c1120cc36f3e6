// WEB_TOKEN and WEB_CORS_ORIGINS against the running web.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <sys/wait.h>

using namespace fgtest;
using namespace std::chrono;

TEST(Access, TheTokenGuardsTheWorkRoutesAndNeverReachesTheLog) {
  Stack s(Env{{"WEB_TOKEN", "tok-7f3a9"}});
  s.start_processor();
  s.start_web();
  for (const char *path : {"/process", "/check"}) {
    auto none = http_post(s.port(), path, "helo\n");
    EXPECT_EQ(none.status, 401) << path;
    EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"fifogate\"");
    EXPECT_NE(none.body.find("Authorization: Bearer"), std::string::npos) << none.body;
    auto wrong = http_post(s.port(), path, "helo\n", {{"Authorization", "Bearer tok-7f3a8"}});
    EXPECT_EQ(wrong.status, 401) << path;
  }
  auto ok = s.post("helo\n", {{"Authorization", "Bearer tok-7f3a9"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, aspell_direct("helo\n"));
  for (const char *path : {"/metrics", "/version", "/languages"})
    EXPECT_EQ(http_get(s.port(), path).status, 401) << path;
  // Probes and the page's shell need no token.
  EXPECT_EQ(http_get(s.port(), "/healthz").status, 200);
  EXPECT_EQ(http_get(s.port(), "/").status, 200);
  auto limits = http_get(s.port(), "/limits");
  EXPECT_EQ(limits.status, 200);
  EXPECT_NE(limits.body.find("\"token_required\":true"), std::string::npos) << limits.body;
  EXPECT_EQ(limits.body.find("tok-7f3a9"), std::string::npos);
  // An unauthorised body is not read: a large promised body gets 401 at once.
  auto big = http_raw(
      s.port(), "POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n", seconds(5));
  EXPECT_EQ(big.status, 401);
  EXPECT_EQ(s.web_log().find("tok-7f3a9"), std::string::npos) << "the token is never logged";
}

TEST(Access, ABadCorsSettingFailsAtStartUp) {
  Stack s;
  Env e = s.env();
  e["WEB_CORS_ORIGINS"] = "example.org";
  Proc web(FIFOGATE_WEB_BIN, {}, e, s.dir() + "/bad.log");
  auto st = web.wait(seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 100);
  std::string log = read_file(s.dir() + "/bad.log");
  EXPECT_NE(log.find("WEB_CORS_ORIGINS: \"example.org\" is not an origin"), std::string::npos)
      << log;
}

TEST(Access, CorsHeadersOnlyForListedOrigins) {
  Stack s(Env{{"WEB_CORS_ORIGINS", "https://app.example"}, {"WEB_TOKEN", "t0k"}});
  s.start_processor();
  s.start_web();
  std::string preflight = "OPTIONS /process HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n"
                          "Access-Control-Request-Method: POST\r\n"
                          "Access-Control-Request-Headers: authorization, content-type\r\n\r\n";
  auto pf = http_raw(s.port(), preflight);
  EXPECT_EQ(pf.status, 204) << pf.body;
  EXPECT_EQ(pf.header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(pf.header("access-control-allow-methods"), "POST");
  EXPECT_NE(pf.header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_EQ(pf.header("vary"), "Origin");
  // Another origin's preflight gets no CORS headers: its page may not call.
  std::string other = preflight;
  other.replace(other.find("https://app.example"), 19, "https://evil.example");
  auto no = http_raw(s.port(), other);
  EXPECT_EQ(no.status, 405);
  EXPECT_EQ(no.header("access-control-allow-origin"), "");
  auto a = s.post("helo\n", {{"Origin", "https://app.example"}, {"Authorization", "Bearer t0k"}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(a.header("access-control-expose-headers").find("X-Request-Id"), std::string::npos);
  auto denied = s.post("helo\n", {{"Origin", "https://app.example"}});
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.header("access-control-allow-origin"), "https://app.example")
      << "the page can read why it was refused";
  auto b = s.post("helo\n", {{"Origin", "https://evil.example"}, {"Authorization", "Bearer t0k"}});
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.header("access-control-allow-origin"), "");
}

TEST(Access, WithoutCorsOriginsThereAreNoCorsHeaders) {
  Stack s;
  s.start_processor();
  s.start_web();
  auto a = s.post("helo\n", {{"Origin", "https://app.example"}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("access-control-allow-origin"), "");
  EXPECT_EQ(a.header("vary"), "");
}
