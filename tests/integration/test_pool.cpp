// Several workers serve one web: each claims its own slot, a free one (the
// last used first) takes each request, a failing or dead worker is skipped.
#include "../support/stack.hpp"
#include <future>
#include <gtest/gtest.h>
#include <set>
#include <thread>

using namespace fgtest;
using namespace std::chrono;

// A second processor beside the stack's own, once it serves slot 1.
static Proc start_second_processor(const Stack &s) {
  Proc second(FIFOGATE_PROCESSOR_BIN, {}, s.env(), s.dir() + "/second.log");
  EXPECT_TRUE(eventually(
      [&] { return read_file(s.dir() + "/second.log").find("slot=1") != std::string::npos; },
      seconds(5)))
      << read_file(s.dir() + "/second.log");
  return second;
}

TEST(Pool, WorkersClaimDistinctSlotsAndAllServe) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'sleep 0.3; echo $PPID; cat'"}, {"PROC_PROTOCOL", "raw"}});
  s.start_processor();
  Proc second = start_second_processor(s);
  ASSERT_FALSE(::testing::Test::HasFailure());
  s.start_web();
  // Four slow requests at once: with two workers they overlap, and both serve.
  std::vector<std::future<HttpAnswer>> f;
  auto t0 = steady_clock::now();
  for (int i = 0; i < 4; ++i)
    f.push_back(std::async(std::launch::async,
                           [&, i] { return s.post("req" + std::to_string(i) + "\n"); }));
  std::set<std::string> workers;
  for (int i = 0; i < 4; ++i) {
    auto a = f[i].get();
    ASSERT_EQ(a.status, 200) << a.body;
    auto nl = a.body.find('\n');
    workers.insert(a.body.substr(0, nl));
    EXPECT_EQ(a.body.substr(nl + 1), "req" + std::to_string(i) + "\n");
  }
  EXPECT_EQ(workers.size(), 2u) << "both workers should have served";
  // Four 0.3 s requests on two workers: about 0.6 s, not 1.2 s.
  EXPECT_LT(steady_clock::now() - t0, milliseconds(1100));
}

TEST(Pool, ADeadWorkersSlotIsSkippedAndReclaimed) {
  Stack s;
  s.start_processor();
  Proc second = start_second_processor(s);
  ASSERT_FALSE(::testing::Test::HasFailure());
  s.start_web();
  s.processor().kill_and_reap(); // slot 0 dies
  for (int i = 0; i < 10; ++i) {
    auto a = s.post("helo\n");
    EXPECT_EQ(a.status, 200) << i << " " << a.body;
    EXPECT_EQ(a.body, aspell_direct("helo\n"));
  }
  EXPECT_NE(http_get(s.port(), "/healthz").body.find("1 worker"), std::string::npos);
  s.start_processor(); // takes the free slot 0 again
  EXPECT_NE(s.processor_log().rfind("slot=0"), std::string::npos);
  EXPECT_TRUE(eventually(
      [&] { return http_get(s.port(), "/healthz").body.find("2 worker") != std::string::npos; },
      seconds(2)));
}

TEST(Pool, AllWorkersBusyIs503AfterTheWait) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'sleep 3; cat'"}, {"PROC_WAIT_MS", "300"}});
  s.start_processor();
  s.start_web();
  auto slow = std::async(std::launch::async, [&] { return s.post("slow\n"); });
  ASSERT_TRUE(eventually([&] { return !children_of(s.processor().pid()).empty(); }, seconds(5)));
  auto t0 = steady_clock::now();
  auto a = s.post("next\n");
  EXPECT_EQ(a.status, 503) << a.body;
  EXPECT_NE(a.body.find("busy"), std::string::npos) << a.body;
  EXPECT_EQ(a.header("retry-after"), "1");
  EXPECT_LT(steady_clock::now() - t0, seconds(2));
  EXPECT_EQ(slow.get().status, 200);
}

