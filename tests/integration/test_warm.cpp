// Warm mode: one aspell per worker, answers byte-identical to a fresh one.
#include "../support/stack.hpp"
#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace fgtest;
using namespace std::chrono;

static pid_t only_child(Stack &s) {
  std::vector<pid_t> kids;
  eventually([&] { return (kids = children_of(s.processor().pid())).size() == 1; }, seconds(5));
  return kids.size() == 1 ? kids[0] : -1;
}

TEST(Warm, AnswersAreByteIdenticalToPerRequestMode) {
  Stack warm(Env{{"PROC_MODE", "warm"}});
  warm.start_processor();
  warm.start_web();
  Stack cold;
  cold.start_processor();
  cold.start_web();
  std::string big;
  while (big.size() < 1000 * 1000)
    big += gpl3();
  std::vector<std::string> texts = {"helo wrld\n",
                                    "",
                                    "\n\n\n",
                                    "no newline at the end, helo",
                                    gpl3(),
                                    big,
                                    "Zürich naïve zzüber\n",
                                    "*zzyzx\n#\n- itme\n# Heding\n$$cr home-dir\n\n!\n%\n@x\n",
                                    "\r\nwindows lines\r\nhelo\r\n",
                                    std::string(5000, 'a') + "\n"};
  for (int round = 0; round < 2; ++round)
    for (size_t i = 0; i < texts.size(); ++i) {
      auto w = warm.post(texts[i]);
      auto c = cold.post(texts[i]);
      ASSERT_EQ(w.status, 200) << i << w.body.substr(0, 200);
      ASSERT_EQ(c.status, 200) << i;
      EXPECT_TRUE(w.body == c.body) << "text " << i << " differs in warm mode";
    }
  EXPECT_EQ(warm.post(texts[0]).body, aspell_direct(texts[0]));
}

TEST(Warm, OneCommandServesManyRequestsAndIsRestartedAtTheLimit) {
  Stack s(Env{{"PROC_MODE", "warm"}, {"PROC_WARM_MAX_REQUESTS", "5"}});
  s.start_processor();
  s.start_web();
  pid_t first = only_child(s);
  ASSERT_GT(first, 0);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(s.post("helo\n").status, 200);
  EXPECT_EQ(only_child(s), first);
  EXPECT_EQ(s.post("helo\n").status, 200); // the fifth: the limit
  pid_t second = only_child(s);
  EXPECT_NE(second, first);
  EXPECT_NE(s.processor_log().find("restarted after 5 requests"), std::string::npos);
  EXPECT_EQ(s.post("helo\n").body, aspell_direct("helo\n"));
}

TEST(Warm, RefusedInputRestartsTheCommandAndTheNextAnswerIsClean) {
  Stack s(Env{{"PROC_MODE", "warm"}});
  s.start_processor();
  s.start_web();
  pid_t first = only_child(s);
  // Valid lines first, then a bad byte: half the request already went to aspell.
  auto bad = s.post("helo wrld\nmore text\nbad \xff byte\n");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(only_child(s), first);
  auto good = s.post("fine\n");
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(good.body, aspell_direct("fine\n"));
}

TEST(Warm, AHangingCheckerTimesOutAndIsReplaced) {
  // An ispell-protocol stand-in that hangs on one line (aspell cannot be made to hang).
  Stack s(Env{{"PROC_MODE", "warm"},
              {"PROC_PROTOCOL", "ispell"},
              {"PROC_TIMEOUT_MS", "600"},
              {"PROC_COMMAND", "sh -c 'echo \"@(#) fake ispell\"; while read l; do case \"$l\" in "
                               "*hang*) sleep 30;; esac; echo \"*\"; echo; done'"}});
  s.start_processor();
  s.start_web();
  EXPECT_EQ(s.post("a\nb\n").body, "@(#) fake ispell\n*\n\n*\n\n");
  pid_t first = only_child(s);
  auto t0 = steady_clock::now();
  EXPECT_EQ(s.post("please hang\n").status, 504);
  EXPECT_LT(steady_clock::now() - t0, seconds(4));
  EXPECT_EQ(s.post("c\n").body, "@(#) fake ispell\n*\n\n");
  EXPECT_NE(only_child(s), first);
}

