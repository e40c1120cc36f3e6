// Bytes in, bytes out: a command whose input or output is not text
// (gzip, sha256sum) round-trips byte for byte, through the raw answer and
// through the JSON one, and the answer is labelled for what it is.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>

using namespace fgtest;
using namespace std::chrono;

namespace {

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto &c : out)
    c = static_cast<char>(gen() & 0xff);
  return out;
}

} // namespace

TEST(Bytes, ATenMegabyteBinaryBodyRoundTripsThroughGzip) {
  Stack s(Env{{"PROC_NAME", "gz"}, {"PROC_COMMAND", "gzip -c -1"}});
  s.start_processor();
  s.start_web({{"WEB_DEFAULT_PROCESSOR", "gz"}});
  std::string body = random_bytes(10 * 1024 * 1024, 1);
  auto a = http_post(s.port(), "/process/gz", body, {}, seconds(60));
  ASSERT_EQ(a.status, 200) << a.body.substr(0, 300);
  EXPECT_EQ(a.header("content-type"), "application/octet-stream");
  EXPECT_EQ(a.header("x-content-type-options"), "nosniff");
  std::string back = run_capture({"gzip", "-dc"}, a.body);
  EXPECT_EQ(back.size(), body.size());
  EXPECT_TRUE(back == body) << "the bytes changed on the way";
}

TEST(Bytes, TheJsonAnswerCarriesBytesThatAreNotTextAsBase64) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'gzip -c; printf \"warn\\377\\000\" >&2'"},
              {"PROC_PROTOCOL", "raw"}});
  s.start_processor();
  s.start_web();
  std::string body = random_bytes(10 * 1024 * 1024, 2) + std::string("\0tail\n", 6);
  auto a = http_post(s.port(), "/process", body, {{"Accept", "application/json"}}, seconds(60));
  ASSERT_EQ(a.status, 200) << a.body.substr(0, 300);
  auto j = nlohmann::json::parse(a.body);
  EXPECT_TRUE(j["stdout"].is_null()) << "never text with bytes replaced";
  EXPECT_EQ(j["stdout_encoding"], "base64");
  std::string gz = run_capture({"base64", "-d"}, j["stdout_base64"].get<std::string>());
  EXPECT_TRUE(run_capture({"gzip", "-dc"}, gz) == body);
  EXPECT_EQ(j["stderr_encoding"], "base64");
  EXPECT_EQ(run_capture({"base64", "-d"}, j["stderr_base64"].get<std::string>()),
            std::string("warn\377\0", 6));
  // Text stays text.
  Stack t(Env{{"PROC_COMMAND", "sha256sum"}});
  t.start_processor();
  t.start_web();
  auto b = http_post(t.port(), "/process", body, {{"Accept", "application/json"}});
  auto jb = nlohmann::json::parse(b.body);
  EXPECT_EQ(jb["stdout_encoding"], "utf-8");
  EXPECT_EQ(jb["stdout"], run_capture({"sha256sum"}, body));
  EXPECT_EQ(jb.count("stdout_base64"), 0u);
  auto raw = http_post(t.port(), "/process", body);
  EXPECT_EQ(raw.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(raw.body, run_capture({"sha256sum"}, body));
}

TEST(Bytes, TheAnswersTypeIsTheProcessorsSetting) {
  Stack s(Env{{"PROC_COMMAND", "gzip -c"}, {"PROC_CONTENT_TYPE", "application/gzip"}});
  s.start_processor();
  s.start_web();
  auto a = s.post("hello\n");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.header("content-type"), "application/gzip");
  EXPECT_EQ(run_capture({"gzip", "-dc"}, a.body), "hello\n");
}
