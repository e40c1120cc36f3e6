// The answer is what `aspell -a` prints, byte for byte, for every kind of text.
#include "../support/stack.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>
#include <thread>

using namespace fgtest;
using namespace std::chrono;

TEST(Answers, OrdinaryTextEqualsAspellDirect) {
  Stack s;
  s.start_processor();
  s.start_web();
  std::string text = gpl3().substr(0, 6000) + "\nThis sentense has a speling mistake.\n";
  auto a = s.post(text);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, aspell_direct(text));
  EXPECT_EQ(a.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(a.header("x-exit-code"), "0");
  EXPECT_EQ(a.header("x-request-id").size(), 16u);
  for (std::string t :
       {std::string(""), std::string("\n\n"), std::string("no newline at end helo")}) {
    auto b = s.post(t);
    ASSERT_EQ(b.status, 200);
    EXPECT_EQ(b.body, aspell_direct(t)) << "input: " << t;
  }
}

TEST(Answers, JsonAnswerCarriesEveryField) {
  Stack s;
  s.start_processor();
  s.start_web();
  auto a = s.post("helo wrld\n", {{"Accept", "application/json"}});
  ASSERT_EQ(a.status, 200) << a.body;
  auto j = nlohmann::json::parse(a.body);
  EXPECT_EQ(j["stdout"], aspell_direct("helo wrld\n"));
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_TRUE(j["signal"].is_null());
  EXPECT_EQ(j["outcome"], "ok");
  EXPECT_EQ(j["stderr"], "");
  EXPECT_EQ(j["stderr_truncated"], false);
  EXPECT_EQ(j["request_id"], a.header("x-request-id"));
  EXPECT_TRUE(j["duration_ms"].is_number());
}

TEST(Answers, EveryLineIsTextAndNothingChangesTheServer) {
  Stack s;
  s.start_processor();
  s.start_web();
  std::string text =
      "*zzyzx\n#\n- itme\n# Heding\n@qwrty\n!\n%\n$$cr home-dir\n~\n+html\n&foo\n^bar\n\n$$ra\n";
  auto a = s.post(text);
  ASSERT_EQ(a.status, 200) << a.body;
  // One answer block, each ending in a blank line, per non-empty input line.
  size_t blank = 0, start = a.body.find('\n') + 1;
  for (size_t p = start; p < a.body.size();) {
    size_t e = a.body.find('\n', p);
    if (e == std::string::npos)
      break;
    blank += e == p;
    p = e + 1;
  }
  EXPECT_EQ(blank, 13u) << a.body;
  // Offsets count from the start of the user's line, not from the '^'.
  EXPECT_NE(a.body.find("& itme "), std::string::npos);
  EXPECT_NE(a.body.find(" 2: "), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("& Heding "), std::string::npos) << "'# Heading' was not checked";
  EXPECT_NE(a.body.find("& zzyzx "), std::string::npos) << "'*zzyzx' was taken as a command";
  EXPECT_EQ(a.body.find(s.dir()), std::string::npos) << "$$cr home-dir printed a server path";
  // Nothing was written to a personal dictionary...
  struct stat st {};
  EXPECT_NE(::stat((s.dir() + "/.aspell.en.pws").c_str(), &st), 0);
  // ...and a fresh request still finds the word misspelled.
  auto b = s.post("zzyzx\n");
  EXPECT_NE(b.body.find("& zzyzx "), std::string::npos) << b.body;
}

TEST(Answers, UnicodeWordsAreWordsWhateverTheLocale) {
  Stack s;
  s.start_processor({{"LC_ALL", "C"}, {"LANG", "C"}}); // like debian:bookworm-slim: no UTF-8 locale
  s.start_web();
  std::string text = "Zürich naïve zzüber helo\n";
  auto a = s.post(text);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, aspell_direct(text));
  EXPECT_NE(a.body.find("& zzüber "), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("& naïve 11 7:"), std::string::npos) << a.body; // offsets in characters
}

TEST(Answers, TenMegabyteBodyStreamsBothWays) {
  Stack s(Env{{"PROC_TIMEOUT_MS", "60000"}});
  s.start_processor();
  s.start_web();
  std::string text;
  std::string g = gpl3();
  while (text.size() < 10 * 1000 * 1000)
    text += g;
  auto a = http_post(s.port(), "/process", text, {}, seconds(80));
  ASSERT_EQ(a.status, 200) << a.body.substr(0, 300);
  std::string expect = aspell_direct(text);
  EXPECT_EQ(a.body.size(), expect.size());
  EXPECT_TRUE(a.body == expect);
}

