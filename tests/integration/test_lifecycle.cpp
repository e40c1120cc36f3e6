// Nothing leaks over many requests; SIGTERM lets requests in flight finish.
#include "../support/ispell_text.hpp"
#include "../support/stack.hpp"
#include "fifogate/config.hpp"
#include <csignal>
#include <fcntl.h>
#include <future>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

using namespace fgtest;
using namespace std::chrono;

TEST(Lifecycle, NoFdOrProcessLeakAfterHundredsOfRequests) {
  Stack s(Env{{"PROC_TIMEOUT_MS", "3000"}});
  s.start_processor();
  s.start_web();
  auto mix = [&](int i) {
    switch (i % 5) {
    case 0:
      return s.post("helo wrld\n").status;
    case 1:
      return s.post("bad \xff\n").status;
    case 2:
      return s.post("").status;
    case 3:
      return http_get(s.port(), "/process").status;
    default:
      return http_raw(s.port(), "POST /process HTTP/1.1\r\nContent-Length: 50\r\n\r\nshort",
                      milliseconds(50))
          .status;
    }
  };
  for (int i = 0; i < 25; ++i)
    mix(i);
  // Baseline once sockets of the warm-up have closed (an unread body lingers up to 1 s).
  int web_fds = settled_fd_count(s.web().pid(), milliseconds(1500));
  int proc_fds = settled_fd_count(s.processor().pid(), milliseconds(1500));
  std::map<int, int> statuses;
  for (int i = 0; i < 300; ++i)
    ++statuses[mix(i)];
  std::string seen;
  for (auto [st, n] : statuses)
    seen += std::to_string(st) + ":" + std::to_string(n) + " ";
  EXPECT_EQ(statuses[200], 120) << seen;
  EXPECT_EQ(statuses[400], 60) << seen;
  EXPECT_EQ(statuses[405], 60) << seen;
  EXPECT_TRUE(eventually([&] { return count_fds(s.web().pid()) <= web_fds; }, seconds(10)))
      << count_fds(s.web().pid()) << " vs " << web_fds;
  EXPECT_TRUE(eventually([&] { return count_fds(s.processor().pid()) <= proc_fds; }, seconds(5)))
      << count_fds(s.processor().pid()) << " vs " << proc_fds;
  EXPECT_TRUE(children_of(s.processor().pid()).empty());
  EXPECT_TRUE(children_of(s.web().pid()).empty());
}

// Sends SIGTERM to one side while a request is in flight: the request must
// still get its answer, and that side must then exit 0.
static void sigterm_mid_request(bool web_side) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'sleep 1; cat'"}});
  s.start_processor();
  s.start_web();
  auto pending = std::async(std::launch::async, [&] { return s.post("in flight\n"); });
  ASSERT_TRUE(eventually([&] { return !children_of(s.processor().pid()).empty(); }, seconds(5)));
  Proc &target = web_side ? s.web() : s.processor();
  target.signal(SIGTERM);
  auto a = pending.get();
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "in flight\n");
  auto st = target.wait(seconds(10));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
}

TEST(Lifecycle, SigtermOnTheWebFinishesRequestsInFlight) {
  sigterm_mid_request(true);
}

TEST(Lifecycle, SigtermOnTheProcessorFinishesTheRequestFirst) {
  sigterm_mid_request(false);
}

// A request whose body is already in the worker's input FIFO when the stop
// signal comes was sent while the worker held its slot: it is served. Here
// the worker is replacing its warm command (1 s) when B arrives and the
// signal follows; the worker used to exit with B unread (502).
TEST(Lifecycle, ARequestAlreadySentWhenTheStopComesIsServed) {
  Stack s(Env{{"PROC_MODE", "warm"},
              {"PROC_PROTOCOL", "ispell"},
              {"PROC_WARM_MAX_REQUESTS", "1"},
              {"PROC_COMMAND", "sh -c 'sleep 1; echo \"@(#) fake ispell\"; while read l; do "
                               "echo \"*\"; echo; done'"}});
  s.start_processor();
  s.start_web();
  ASSERT_EQ(s.post("a\n").status, 200);
  auto b = std::async(std::launch::async, [&] { return s.post("b\n"); });
  // B's records wait in the input FIFO while the command restarts.
  ASSERT_TRUE(eventually([&] { return fifo_pending_bytes(s.path("in")) > 0; }, seconds(5)));
  s.processor().signal(SIGTERM);
  auto a = b.get();
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "@(#) fake ispell\n*\n\n");
  auto st = s.processor().wait(seconds(10));
  ASSERT_TRUE(st.has_value()) << s.processor_log();
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
  // Nobody serves that slot now: a new request is told so.
  auto c = s.post("c\n");
  EXPECT_EQ(c.status, 503) << c.body;
}

