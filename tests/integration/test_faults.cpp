// Dead, slow, failing and vanishing parties: every request ends, with the
// documented status, and the next request is served.
#include "../support/stack.hpp"
#include <csignal>
#include <fstream>
#include <future>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

using namespace fgtest;
using namespace std::chrono;

// A raw command whose behaviour depends on the first line it reads.
static const char *kScript =
    "sh -c 'read l; case \"$l\" in hang*) exec sleep 30;; slow*) sleep 1;; esac; echo \"got $l\"'";

TEST(Faults, NoWorkerIs503InTime) {
  Stack s(Env{{"PROC_WAIT_MS", "500"}});
  s.start_web();
  auto t0 = steady_clock::now();
  auto a = s.post("helo\n");
  EXPECT_EQ(a.status, 503) << a.body;
  EXPECT_EQ(a.header("retry-after"), "1");
  EXPECT_LT(steady_clock::now() - t0, seconds(3));
  // FIFOs present but nobody serving them: the same.
  s.start_processor();
  s.processor().signal(SIGTERM);
  ASSERT_TRUE(s.processor().wait(seconds(5)).has_value());
  auto b = s.post("helo\n");
  EXPECT_EQ(b.status, 503) << b.body;
  EXPECT_NE(b.body.find("no worker"), std::string::npos) << b.body;
  // The access line follows the answer.
  EXPECT_TRUE(
      eventually([&] { return s.web_log().find(" 503 ") != std::string::npos; }, seconds(5)))
      << s.web_log();
}

// While it waits, the web checks every 50 ms that its worker still holds its
// life lock. A check it cannot make (here: no file descriptor to spare) says
// nothing of the worker; the request was answered 502 "the worker exited".
// UBSan checks a virtual call's object with a pipe of its own: with no file
// descriptor left it reports a false "invalid vptr" and stops the web. The
// tests that take the web's last descriptor run without it.
static bool ubsan_build() {
  return std::string(FIFOGATE_SANITIZERS).find("undefined") != std::string::npos;
}

TEST(Faults, ALivenessCheckThatCannotBeMadeDoesNotLoseTheRequest) {
  if (ubsan_build())
    GTEST_SKIP() << "UBSan needs a file descriptor for its own checks";
  Stack s(Env{{"PROC_COMMAND", kScript}});
  s.start_processor();
  s.start_web();
  auto answer = std::async(std::launch::async, [&] { return s.post("slow\n"); });
  // The command (it sleeps 1 s) is running: the web waits for its answer.
  ASSERT_TRUE(eventually([&] { return !children_of(s.processor().pid()).empty(); }, seconds(5)));
  rlimit old{}, none{3, 0};
  ::prlimit(s.web().pid(), RLIMIT_NOFILE, nullptr, &old);
  none.rlim_max = old.rlim_max;
  ASSERT_EQ(::prlimit(s.web().pid(), RLIMIT_NOFILE, &none, nullptr), 0) << errno;
  bool unchecked = eventually(
      [&] {
        return s.web_log().find("cannot check that the worker is alive") != std::string::npos;
      },
      seconds(5));
  ASSERT_EQ(::prlimit(s.web().pid(), RLIMIT_NOFILE, &old, nullptr), 0) << errno;
  EXPECT_TRUE(unchecked) << s.web_log();
  auto a = answer.get();
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "got slow\n");
  EXPECT_NE(s.web_log().find("cannot check that the worker is alive"), std::string::npos)
      << s.web_log();
  EXPECT_EQ(s.post("next\n").body, "got next\n");
}

// A request waiting for a worker while the web has no file descriptor to
// spare: its wait ends with that cause (500), not "all 0 workers stayed
// busy" (503), which was all the web could say when it could not look.
TEST(Faults, AWaitThatCouldNotSeeTheWorkersSaysWhy) {
  if (ubsan_build())
    GTEST_SKIP() << "UBSan needs a file descriptor for its own checks";
  Stack s(Env{{"PROC_COMMAND", kScript}, {"PROC_WAIT_MS", "1500"}});
  s.start_processor();
  s.start_web();
  auto first = std::async(std::launch::async, [&] { return s.post("slow\n"); }); // 1 s
  ASSERT_TRUE(eventually([&] { return !children_of(s.processor().pid()).empty(); }, seconds(5)));
  auto queued = std::async(std::launch::async, [&] { return s.post("next\n"); });
  ASSERT_TRUE(eventually(
      [&] {
        return http_get(s.port(), "/metrics")
                   .body.find("fifogate_requests_waiting{processor=\"default\"} 1") !=
               std::string::npos;
      },
      seconds(5)));
  rlimit old{};
  ASSERT_EQ(::prlimit(s.web().pid(), RLIMIT_NOFILE, nullptr, &old), 0) << errno;
  rlimit none{3, old.rlim_max};
  ASSERT_EQ(::prlimit(s.web().pid(), RLIMIT_NOFILE, &none, nullptr), 0) << errno;
  auto b = queued.get(); // its wait for a worker ends after 1.5 s
  ASSERT_EQ(::prlimit(s.web().pid(), RLIMIT_NOFILE, &old, nullptr), 0) << errno;
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(b.status, 500) << b.body << s.web_log();
  EXPECT_NE(b.body.find("EMFILE"), std::string::npos) << b.body;
  EXPECT_EQ(s.post("next\n").body, "got next\n");
}

