// Boost.Process 1.74 only offers use_vfork when this is set, and its own test
// (_XOPEN_SOURCE without _POSIX_C_SOURCE >= 2008) is never true under g++.
// vfork spares the per-request copy of the worker's page tables (fork's
// dup_mmap was most of the worker's CPU in the benchmark profile).
#define BOOST_POSIX_HAS_VFORK 1
#include "child_process.hpp"
#include "fifogate/fd_io.hpp"
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/search_path.hpp>
#include <csignal>
#include <fcntl.h>
#include <linux/close_range.h>
#include <map>
#include <mutex>
#include <string_view>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bp = boost::process;

namespace fifogate {

namespace {

// on_exec_setup runs in the vfork child, on the worker's memory, between vfork
// and exec: plain syscalls only, no allocation, no locks.
// The child's environment: the processor's own with LC_ALL=C.UTF-8 and
// `extra` put in (an empty value takes the variable out). Built here, not
// with boost::process::environment, whose lookup in Boost 1.74 reads past
// the end of every entry shorter than the name it looks for.
std::vector<std::string> child_environment(char **own,
                                           const std::map<std::string, std::string> &extra) {
  std::map<std::string, std::string> set = extra;
  set["LC_ALL"] = "C.UTF-8";
  std::vector<std::string> out;
  for (char **e = own; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string_view::npos && set.count(std::string(entry.substr(0, eq))))
      continue;
    out.emplace_back(entry);
  }
  for (const auto &[name, value] : set)
    if (!value.empty())
      out.push_back(name + "=" + value);
  return out;
}

struct ChildSetup : bp::extend::handler {
  int in, out, err;
  char **envp = nullptr; // the child's environment, owned by the caller
  template <class Executor> void on_setup(Executor &exec) const { exec.env = envp; }
  // A child whose exec failed has already exited; Boost reports the error but
  // does not reap it.
  template <class Executor> void on_error(Executor &exec, const std::error_code &) const {
    if (exec.pid > 0) {
      int st = 0;
      while (::waitpid(exec.pid, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }
  template <class Executor> void on_exec_setup(Executor &) const {
    ::setpgid(0, 0);
    // If the processor is killed, the command goes too instead of running on
    // unsupervised (it is in its own group, so the group kill cannot reach it then).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s)
      ::sigaction(s, &dfl, nullptr); // EINVAL for KILL, STOP and glibc's own: fine
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // dup2 clears close-on-exec on the copies; the originals stay marked.
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Mark rather than close: Boost's exec-error pipe is among these fds and
    // must stay open until exec succeeds.
    if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      struct rlimit rl {};
      int max = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
                    ? static_cast<int>(rl.rlim_cur)
                    : 65536;
      for (int fd = 3; fd < max; ++fd)
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
};

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return Error::sys("pipe2");
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

} // namespace

struct ChildProcess::Impl {
  bp::child child;
};

ChildProcess::ChildProcess() : impl_(std::make_unique<Impl>()) {}
ChildProcess::ChildProcess(ChildProcess &&) noexcept = default;
ChildProcess &ChildProcess::operator=(ChildProcess &&) noexcept = default;

ChildProcess::~ChildProcess() {
  if (!impl_ || pid_ <= 0 || exit_)
    return;
  kill_group();
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  impl_->child.detach(); // reaped here; keep Boost from trying again
}

// PATH is searched once per program name, not for every request.
static boost::filesystem::path resolve(const std::string &prog) {
  static std::mutex m;
  static std::map<std::string, boost::filesystem::path> cache;
  if (prog.find('/') != std::string::npos)
    return prog;
  std::lock_guard<std::mutex> g(m);
  auto it = cache.find(prog);
  if (it != cache.end() && boost::filesystem::exists(it->second))
    return it->second;
  auto found = bp::search_path(prog);
  if (!found.empty())
    cache[prog] = found;
  return found;
}

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string> &argv,
                                         const std::map<std::string, std::string> &env) {
  if (argv.empty())
    return Error::logic("spawn: empty command");
  boost::filesystem::path exe = resolve(argv[0]);
  if (exe.empty())
    return Error::sys("spawn " + argv[0], ENOENT, "not found in PATH");
  auto in = make_pipe(), out = make_pipe(), err = make_pipe();
  if (!in || !out || !err)
    return Error::sys("spawn " + argv[0] + ": pipe2");

  ChildProcess cp;
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  std::error_code ec;
  std::vector<std::string> child_env = child_environment(::environ, env);
  std::vector<char *> envp;
  for (auto &e : child_env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  ChildSetup setup;
  setup.envp = envp.data();
  setup.in = in->first.get();
  setup.out = out->second.get();
  setup.err = err->second.get();
#ifndef __SANITIZE_THREAD__
  cp.impl_->child = bp::child(bp::exe = exe, bp::args = args, setup, bp::posix::use_vfork, ec);
#else
  // TSan turns vfork into fork, and Boost's vfork path learns of a failed exec
  // only through the memory vfork shares: keep its fork path (error pipe) there.
  cp.impl_->child = bp::child(bp::exe = exe, bp::args = args, setup, ec);
#endif
  if (ec)
    return Error::sys("spawn " + exe.string(), ec.value());
  cp.pid_ = cp.impl_->child.id();
  // Our copies of the child's ends must close, or EOF never comes.
  cp.stdin_ = std::move(in->second);
  cp.stdout_ = std::move(out->first);
  cp.stderr_ = std::move(err->first);
  long pidfd = ::syscall(SYS_pidfd_open, cp.pid_, 0);
  if (pidfd >= 0)
    cp.pidfd_.reset(static_cast<int>(pidfd)); // pidfd_open sets O_CLOEXEC itself
  for (int fd : {cp.stdin_.get(), cp.stdout_.get(), cp.stderr_.get()})
    if (auto r = set_nonblocking(fd, true); !r)
      return r.error();
  return cp;
}

void ChildProcess::kill_group() {
  if (pid_ <= 0 || exit_)
    return;
  // Before reaping, the pid (and so the group id) cannot be reused.
  if (::kill(-pid_, SIGKILL) != 0)
    ::kill(pid_, SIGKILL);
}

std::optional<ChildProcess::Exit> ChildProcess::try_exit() {
  if (exit_)
    return exit_;
  siginfo_t si{};
  // WNOWAIT: look first, so the group can be killed while the pid is still ours.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      si.si_pid == 0)
    return std::nullopt;
  ::kill(-pid_, SIGKILL); // leftovers in its group (a background grandchild) go too
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  impl_->child.detach();
  Exit e;
  if (WIFEXITED(st))
    e.exit_code = WEXITSTATUS(st);
  else if (WIFSIGNALED(st))
    e.signal = WTERMSIG(st);
  exit_ = e;
  pidfd_.reset();
  return exit_;
}

} // namespace fifogate
