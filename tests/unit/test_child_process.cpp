#include "../support/stack.hpp"
#include "child_process.hpp"
#include "fifogate/fd_io.hpp"
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>

using namespace fifogate;
using namespace std::chrono;

static std::string drain(UniqueFd &fd) {
  std::string out;
  char buf[4096];
  Deadline d = Deadline::in(seconds(10));
  for (;;) {
    if (poll_one(fd.get(), POLLIN, d) <= 0)
      break;
    auto r = read_some(fd.get(), buf, sizeof buf);
    if (r.kind == ReadKind::data)
      out.append(buf, r.bytes);
    else if (r.kind != ReadKind::would_block)
      break;
  }
  return out;
}

static ChildProcess::Exit wait_exit(ChildProcess &c) {
  std::optional<ChildProcess::Exit> e;
  fgtest::eventually([&] { return (e = c.try_exit()).has_value(); }, seconds(10));
  return e.value_or(ChildProcess::Exit{});
}

TEST(ChildProcess, ChildSeesOnlyStdioDefaultSignalsAndItsOwnGroup) {
  // Hazards the processor has: an inheritable fd, SIGPIPE ignored (httplib does
  // this too), a blocked signal mask.
  int leaked = ::open("/etc/hostname", O_RDONLY);
  ASSERT_GE(leaked, 3);
  auto old_pipe = std::signal(SIGPIPE, SIG_IGN);
  auto old_hup = std::signal(SIGHUP, SIG_IGN);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old_mask);

  auto c = ChildProcess::spawn({FIFOGATE_PROBE_BIN});
  ASSERT_TRUE(c.ok()) << c.error().message();
  c->stdin_fd().reset();
  std::string report = drain(c->stdout_fd());
  auto ex = wait_exit(*c);

  ::close(leaked);
  std::signal(SIGPIPE, old_pipe);
  std::signal(SIGHUP, old_hup);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);

  EXPECT_EQ(ex.exit_code, 0);
  EXPECT_NE(report.find("fds=0 1 2\n"), std::string::npos) << report;
  EXPECT_NE(report.find("SigIgn:\t0000000000000000"), std::string::npos) << report;
  EXPECT_NE(report.find("SigBlk:\t0000000000000000"), std::string::npos) << report;
  EXPECT_NE(report.find("own_group=1"), std::string::npos) << report;
}

TEST(ChildProcess, ReportsExitCodesAndSignals) {
  auto a = ChildProcess::spawn({"sh", "-c", "exit 7"});
  ASSERT_TRUE(a.ok());
  auto ea = wait_exit(*a);
  EXPECT_EQ(ea.exit_code, 7);
  EXPECT_EQ(ea.signal, 0);
  auto b = ChildProcess::spawn({"sh", "-c", "kill -TERM $$"});
  ASSERT_TRUE(b.ok());
  auto eb = wait_exit(*b);
  EXPECT_EQ(eb.exit_code, -1);
  EXPECT_EQ(eb.signal, SIGTERM);
}

TEST(ChildProcess, MissingProgramIsAClearError) {
  auto c = ChildProcess::spawn({"fifogate-no-such-program"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ENOENT);
  EXPECT_NE(c.error().message().find("fifogate-no-such-program"), std::string::npos);
  auto d = ChildProcess::spawn({"/nonexistent/prog"});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("/nonexistent/prog"), std::string::npos)
      << d.error().message();
}

TEST(ChildProcess, KillGroupTakesTheWholeTree) {
  auto c = ChildProcess::spawn({"sh", "-c", "sleep 30 & sleep 31 & wait"});
  ASSERT_TRUE(c.ok());
  pid_t pid = c->pid();
  std::vector<pid_t> kids;
  ASSERT_TRUE(fgtest::eventually([&] { return (kids = fgtest::children_of(pid)).size() == 2; },
                                 seconds(5)));
  c->kill_group();
  auto ex = wait_exit(*c);
  EXPECT_EQ(ex.signal, SIGKILL);
  // The background sleeps were in the same group: gone as well.
  for (pid_t k : kids)
    EXPECT_TRUE(fgtest::eventually([&] { return !fgtest::is_alive(k); }, seconds(5))) << k;
}