TEST(Answers, SixteenConcurrentClientsGetTheirOwnAnswers) {
  Stack s;
  s.start_processor();
  s.start_web();
  const int n = 16;
  std::vector<std::string> texts(n), expected(n);
  std::vector<HttpAnswer> got(n);
  for (int i = 0; i < n; ++i) {
    std::string tag;
    for (int k = i; k >= 0; k = k / 26 - 1)
      tag += static_cast<char>('a' + k % 26);
    texts[i] = "Client number " + std::to_string(i) + " writes qzx" + tag + "vw and helo.\n" +
               std::string(static_cast<size_t>(i) * 50, 'x') + "\n";
    expected[i] = aspell_direct(texts[i]);
  }
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i)
    ts.emplace_back([&, i] { got[i] = s.post(texts[i]); });
  for (auto &t : ts)
    t.join();
  std::set<std::string> ids;
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(got[i].status, 200) << i << " " << got[i].body;
    EXPECT_EQ(got[i].body, expected[i]) << "client " << i;
    ids.insert(got[i].header("x-request-id"));
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
}

// Per-request mode leaves an ispell-style command's stdout in the pipe for
// 20 ms at a time (aspell writes one line per word). A command that writes
// fast must still be read as it writes: at one 64 KiB pipe per 20 ms, these
// 48 MB would take at least 15 s, past the command's timeout; read as they
// come they take about 0.5 s (2 s under ASan).
TEST(Answers, AFastIspellStyleProducerIsNotHeldToThePipesPace) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "under TSan the relay itself is not much faster than that pace";
#endif
  Stack s(Env{{"PROC_PROTOCOL", "ispell"},
              {"PROC_TIMEOUT_MS", "10000"},
              {"PROC_COMMAND", "sh -c 'echo \"@(#) fake ispell\"; cat >/dev/null; "
                               "yes \"*\" | head -c 48000000; echo'"}});
  s.start_processor();
  s.start_web();
  auto a = http_post(s.port(), "/process", "word\n", {}, seconds(30));
  ASSERT_EQ(a.status, 200) << a.body.substr(0, 300);
  std::string expect = "@(#) fake ispell\n";
  expect.reserve(48000000 + 32);
  for (int i = 0; i < 24000000; ++i)
    expect += "*\n";
  expect += "\n";
  EXPECT_EQ(a.body.size(), expect.size());
  EXPECT_TRUE(a.body == expect);
}

// The worker escapes a long line for the checker it found at start-up; a
// command whose banner then names the other one cannot be trusted with it.
TEST(Answers, ACheckerThatChangesItsBannerIsRefusedOnLongLines) {
  Stack s(Env{{"PROC_PROTOCOL", "ispell"},
              {"PROC_COMMAND",
               "sh -c 'if [ -e \"$HOME/seen\" ]; then echo \"@(#) X (but really Aspell 0.60.8)\"; "
               "else : >\"$HOME/seen\"; echo \"@(#) X (but really Hunspell 1.7.1)\"; fi; "
               "cat >/dev/null'"}});
  s.start_processor();
  s.start_web();
  EXPECT_NE(s.processor_log().find("checker=hunspell"), std::string::npos) << s.processor_log();
  auto short_lines = s.post("helo\n");
  EXPECT_EQ(short_lines.status, 200) << short_lines.body;
  auto long_line = s.post(std::string(9000, 'x') + "\n");
  EXPECT_EQ(long_line.status, 502) << long_line.body;
  EXPECT_NE(long_line.body.find("is not the checker the worker found at start-up"),
            std::string::npos)
      << long_line.body;
}

// ispell itself (not aspell or hunspell, which print no '?' lines) answers a
// word it can build from affixes but has no near miss for with
// "? word 0 offset: guesses". The offset counts the '^' the worker adds, as
// on '&' and '#' lines, and lost it only there: answers differed from
// `ispell -a`'s by one, and /check placed the word a column late.
TEST(Answers, IspellGuessLinesGiveTheOffsetsOfIspellItself) {
  Stack s(Env{{"PROC_COMMAND", "ispell -a -d american"}});
  s.start_processor();
  s.start_web();
  const std::string text = "helo unbreakablely xyzzy\n\nsecond quickish\n";
  auto a = s.post(text);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find("\n? unbreakablely 0 5: "), std::string::npos) << a.body;
  EXPECT_EQ(a.body, run_capture({"ispell", "-a", "-d", "american"}, text));
  auto c = http_post(s.port(), "/check", R"({"text": "helo unbreakablely"})",
                     {{"Content-Type", "application/json"}});
  ASSERT_EQ(c.status, 200) << c.body;
  auto j = nlohmann::json::parse(c.body);
  ASSERT_EQ(j["matches"].size(), 2u) << c.body;
  EXPECT_EQ(j["matches"][1]["word"], "unbreakablely");
  EXPECT_EQ(j["matches"][1]["offset"], 5);
  EXPECT_EQ(j["matches"][1]["column"], 6);
}
