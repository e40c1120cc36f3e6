// The line cache on the real web and worker: every answer with the cache is
// byte for byte the answer without it, on /process, /check and /v2/check;
// only lines not seen reach a worker; a personal dictionary turns it off.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>

using namespace fgtest;
using namespace std::chrono;

namespace {

std::string form_escape(const std::string &v) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v)
    out += std::isalnum(c) ? std::string(1, static_cast<char>(c))
                           : std::string("%") + hex[c >> 4] + hex[c & 15];
  return out;
}

// The texts an editor would send while someone types: the same document
// with one line changed each time, and lines an ispell command could take
// for commands, empty lines, UTF-8.
std::vector<std::string> edits() {
  std::string base = gpl3().substr(0, 6000);
  base += "\n*star line\n&amp line\n#hash line\n!bang\n~tilde\n+plus\n-minus\n@at\n%pct\n^caret\n"
          "\n\nnaïve café wörld 😀 speling\n  leading spaces and a tset\n";
  std::vector<std::string> out = {base, base};
  for (int i = 0; i < 6; ++i) {
    std::string t = base;
    size_t at = t.find('\n', 200 + static_cast<size_t>(i) * 700);
    t.insert(at, " typo" + std::to_string(i) + " wrod");
    out.push_back(t);
  }
  out.push_back(base.substr(0, base.size() - 1)); // no final newline
  out.push_back("");
  out.push_back("\n\n\n");
  return out;
}

uint64_t metric(const Stack &s, const std::string &name) {
  auto m = http_get(s.port(), "/metrics");
  std::smatch hit;
  std::regex re("\n" + name + " ([0-9]+)\n");
  return std::regex_search(m.body, hit, re) ? std::stoull(hit[1]) : UINT64_MAX;
}

// /check's JSON without what differs per request.
std::string check_body(const std::string &body) {
  auto j = nlohmann::json::parse(body);
  j.erase("request_id");
  j.erase("duration_ms");
  return j.dump();
}

void compare(Stack &cached, Stack &plain, const std::string &lang, size_t texts = SIZE_MAX) {
  std::string q = lang.empty() ? "" : "?lang=" + lang;
  auto all = edits();
  all.resize(std::min(texts, all.size()));
  for (const auto &text : all) {
    auto a = http_post(cached.port(), "/process" + q, text);
    auto b = http_post(plain.port(), "/process" + q, text);
    ASSERT_EQ(a.status, 200) << a.body;
    ASSERT_EQ(a.status, b.status);
    EXPECT_EQ(a.body, b.body) << "/process, " << text.size() << " bytes";
    EXPECT_EQ(a.header("content-type"), b.header("content-type"));
    auto ca = http_post(cached.port(), "/check" + q, text);
    auto cb = http_post(plain.port(), "/check" + q, text);
    ASSERT_EQ(ca.status, 200) << ca.body;
    EXPECT_EQ(check_body(ca.body), check_body(cb.body));
    std::string form = "language=" + (lang.empty() ? "auto" : lang) + "&text=" + form_escape(text);
    auto va = http_post(cached.port(), "/v2/check", form);
    auto vb = http_post(plain.port(), "/v2/check", form);
    ASSERT_EQ(va.status, 200) << va.body;
    EXPECT_EQ(va.body, vb.body);
  }
}

} // namespace

TEST(CachedAnswers, AnswersAreByteIdenticalWithAndWithoutIt) {
  Stack cached(Env{{"WEB_CACHE_BYTES", "16777216"}});
  Stack plain;
  for (Stack *s : {&cached, &plain}) {
    s->start_processor();
    s->start_web();
  }
  compare(cached, plain, "");
  compare(cached, plain, "en_GB");
  // Most lines came from the cache; the uncached web has none.
  EXPECT_GT(metric(cached, "fifogate_line_cache_hits_total"),
            5 * metric(cached, "fifogate_line_cache_misses_total"));
  EXPECT_EQ(metric(plain, "fifogate_line_cache_hits_total"), 0u);
  EXPECT_GT(metric(cached, "fifogate_line_cache_entries"), 100u);
  // A hit still has its request id and access line, and says it was a hit.
  auto again = http_post(cached.port(), "/process", edits()[0]);
  std::string id = again.header("x-request-id");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(eventually(
      [&] {
        auto log = cached.web_log();
        size_t at = log.find("req=" + id);
        return at != std::string::npos && log.find("cache=hit", at) < log.find('\n', at);
      },
      seconds(5)))
      << cached.web_log().substr(0, 3000);
}

TEST(CachedAnswers, HunspellsAnswersToo) {
  Env env{{"PROC_COMMAND", "hunspell -a -d en_US"}};
  Stack plain(env);
  env["WEB_CACHE_BYTES"] = "16777216";
  Stack cached(env);
  for (Stack *s : {&cached, &plain}) {
    s->start_processor();
    s->start_web();
  }
  compare(cached, plain, "", 3); // hunspell starts slowly: the text, again, one edit
  EXPECT_GT(metric(cached, "fifogate_line_cache_hits_total"), 0u);
}

TEST(CachedAnswers, APersonalDictionaryTurnsItOff) {
  Stack s(Env{{"WEB_CACHE_BYTES", "16777216"}});
  std::string home = s.dir() + "/home";
  ASSERT_EQ(::mkdir(home.c_str(), 0700), 0);
  write_file(home + "/.aspell.en.pws", "personal_ws-1.1 en 1\nwrod\n");
  s.start_processor(Env{{"HOME", home}});
  s.start_web();
  for (int i = 0; i < 3; ++i) {
    auto a = http_post(s.port(), "/process", "a wrod and a tset\n");
    ASSERT_EQ(a.status, 200);
    // The personal word is known: the answer is the command's own, each time.
    EXPECT_EQ(a.body.find("& wrod"), std::string::npos) << a.body;
  }
  EXPECT_EQ(metric(s, "fifogate_line_cache_hits_total"), 0u);
  EXPECT_EQ(metric(s, "fifogate_line_cache_entries"), 0u);
}

TEST(CachedAnswers, OnlyUnseenLinesReachAWorker) {
  Stack s(Env{{"WEB_CACHE_BYTES", "16777216"}});
  s.start_processor();
  s.start_web();
  std::string text = gpl3().substr(0, 20000);
  ASSERT_EQ(http_post(s.port(), "/process", text).status, 200);
  uint64_t misses = metric(s, "fifogate_line_cache_misses_total");
  // The same text again, then with one line changed: one line is sent.
  auto again = http_post(s.port(), "/process", text);
  EXPECT_EQ(metric(s, "fifogate_line_cache_misses_total"), misses);
  std::string changed = text;
  changed.insert(changed.find('\n', 5000), " and a wrod");
  auto one = http_post(s.port(), "/process", changed);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(metric(s, "fifogate_line_cache_misses_total"), misses + 1);
  EXPECT_NE(one.body.find("& wrod"), std::string::npos);
}
