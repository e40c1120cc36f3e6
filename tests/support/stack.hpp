#pragma once
// Test harness: starts the real fifogate-processor and fifogate-web binaries
// in a private temp directory and talks to them over 127.0.0.1.
#include "fifogate/file_lock.hpp"
#include "http_client.hpp"
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fgtest {

using Env = std::map<std::string, std::string>;

// A private directory, removed with everything in it.
struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
};

// A child process started with posix_spawn; killed and reaped on destruction.
// With `ready_fd`, it gets "--ready-fd 3", a pipe's end, and wait_ready()
// reads the line it writes there once it serves.
class Proc {
public:
  Proc() = default;
  Proc(const std::string &exe, const std::vector<std::string> &args, const Env &env,
       const std::string &log_path, bool ready_fd = false);
  Proc(Proc &&o) noexcept;
  Proc &operator=(Proc &&o) noexcept;
  ~Proc();
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  void signal(int sig) const;
  // Waits for exit up to `timeout`; returns the wait status, or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void kill_and_reap();
  // The line the process wrote to its ready descriptor, or nullopt when it
  // exited (or closed it) without one, or `timeout` passed.
  std::optional<std::string> wait_ready(std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  int ready_fd_ = -1; // our end of its ready pipe
};

class Stack {
public:
  explicit Stack(Env extra = {});
  ~Stack();
  const std::string &dir() const { return dir_.path; }
  // A file of a kind's directory (PROC_DIR/<kind>/): "in", "lock.worker", "out.3"...
  std::string path(const std::string &file, const std::string &kind = "default") const {
    return dir_.path + "/" + kind + "/" + file;
  }
  Env env() const { return env_; }
  void set(const std::string &k, const std::string &v) { env_[k] = v; }

  // Starts the processor and waits until it serves (life lock held). Extra
  // variables override the stack's for this process only.
  void start_processor(const Env &overrides = {});
  void start_web(const Env &overrides = {});
  Proc &processor() { return processor_; }
  Proc &web() { return web_; }
  int port() const { return port_; }
  std::string processor_log() const;
  std::string web_log() const;

  HttpAnswer post(const std::string &body, const std::map<std::string, std::string> &headers = {}) {
    return http_post(port_, "/process", body, headers);
  }

private:
  TempDir dir_;
  Env env_;
  Proc processor_, web_;
  int port_ = -1;
};

// Runs a command with `input` on stdin (LC_ALL=C.UTF-8) and returns its stdout.
std::string run_capture(const std::vector<std::string> &argv, const std::string &input);
// `aspell -a` run directly: the reference answer.
std::string aspell_direct(const std::string &input);

std::string read_file(const std::string &path);
void write_file(const std::string &path, const std::string &data);
// A shell script in `dir` without the execute bit: a command that exists but
// cannot be started. Returns its path.
std::string not_executable_script(const std::string &dir);
std::string gpl3();
// A worker slot's request lock, taken as a web takes it, within `timeout`
// (playing the web's part by hand); throws when it stays taken.
fifogate::FileLock lock_within(const std::string &path, std::chrono::milliseconds timeout);
// Open fds of a process, as a count.
int count_fds(pid_t pid);
// The count once it has stayed the same for `still` (connections closing,
// lingering sockets): a baseline to compare with later. At most 20 s.
int settled_fd_count(pid_t pid, std::chrono::milliseconds still = std::chrono::milliseconds(500));
// Bytes written into a FIFO that its reader has not read yet (FIONREAD on a
// reader of our own, opened without blocking and closed again).
int fifo_pending_bytes(const std::string &path);
// Direct children of a process (from /proc).
std::vector<pid_t> children_of(pid_t pid);
// Running and not a zombie.
bool is_alive(pid_t pid);
// Polls `cond` until true or timeout.
template <class F> bool eventually(F cond, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond())
      return true;
    struct timespec ts {
      0, 5 * 1000 * 1000
    };
    nanosleep(&ts, nullptr);
  }
  return cond();
}

} // namespace fgtest