TEST(Warm, ConfigRefusesWarmModeForRawCommands) {
  Stack s(Env{{"PROC_MODE", "warm"}, {"PROC_COMMAND", "cat"}});
  Proc p(FIFOGATE_PROCESSOR_BIN, {}, s.env(), s.dir() + "/p.log");
  auto st = p.wait(seconds(5));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(WEXITSTATUS(*st), 100);
  EXPECT_NE(read_file(s.dir() + "/p.log").find("PROC_MODE=warm needs"), std::string::npos);
}

// hunspell answers an empty line with an empty block where aspell prints
// nothing: warm mode must count those blocks, or it takes an answer for
// complete too early (and the rest spills into the next request) or for
// too long. Every answer equals hunspell's own, in either mode, request
// after request, and /check places the words right.
// One line of `bytes` bytes of words, one in 400 misspelt (hunspell
// takes tens of milliseconds to suggest for each).
static std::string long_line(size_t bytes) {
  std::string l;
  for (int i = 0; l.size() < bytes; ++i)
    l += i % 400 == 399 ? "wrld " : "word ";
  return l.substr(0, bytes);
}

TEST(Warm, HunspellAnswersWithEmptyLinesAreWholeAndByteIdentical) {
  const std::string cmd = "hunspell -a -d en_US";
  Stack warm(Env{{"PROC_MODE", "warm"}, {"PROC_COMMAND", cmd}});
  warm.start_processor();
  warm.start_web();
  Stack cold(Env{{"PROC_COMMAND", cmd}});
  cold.start_processor();
  cold.start_web();
  std::vector<std::string> texts = {"helo wrld\n\nsecnd paragraph\n\n\nlast", "\n\n\n", "", gpl3(),
                                    "one line, no mistake\n", "\n\nZürich naïve zzüber\n\n",
                                    // hunspell answers lines over 8189 bytes in pieces
                                    long_line(8189) + "\nhelo\n", long_line(8190) + "\nhelo\n",
                                    "helo\n" + long_line(20000),
                                    // a piece that ends inside a character
                                    long_line(8189) + "\xC3\xBC" + long_line(9000) + "\n"};
  for (int round = 0; round < 2; ++round)
    for (const auto &t : texts) {
      auto w = warm.post(t);
      auto c = cold.post(t);
      ASSERT_EQ(w.status, 200) << w.body.substr(0, 300);
      ASSERT_EQ(c.status, 200) << c.body.substr(0, 300);
      EXPECT_TRUE(w.body == c.body) << t.substr(0, 60) << "\n" << w.body.substr(0, 600);
      // Where no line is cut into pieces, the '^' leaves hunspell's own answer.
      bool pieces = false;
      for (size_t a = 0, b; a <= t.size(); a = b + 1) {
        b = std::min(t.find('\n', a), t.size());
        pieces = pieces || b - a > 8189;
      }
      if (!pieces) {
        EXPECT_TRUE(c.body == run_capture({"hunspell", "-a", "-d", "en_US"}, t))
            << t.substr(0, 60) << "\n"
            << c.body.substr(0, 600);
      }
    }
  auto j =
      http_post(warm.port(), "/check", "a\n\n\nhelo wrld\n\n", {{"Accept", "application/json"}});
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_NE(j.body.find("\"word\":\"helo\""), std::string::npos) << j.body;
  EXPECT_NE(j.body.find("\"line\":4"), std::string::npos) << j.body;
  auto too_long = http_post(warm.port(), "/check", "helo\n" + long_line(8190),
                            {{"Accept", "application/json"}});
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_NE(too_long.body.find("line 2 of the text has 8190 bytes"), std::string::npos)
      << too_long.body;
  EXPECT_EQ(warm.processor_log().find("retired"), std::string::npos) << warm.processor_log();
}

