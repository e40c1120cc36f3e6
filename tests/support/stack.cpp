#include "stack.hpp"
#include "fifogate/file_lock.hpp"
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

extern char **environ;

namespace fgtest {

using namespace std::chrono;

TempDir::TempDir() {
  char tmpl[] = "/tmp/fifogate-test-XXXXXX";
  if (!mkdtemp(tmpl))
    throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}
TempDir::~TempDir() {
  std::string cmd = "rm -rf '" + path + "'";
  int ignored = std::system(cmd.c_str());
  (void)ignored;
}

Proc::Proc(const std::string &exe, const std::vector<std::string> &args, const Env &env,
           const std::string &log_path, bool ready_fd) {
  std::vector<std::string> envs;
  for (char **e = environ; *e; ++e) {
    std::string kv = *e;
    auto k = kv.substr(0, kv.find('='));
    if (!env.count(k))
      envs.push_back(kv);
  }
  for (auto &[k, v] : env)
    envs.push_back(k + "=" + v);
  std::vector<char *> argv, envp;
  std::string ready_arg = "--ready-fd=3";
  argv.push_back(const_cast<char *>(exe.c_str()));
  for (auto &a : args)
    argv.push_back(const_cast<char *>(a.c_str()));
  int ready[2] = {-1, -1};
  if (ready_fd) {
    if (::pipe2(ready, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    argv.push_back(const_cast<char *>(ready_arg.c_str()));
  }
  argv.push_back(nullptr);
  for (auto &e : envs)
    envp.push_back(const_cast<char *>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  if (ready_fd)
    posix_spawn_file_actions_adddup2(&fa, ready[1], 3); // dup2 clears close-on-exec
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  int rc = posix_spawn(&pid_, exe.c_str(), &fa, &at, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (ready_fd)
    ::close(ready[1]);
  if (rc != 0) {
    if (ready_fd)
      ::close(ready[0]);
    throw std::runtime_error("posix_spawn " + exe + ": " + std::strerror(rc));
  }
  ready_fd_ = ready[0];
}
Proc::Proc(Proc &&o) noexcept : pid_(o.pid_), ready_fd_(o.ready_fd_) {
  o.pid_ = -1;
  o.ready_fd_ = -1;
}
Proc &Proc::operator=(Proc &&o) noexcept {
  if (this != &o) {
    kill_and_reap();
    pid_ = std::exchange(o.pid_, -1);
    ready_fd_ = std::exchange(o.ready_fd_, -1);
  }
  return *this;
}
std::optional<std::string> Proc::wait_ready(milliseconds timeout) {
  if (ready_fd_ < 0)
    return std::nullopt;
  auto end = steady_clock::now() + timeout;
  std::string line;
  char buf[256];
  while (line.find('\n') == std::string::npos) {
    auto left = duration_cast<milliseconds>(end - steady_clock::now()).count();
    pollfd p{ready_fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
      break;
    ssize_t n = ::read(ready_fd_, buf, sizeof buf);
    if (n <= 0)
      break; // closed: it exited (or gave up) before it was ready
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(ready_fd_);
  ready_fd_ = -1;
  auto nl = line.find('\n');
  if (nl == std::string::npos)
    return std::nullopt;
  return line.substr(0, nl);
}
Proc::~Proc() {
  kill_and_reap();
}
void Proc::signal(int sig) const {
  if (pid_ > 0)
    ::kill(pid_, sig);
}
std::optional<int> Proc::wait(milliseconds timeout) {
  auto end = steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return st;
    }
    if (steady_clock::now() >= end)
      return std::nullopt;
    std::this_thread::sleep_for(milliseconds(5));
  }
}
void Proc::kill_and_reap() {
  if (ready_fd_ >= 0)
    ::close(std::exchange(ready_fd_, -1));
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

Stack::Stack(Env extra) {
  env_ = {{"PROC_DIR", dir_.path},
          {"HOST", "127.0.0.1"},
          {"PORT", "0"},
          {"PROC_WAIT_MS", "2000"},
          {"PROC_TIMEOUT_MS", "20000"},
          {"HOME", dir_.path},
          // Each request reaches a worker, as most tests count on; the line
          // cache's own tests turn it on.
          {"WEB_CACHE_BYTES", "0"}};
  for (auto &[k, v] : extra)
    env_[k] = v;
}
Stack::~Stack() = default;

void Stack::start_processor(const Env &overrides) {
  Env e = env_;
  for (auto &[k, v] : overrides)
    e[k] = v;
  processor_ = Proc(FIFOGATE_PROCESSOR_BIN, {}, e, dir_.path + "/processor.log", true);
  if (!processor_.wait_ready(seconds(10)))
    throw std::runtime_error("processor did not become ready: " + processor_log());
}

void Stack::start_web(const Env &overrides) {
  Env e = env_;
  for (auto &[k, v] : overrides)
    e[k] = v;
  web_ = Proc(FIFOGATE_WEB_BIN, {}, e, dir_.path + "/web.log", true);
  auto said = web_.wait_ready(seconds(10));
  std::smatch m;
  std::regex re("listening on http://[0-9.]+:([0-9]+)/");
  if (!said || !std::regex_match(*said, m, re))
    throw std::runtime_error("web did not start: " + web_log());
  port_ = std::stoi(m[1]);
}

std::string Stack::processor_log() const {
  return read_file(dir_.path + "/processor.log");
}
std::string Stack::web_log() const {
  return read_file(dir_.path + "/web.log");
}

std::string run_capture(const std::vector<std::string> &argv, const std::string &input) {
  TempDir d;
  write_file(d.path + "/in", input);
  std::string cmd = "LC_ALL=C.UTF-8";
  for (auto &a : argv)
    cmd += " '" + a + "'";
  cmd += " < '" + d.path + "/in' > '" + d.path + "/out'";
  int rc = std::system(cmd.c_str());
  (void)rc;
  return read_file(d.path + "/out");
}

std::string aspell_direct(const std::string &input) {
  return run_capture({"aspell", "-a"}, input);
}

std::string read_file(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void write_file(const std::string &path, const std::string &data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}
std::string not_executable_script(const std::string &dir) {
  std::string path = dir + "/not-executable";
  write_file(path, "#!/bin/sh\necho never\n");
  ::chmod(path.c_str(), 0644);
  return path;
}
std::string gpl3() {
  return read_file("/usr/share/common-licenses/GPL-3");
}

int count_fds(pid_t pid) {
  int n = 0;
  DIR *d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d)
    return -1;
  while (auto *e = readdir(d))
    if (e->d_name[0] != '.')
      ++n;
  closedir(d);
  return n;
}

fifogate::FileLock lock_within(const std::string &path, milliseconds timeout) {
  auto end = steady_clock::now() + timeout;
  for (;;) {
    auto got = fifogate::FileLock::try_acquire(path);
    if (!got)
      throw std::runtime_error(got.error().message());
    if (*got)
      return std::move(**got);
    if (steady_clock::now() >= end)
      throw std::runtime_error("lock " + path + ": still held after " +
                               std::to_string(timeout.count()) + " ms");
    std::this_thread::sleep_for(milliseconds(1));
  }
}

int settled_fd_count(pid_t pid, milliseconds still) {
  auto end = steady_clock::now() + seconds(20);
  int last = count_fds(pid);
  auto since = steady_clock::now();
  while (steady_clock::now() < end && steady_clock::now() - since < still) {
    std::this_thread::sleep_for(milliseconds(20));
    int now = count_fds(pid);
    if (now != last) {
      last = now;
      since = steady_clock::now();
    }
  }
  return last;
}

int fifo_pending_bytes(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int n = 0;
  if (::ioctl(fd, FIONREAD, &n) != 0)
    n = -1;
  ::close(fd);
  return n;
}

static std::vector<std::pair<pid_t, std::string>> all_procs() {
  std::vector<std::pair<pid_t, std::string>> out;
  DIR *d = opendir("/proc");
  while (auto *e = readdir(d)) {
    pid_t p = std::atoi(e->d_name);
    if (p > 0)
      out.emplace_back(p, read_file("/proc/" + std::string(e->d_name) + "/stat"));
  }
  closedir(d);
  return out;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  for (auto &[p, stat] : all_procs()) {
    auto rp = stat.rfind(')');
    if (rp == std::string::npos)
      continue;
    std::istringstream is(stat.substr(rp + 2));
    std::string state;
    pid_t ppid = 0;
    is >> state >> ppid;
    if (ppid == pid)
      out.push_back(p);
  }
  return out;
}

bool is_alive(pid_t pid) {
  std::string st = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto rp = st.rfind(')');
  return rp != std::string::npos && rp + 2 < st.size() && st[rp + 2] != 'Z';
}

} // namespace fgtest