TEST(Faults, FailingCommandIs502WithItsStderr) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'cat >/dev/null; echo boom on stderr >&2; exit 3'"}});
  s.start_processor();
  s.start_web();
  auto a = s.post("x\n");
  EXPECT_EQ(a.status, 502);
  EXPECT_EQ(a.header("x-exit-code"), "3");
  EXPECT_NE(a.body.find("boom on stderr"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("exit code: 3"), std::string::npos) << a.body;
  auto j = nlohmann::json::parse(s.post("x\n", {{"Accept", "application/json"}}).body);
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["stderr"], "boom on stderr\n");
  EXPECT_EQ(j["outcome"], "failed");
}

TEST(Faults, MissingCommandIs502) {
  Stack s(Env{{"PROC_COMMAND", "/nonexistent/checker -a"}});
  s.start_processor();
  s.start_web();
  auto a = s.post("x\n");
  EXPECT_EQ(a.status, 502);
  EXPECT_NE(a.body.find("/nonexistent/checker"), std::string::npos) << a.body;
}

// The program exists but exec refuses it (no execute permission): the error
// reaches the client, and the worker leaves no zombie behind.
TEST(Faults, CommandThatCannotExecIs502AndLeavesNoChild) {
  Stack s;
  std::string not_exec = not_executable_script(s.dir());
  s.set("PROC_COMMAND", not_exec);
  s.start_processor();
  s.start_web();
  // Whether Boost's own clean-up reaps the child is a race; enough attempts
  // make losing it certain.
  for (int i = 0; i < 30; ++i) {
    auto a = s.post("x\n");
    EXPECT_EQ(a.status, 502) << a.body;
    EXPECT_NE(a.body.find("Permission denied"), std::string::npos) << a.body;
  }
  EXPECT_TRUE(eventually([&] { return children_of(s.processor().pid()).empty(); }, seconds(5)))
      << children_of(s.processor().pid()).size() << " children left";
}

TEST(Faults, StderrIsCappedAndFlagged) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'head -c 200000 /dev/zero | tr \"\\\\0\" e >&2; exit 1'"}});
  s.start_processor();
  s.start_web();
  auto j = nlohmann::json::parse(s.post("x", {{"Accept", "application/json"}}).body);
  EXPECT_EQ(j["stderr"].get<std::string>().size(), 65536u);
  EXPECT_EQ(j["stderr_truncated"], true);
}

TEST(Faults, HangingCommandIs504AndTheNextRequestIsServed) {
  Stack s(Env{{"PROC_COMMAND", kScript}, {"PROC_TIMEOUT_MS", "700"}});
  s.start_processor();
  s.start_web();
  auto t0 = steady_clock::now();
  auto a = s.post("hang\n");
  EXPECT_EQ(a.status, 504) << a.body;
  EXPECT_LT(steady_clock::now() - t0, seconds(4));
  EXPECT_TRUE(children_of(s.processor().pid()).empty()) << "the hung command was left running";
  auto b = s.post("hello\n");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, "got hello\n");
}

TEST(Faults, WorkerKilledMidRequestThenRestarted) {
  Stack s(Env{{"PROC_COMMAND", kScript}});
  s.start_processor();
  s.start_web();
  auto pending = std::async(std::launch::async, [&] { return s.post("hang\n"); });
  ASSERT_TRUE(eventually([&] { return !children_of(s.processor().pid()).empty(); }, seconds(5)));
  pid_t old_pid = s.processor().pid();
  auto kid = children_of(old_pid);
  auto t0 = steady_clock::now();
  s.processor().kill_and_reap();
  auto a = pending.get();
  EXPECT_GE(a.status, 500) << a.body;
  EXPECT_LT(steady_clock::now() - t0, seconds(3));
  for (pid_t k : kid) // PR_SET_PDEATHSIG: no orphaned command
    EXPECT_TRUE(eventually([&] { return !is_alive(k); }, seconds(3))) << k;
  s.start_processor();
  auto b = s.post("hello\n");
  EXPECT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.body, "got hello\n");
}

TEST(Faults, WebKilledMidRequestWorkerRecovers) {
  Stack s;
  s.start_processor();
  s.start_web();
  std::string big;
  while (big.size() < 4 * 1000 * 1000)
    big += gpl3();
  int port = s.port();
  auto pending = std::async(std::launch::async, [&] { return http_post(port, "/process", big); });
  ASSERT_TRUE(eventually([&] { return !children_of(s.processor().pid()).empty(); }, seconds(10)));
  s.web().kill_and_reap();
  pending.get();
  s.start_web();
  auto b = s.post("helo wrld\n");
  EXPECT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.body, aspell_direct("helo wrld\n"));
  EXPECT_TRUE(eventually(
      [&] { return s.processor_log().find("outcome=ok exit=0 in=10B") != std::string::npos; },
      seconds(5)));
  std::string log = s.processor_log();
  EXPECT_TRUE(log.find("outcome=truncated") != std::string::npos ||
              log.find("outcome=abandoned") != std::string::npos)
      << log;
}

TEST(Faults, ClientsThatLeaveEarlyHarmNobody) {
  Stack s(Env{{"PROC_COMMAND", kScript}});
  s.start_processor();
  s.start_web();
  // 1. Promises 100000 bytes, sends 10, hangs up.
  http_raw(s.port(),
           "POST /process HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789",
           milliseconds(200));
  // 2. Sends a whole slow request and hangs up before the answer.
  http_post(s.port(), "/process", "slow\n", {}, milliseconds(200));
  auto b = s.post("hello\n");
  EXPECT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.body, "got hello\n");
}