// hunspell reads a long line in pieces and takes each piece for a new line:
// a piece starting with '*' adds a word, one starting with '#' saves the
// personal dictionary in $HOME for every later run. Every piece must be
// text. (Unescaped, the first request poisoned the dictionary in per-request
// mode and hung to the timeout in warm mode: no answer block for a command.)
TEST(Warm, HunspellPiecesOfALongLineAreTextNotCommands) {
  const std::string cmd = "hunspell -a -d en_US";
  Stack warm(Env{{"PROC_MODE", "warm"}, {"PROC_COMMAND", cmd}, {"PROC_TIMEOUT_MS", "8000"}});
  warm.start_processor();
  warm.start_web();
  Stack cold(Env{{"PROC_COMMAND", cmd}, {"PROC_TIMEOUT_MS", "8000"}});
  cold.start_processor();
  cold.start_web();
  // 8190 bytes of text fill the first piece after the '^': what follows
  // starts the second piece.
  const std::string fill = long_line(8190);
  const std::string attack = fill + "*tset\n" + fill + "@tsat\n" + fill + "#\n";
  for (Stack *s : {&cold, &warm}) {
    auto a = s->post(attack);
    ASSERT_EQ(a.status, 200) << a.body.substr(0, 300);
    // Each line: two pieces, two blocks; the second piece's word is checked.
    EXPECT_NE(a.body.find("& tset "), std::string::npos) << a.body.substr(a.body.size() - 400);
    EXPECT_NE(a.body.find("& tsat "), std::string::npos) << a.body.substr(a.body.size() - 400);
    auto b = s->post("tset tsat\n");
    ASSERT_EQ(b.status, 200) << b.body;
    EXPECT_NE(b.body.find("& tset "), std::string::npos) << b.body;
    EXPECT_NE(b.body.find("& tsat "), std::string::npos) << b.body;
    EXPECT_FALSE(std::ifstream(s->dir() + "/.hunspell_en_US").good())
        << "a personal dictionary was saved in HOME";
  }
  EXPECT_TRUE(warm.post(attack).body == cold.post(attack).body);
  EXPECT_EQ(warm.processor_log().find("retired"), std::string::npos) << warm.processor_log();
}

// aspell's nroff filter keeps state from one line to the next. A request
// that ends inside an nroff construct must not change how the next request,
// served by the same warm aspell, is read: each answer stays what a fresh
// `aspell -a` says.
TEST(Warm, ARequestLeavesNoFilterStateForTheNext) {
  Stack s(Env{{"PROC_MODE", "warm"}});
  s.start_processor();
  s.start_web();
  const std::vector<std::string> leavers = {".\n",      "'\n",      "x \\(\n",   "x \\f(\n",
                                            "x \\*(\n", "x \\s+\n", "x \\s\n",   ".ds\n",
                                            ".if\n",    ".xy\n",    "x \\[abc\n"};
  const std::vector<std::string> next = {"Teh cat\n", "12th Teh cat\n", " Teh cat\n"};
  for (const auto &l : leavers)
    for (const auto &n : next) {
      auto a = s.post(l);
      ASSERT_EQ(a.status, 200) << a.body;
      EXPECT_EQ(a.body, aspell_direct(l)) << "leaver " << l;
      auto b = s.post(n);
      ASSERT_EQ(b.status, 200) << b.body;
      EXPECT_EQ(b.body, aspell_direct(n)) << "after " << l << " came " << n;
    }
  // One command served all of them: nothing was restarted to get there.
  EXPECT_EQ(s.processor_log().find("retired"), std::string::npos) << s.processor_log();
}

// In a mode other than nroff (here TeX), aspell's filters keep more state than
// one line clears: the warm command is restarted after every request, so each
// answer is still a fresh aspell's.
TEST(Warm, InAnotherFilterModeTheCommandIsRestartedPerRequest) {
  Stack s(Env{{"PROC_MODE", "warm"}, {"PROC_COMMAND", "aspell -a --mode=tex"}});
  s.start_processor();
  s.start_web();
  for (std::string text :
       {"\\begin{comment} helo\n", "Teh cat \\emph{wrld}\n", "x % helo\n", "Teh\n"}) {
    auto a = s.post(text);
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body, run_capture({"aspell", "-a", "--mode=tex"}, text)) << text;
  }
  std::string log = s.processor_log();
  EXPECT_NE(log.find("aspell runs in mode tex"), std::string::npos) << log;
  EXPECT_NE(log.find("restarted after every request"), std::string::npos) << log;
}