// --help is generated from the configuration table: every variable, with
// its default, in both binaries.
TEST(Lifecycle, HelpListsEveryVariable) {
  for (const char *bin : {FIFOGATE_WEB_BIN, FIFOGATE_PROCESSOR_BIN}) {
    std::string out = run_capture({bin, "--help"}, "");
    for (const auto &doc : fifogate::setting_docs()) {
      auto at = out.find("\n  " + doc.name + " ");
      ASSERT_NE(at, std::string::npos) << bin << " --help lacks " << doc.name;
      // Its entry runs to the next line that starts a variable's.
      std::smatch next;
      std::string rest = out.substr(at + 1);
      std::string entry = std::regex_search(rest, next, std::regex("\n  [A-Z]"))
                              ? rest.substr(0, static_cast<size_t>(next.position(0)))
                              : rest;
      EXPECT_NE(entry.find("[" + doc.default_text + "]"), std::string::npos)
          << bin << ": " << doc.name << "'s entry lacks its default: " << entry;
    }
  }
}

// --ready-fd: whoever starts a binary waits on one line instead of reading
// its log. A start that fails closes the descriptor with no line, so the
// wait ends with the process, not with a timeout.
TEST(Lifecycle, TheReadyFdSaysWhenEachBinaryServesAndClosesWhenItCannot) {
  Stack s;
  Proc processor(FIFOGATE_PROCESSOR_BIN, {}, s.env(), s.dir() + "/p.log", true);
  EXPECT_EQ(processor.wait_ready(seconds(10)), "ready slot=0") << read_file(s.dir() + "/p.log");
  Proc web(FIFOGATE_WEB_BIN, {}, s.env(), s.dir() + "/w.log", true);
  auto listening = web.wait_ready(seconds(10));
  ASSERT_TRUE(listening) << read_file(s.dir() + "/w.log");
  EXPECT_EQ(listening->rfind("listening on http://127.0.0.1:", 0), 0u) << *listening;

  Env broken = s.env();
  broken["PROC_TIMEOUT_MS"] = "-1";
  for (const char *bin : {FIFOGATE_PROCESSOR_BIN, FIFOGATE_WEB_BIN}) {
    SCOPED_TRACE(bin);
    Proc p(bin, {}, broken, s.dir() + "/broken.log", true);
    auto t0 = steady_clock::now();
    EXPECT_FALSE(p.wait_ready(seconds(20)));
    EXPECT_LT(steady_clock::now() - t0, seconds(10)) << "the wait did not end with the process";
    auto st = p.wait(seconds(10));
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 100) << *st;
    for (const char *arg : {"--ready-fd=1", "--ready-fd=77", "--ready-fd=x3", "--ready-fd"}) {
      Proc bad(bin, {arg}, s.env(), s.dir() + "/usage.log");
      auto bst = bad.wait(seconds(10));
      ASSERT_TRUE(bst.has_value()) << arg;
      EXPECT_TRUE(WIFEXITED(*bst) && WEXITSTATUS(*bst) == 100) << arg << ": " << *bst;
    }
  }
  EXPECT_NE(read_file(s.dir() + "/usage.log").find("--ready-fd 77: not an open file descriptor"),
            std::string::npos)
      << read_file(s.dir() + "/usage.log");
}

TEST(Lifecycle, ProcessorRefusesANonFifoPath) {
  Stack s;
  ASSERT_EQ(::mkdir(s.path("").c_str(), 0770), 0);
  write_file(s.path("in"), "I am a regular file");
  Proc p(FIFOGATE_PROCESSOR_BIN, {}, s.env(), s.dir() + "/p.log");
  auto st = p.wait(seconds(5));
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(WEXITSTATUS(*st), 111);
  EXPECT_NE(read_file(s.dir() + "/p.log").find("is not a FIFO"), std::string::npos);
  EXPECT_EQ(read_file(s.path("in")), "I am a regular file");
}