// A worker that fails every request (here its command cannot be executed)
// goes to the back of the line after a failure: a healthy worker beside it
// serves the requests that follow, although the web prefers the worker it
// used last.
TEST(Pool, AWorkerThatFailsARequestIsNotPreferred) {
  Stack s;
  std::string not_exec = not_executable_script(s.dir());
  Env broken_env = s.env();
  broken_env["PROC_COMMAND"] = not_exec;
  broken_env["PROC_PROTOCOL"] = "ispell";
  Proc broken(FIFOGATE_PROCESSOR_BIN, {}, broken_env, s.dir() + "/broken.log", true);
  ASSERT_TRUE(broken.wait_ready(seconds(5))) << read_file(s.dir() + "/broken.log");
  s.start_processor(); // the healthy one, in the next slot
  s.start_web();
  int failures = 0;
  for (int i = 0; i < 8; ++i) {
    auto a = s.post("helo\n");
    if (a.status != 200) {
      ++failures;
      EXPECT_EQ(a.status, 502) << a.body;
    } else {
      EXPECT_EQ(a.body, aspell_direct("helo\n"));
    }
  }
  EXPECT_LE(failures, 1) << "the broken worker kept being chosen";
}

// The web re-reads which workers are alive every 100 ms. A request that comes
// in that window right after the worker it would pick has died must not wait
// for the dead worker (until PROC_WAIT_MS, then 503): it goes to the other one.
TEST(Pool, ARequestRightAfterItsWorkerDiedGoesToAnother) {
  Stack s(Env{{"PROC_WAIT_MS", "3000"}});
  s.start_processor();
  Proc second = start_second_processor(s);
  ASSERT_FALSE(::testing::Test::HasFailure());
  s.start_web();
  for (int round = 0; round < 3; ++round) {
    // The worker that served last is the one the next request would go to.
    auto first = s.post("helo\n");
    ASSERT_EQ(first.status, 200) << first.body;
    std::string id = "req=" + first.header("x-request-id");
    ASSERT_TRUE(eventually(
        [&] {
          return s.processor_log().find(id) != std::string::npos ||
                 read_file(s.dir() + "/second.log").find(id) != std::string::npos;
        },
        seconds(2)));
    Proc &victim = s.processor_log().find(id) != std::string::npos ? s.processor() : second;
    victim.kill_and_reap();
    auto t0 = steady_clock::now();
    auto a = s.post("helo\n");
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body, aspell_direct("helo\n"));
    EXPECT_LT(steady_clock::now() - t0, milliseconds(1500)) << "waited for the dead worker";
    if (&victim == &second) {
      second = Proc(FIFOGATE_PROCESSOR_BIN, {}, s.env(), s.dir() + "/second.log");
    } else {
      s.start_processor();
    }
    ASSERT_TRUE(eventually(
        [&] { return http_get(s.port(), "/healthz").body.find("2 worker") != std::string::npos; },
        seconds(5)));
  }
  // A request that went to a second worker waited once, however many it tried.
  EXPECT_TRUE(eventually(
      [&] {
        return http_get(s.port(), "/metrics").body.find("fifogate_queue_wait_seconds_count 6\n") !=
               std::string::npos;
      },
      seconds(2)))
      << http_get(s.port(), "/metrics").body;
}

// fifogate_queue_wait_seconds is the time before a worker took the request,
// not the time the worker then needed.
TEST(Pool, QueueWaitIsTheWaitForAWorkerOnly) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'sleep 1; cat'"}, {"PROC_PROTOCOL", "raw"}});
  s.start_processor();
  s.start_web();
  ASSERT_EQ(s.post("alone\n").status, 200); // a free worker: no wait
  auto first = std::async(std::launch::async, [&] { return s.post("first\n"); });
  ASSERT_TRUE(eventually([&] { return !children_of(s.processor().pid()).empty(); }, seconds(5)));
  auto second = s.post("second\n"); // waits for the first, most of 1 s
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(first.get().status, 200);
  std::string m;
  ASSERT_TRUE(eventually(
      [&] {
        m = http_get(s.port(), "/metrics").body;
        return m.find("fifogate_queue_wait_seconds_count 3\n") != std::string::npos;
      },
      seconds(2)))
      << m;
  // Two of three waited under 0.1 s (the one alone, the first of the pair),
  // the third for most of the first's 1 s.
  EXPECT_NE(m.find("fifogate_queue_wait_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("fifogate_queue_wait_seconds_bucket{le=\"0.25\"} 2\n"), std::string::npos) << m;
}