// MAX_OUTPUT_BYTES counts the whole answer, banner included, in both modes:
// an answer just over it is the same refusal from a warm worker as from a
// fresh command (the web, which caps what it takes, never sees too much).
TEST(Warm, TheOutputLimitCountsTheBannerAsPerRequestModeDoes) {
  std::string text = "helo wrld\n";
  std::string whole = aspell_direct(text);
  std::string cap = std::to_string(whole.size() - 10); // the banner alone is 68 bytes
  Stack warm(Env{{"PROC_MODE", "warm"}, {"MAX_OUTPUT_BYTES", cap}});
  warm.start_processor();
  warm.start_web();
  Stack cold(Env{{"MAX_OUTPUT_BYTES", cap}});
  cold.start_processor();
  cold.start_web();
  auto w = warm.post(text, {{"Accept", "application/json"}});
  auto c = cold.post(text, {{"Accept", "application/json"}});
  EXPECT_EQ(c.status, 502) << c.body;
  EXPECT_EQ(w.status, c.status) << w.body;
  EXPECT_NE(w.body.find("output_limit"), std::string::npos) << w.body;
  EXPECT_NE(c.body.find("output_limit"), std::string::npos) << c.body;
  // Just under the cap both answer.
  Stack roomy(Env{{"PROC_MODE", "warm"}, {"MAX_OUTPUT_BYTES", std::to_string(whole.size())}});
  roomy.start_processor();
  roomy.start_web();
  EXPECT_EQ(roomy.post(text).body, whole);
}

// What a warm command says on stderr belongs to the request it said it in,
// all of it, and never to the next one. A stand-in, because aspell -a cannot
// be made to write to stderr at will.
static const char *kChattyIspell =
    "sh -c 'echo \"@(#) fake ispell\"; while read l; do case \"$l\" in "
    "*loud*) head -c 100000 /dev/zero | tr \"\\\\0\" e >&2; echo \" done\" >&2;; "
    "*late*) (while [ ! -e \"$FAKE_GO\" ]; do sleep 0.02; done; echo late words >&2; "
    "touch \"$FAKE_GO.done\") & ;; esac; echo \"*\"; echo; done'";

TEST(Warm, StderrLongerThanOneReadStaysWithItsRequest) {
  Stack s(Env{{"PROC_MODE", "warm"}, {"PROC_PROTOCOL", "ispell"}, {"PROC_COMMAND", kChattyIspell}});
  s.start_processor();
  s.start_web();
  auto loud = s.post("be loud\n", {{"Accept", "application/json"}});
  EXPECT_EQ(loud.status, 200) << loud.body.substr(0, 300);
  EXPECT_NE(loud.body.find("\"stderr_truncated\":true"), std::string::npos)
      << loud.body.substr(0, 300);
  auto next = s.post("quiet\n", {{"Accept", "application/json"}});
  EXPECT_EQ(next.status, 200);
  EXPECT_NE(next.body.find("\"stderr\":\"\""), std::string::npos) << next.body.substr(0, 300);
}

TEST(Warm, StderrWrittenAfterTheAnswerReachesNoOtherRequest) {
  Stack s(Env{{"PROC_MODE", "warm"}, {"PROC_PROTOCOL", "ispell"}, {"PROC_COMMAND", kChattyIspell}});
  s.set("FAKE_GO", s.dir() + "/go");
  s.start_processor();
  s.start_web();
  pid_t first = only_child(s);
  EXPECT_EQ(s.post("late\n").status, 200);
  // The answer is complete; only now does the command write to stderr.
  std::ofstream(s.env().at("FAKE_GO")).put('x');
  ASSERT_TRUE(eventually(
      [&] { return ::access((s.env().at("FAKE_GO") + ".done").c_str(), F_OK) == 0; }, seconds(5)));
  auto next = s.post("quiet\n", {{"Accept", "application/json"}});
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body.find("late words"), std::string::npos) << next.body.substr(0, 300);
  EXPECT_NE(s.processor_log().find("late words"), std::string::npos) << s.processor_log();
  EXPECT_NE(only_child(s), first); // its state is unknown: replaced
}