// A command named aspell that hangs (in `sleep 29`) at one stage of the
// processor's start-up: the dictionary probe (`aspell dump dicts`), the banner
// probe (the command run with no input), the warm start, or the warm start's
// question of aspell's mode (`$$cr mode`, after the banner). Each waits up to
// 10 s; a stop signal meanwhile must end the processor at once, exit code 0.
static void expect_prompt_stop_during_start_up(const std::string &stage, const std::string &said) {
  Stack s;
  std::string script = s.dir() + "/aspell";
  write_file(script + ".hang", stage);
  write_file(script, "#!/bin/sh\n"
                     "stage=$(cat \"$0.hang\")\n"
                     "if [ \"$1\" = dump ]; then\n"
                     "  [ \"$stage\" = dump ] && exec sleep 29\n"
                     "  echo en; exit 0\n"
                     "fi\n"
                     "[ \"$stage\" = banner ] && exec sleep 29\n"
                     "if [ -e \"$0.probed\" ] && [ \"$stage\" = mode ]; then\n"
                     "  echo '" +
                         kAspellBanner +
                         "'\n"
                         "  exec sleep 29\n"
                         "fi\n"
                         "[ -e \"$0.probed\" ] && exec sleep 29\n"
                         ": >\"$0.probed\"\n"
                         "echo '" +
                         kAspellBanner +
                         "'\n"
                         "exec sleep 30\n");
  ::chmod(script.c_str(), 0755);
  Env env = s.env();
  env["PROC_COMMAND"] = script + " -a";
  env["PROC_MODE"] = stage == "warm" || stage == "mode" ? "warm" : "per-request";
  Proc p(FIFOGATE_PROCESSOR_BIN, {}, env, s.dir() + "/p.log");
  // The hanging stage is under way: its sleep is the processor's child (in a
  // process group of its own, but still its child).
  const std::string hang("sleep\0"
                         "29",
                         8);
  ASSERT_TRUE(eventually(
      [&] {
        for (pid_t c : children_of(p.pid()))
          if (read_file("/proc/" + std::to_string(c) + "/cmdline").find(hang) != std::string::npos)
            return true;
        return false;
      },
      seconds(5)))
      << read_file(s.dir() + "/p.log");
  auto t0 = steady_clock::now();
  p.signal(SIGTERM);
  auto st = p.wait(seconds(5));
  ASSERT_TRUE(st.has_value()) << "still starting up 5 s after SIGTERM\n"
                              << read_file(s.dir() + "/p.log");
  EXPECT_LT(steady_clock::now() - t0, seconds(2));
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
  EXPECT_NE(read_file(s.dir() + "/p.log").find("stop signal: exiting (" + said + ")"),
            std::string::npos)
      << read_file(s.dir() + "/p.log");
}

TEST(Lifecycle, AStopSignalDuringTheDictionaryProbeEndsTheProcessorAtOnce) {
  expect_prompt_stop_during_start_up("dump", "while learning about the command");
}

TEST(Lifecycle, AStopSignalDuringTheBannerProbeEndsTheProcessorAtOnce) {
  expect_prompt_stop_during_start_up("banner", "while learning about the command");
}

TEST(Lifecycle, AStopSignalDuringTheWarmStartEndsTheProcessorAtOnce) {
  expect_prompt_stop_during_start_up("warm", "while starting the warm command");
}

TEST(Lifecycle, AStopSignalWhileAskingAspellsModeEndsTheProcessorAtOnce) {
  expect_prompt_stop_during_start_up("mode", "while starting the warm command");
}

// --healthcheck (the Compose health check) passes only while a processor of
// this host holds a slot: not before one runs, and not for a slot that a
// worker of another host (another container) holds.
TEST(Lifecycle, TheHealthCheckPassesOnlyForAWorkerOfThisHost) {
  Stack s;
  int n = 0;
  std::string log;
  auto check = [&] {
    log = s.dir() + "/hc" + std::to_string(++n) + ".log";
    Proc p(FIFOGATE_PROCESSOR_BIN, {"--healthcheck"}, s.env(), log);
    auto st = p.wait(seconds(5));
    return st && WIFEXITED(*st) ? WEXITSTATUS(*st) : -1;
  };
  EXPECT_EQ(check(), 1);
  {
    // Slot 0 served from elsewhere: its FIFO there, its life lock held, and
    // another host's name in the lock file.
    std::string input = s.path("in"), owner = s.path("lock.worker");
    ::mkdir(s.path("").c_str(), 0770);
    ASSERT_EQ(::mkfifo(input.c_str(), 0660), 0);
    int fd = ::open(owner.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0660);
    ASSERT_GE(fd, 0);
    std::string info = "worker=elsewhere:1\nversion=x\n";
    ASSERT_EQ(::write(fd, info.data(), info.size()), static_cast<ssize_t>(info.size()));
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    EXPECT_EQ(check(), 1);
    EXPECT_NE(read_file(log).find("served from elsewhere"), std::string::npos) << read_file(log);
    ::close(fd);
  }
  s.start_processor();
  EXPECT_EQ(check(), 0) << read_file(log);
}