// A command that writes to stderr without pause (here a child of it) still
// serves, and the worker still stops. The loop that reads what a warm
// command said between requests had no bound; here it always ended when the
// writer paused for the scheduler, so this guards the bound rather than
// having shown the endless loop.
TEST(Warm, ACommandThatNeverStopsWritingToStderrCannotHoldTheWorker) {
  Stack s(Env{{"PROC_MODE", "warm"},
              {"PROC_PROTOCOL", "ispell"},
              {"PROC_TIMEOUT_MS", "5000"},
              {"PROC_COMMAND", "sh -c 'echo \"@(#) fake ispell\"; yes warning >&2 & "
                               "while read l; do echo \"*\"; echo; done'"}});
  s.start_processor();
  s.start_web();
  auto a = s.post("a\n");
  EXPECT_EQ(a.status, 200) << a.body.substr(0, 500);
  EXPECT_EQ(a.body, "@(#) fake ispell\n*\n\n");
  s.processor().signal(SIGTERM);
  EXPECT_TRUE(s.processor().wait(seconds(5)).has_value()) << "the worker did not stop";
}

// What a warm command writes to stderr while starting (a warning), or its
// closing stderr, is no anomaly of a request: the command keeps serving.
TEST(Warm, StderrAtStartOrAClosedStderrIsNoReasonToRestart) {
  for (std::string start : {"echo starting up >&2", "exec 2>&-"}) {
    Stack s(Env{{"PROC_MODE", "warm"},
                {"PROC_PROTOCOL", "ispell"},
                {"PROC_COMMAND", "sh -c '" + start +
                                     "; echo \"@(#) fake ispell\"; while read l; do echo \"*\"; "
                                     "echo; done'"}});
    s.start_processor();
    s.start_web();
    pid_t first = only_child(s);
    for (int i = 0; i < 3; ++i) {
      auto a = s.post("a\n", {{"Accept", "application/json"}});
      EXPECT_EQ(a.status, 200) << start;
      EXPECT_NE(a.body.find("\"stderr\":\"\""), std::string::npos) << start << a.body;
    }
    EXPECT_EQ(only_child(s), first) << start << s.processor_log();
    if (start.find("echo") == 0) {
      EXPECT_NE(s.processor_log().find("said on stderr while starting: \"starting up\""),
                std::string::npos)
          << s.processor_log();
    }
  }
}

// A warm command that dies mid-request closes its stdout and stderr at once;
// the request fails, the command is given up, and in the same turn the
// worker must not read from the command it just gave up (it crashed doing so).
TEST(Warm, ACommandThatDiesMidRequestFailsItAndTheWorkerServesOn) {
  Stack s(Env{{"PROC_MODE", "warm"},
              {"PROC_PROTOCOL", "ispell"},
              {"PROC_COMMAND", "sh -c 'echo \"@(#) fake ispell\"; while read l; do case \"$l\" in "
                               "*die*) echo \"& di 1 0: do\"; echo gone >&2; exit 1;; esac; "
                               "echo \"*\"; echo; done'"}});
  s.start_processor();
  s.start_web();
  for (int i = 0; i < 8; ++i) {
    auto died = s.post("die now\n");
    EXPECT_EQ(died.status, 502) << died.body.substr(0, 300);
    ASSERT_TRUE(is_alive(s.processor().pid())) << "the worker crashed, round " << i;
    auto next = s.post("fine\n");
    EXPECT_EQ(next.status, 200) << next.body.substr(0, 300);
  }
}
