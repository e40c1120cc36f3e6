#pragma once
#include "fifogate/error.hpp"
#include "fifogate/unique_fd.hpp"
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fifogate {

// A command started with Boost.Process v1 the safe way:
//  - its stdin, stdout and stderr are pipes we made (O_CLOEXEC on our ends),
//    never FIFO paths (a path redirect does a blocking open in the parent);
//  - in the child, before exec: its own process group (so a timeout kills the
//    whole tree), every signal disposition back to default (an ignored SIGPIPE
//    survives exec and keeps aspell writing to nobody), an empty signal mask,
//    and every fd above 2 marked close-on-exec (v1 passes all fds otherwise);
//  - exit is watched with a pidfd, not v1's wait_for, which stalls on an
//    already-exited child.
class ChildProcess {
public:
  struct Exit {
    int exit_code = -1; // -1 unless it exited normally
    int signal = 0;     // the signal that killed it, else 0
  };

  // LC_ALL=C.UTF-8 is set for the child so checkers read UTF-8 whatever the
  // container's locale. `env` adds to (or, with an empty value, removes
  // from) the environment the child inherits.
  static Result<ChildProcess> spawn(const std::vector<std::string> &argv,
                                    const std::map<std::string, std::string> &env = {});

  ChildProcess(ChildProcess &&) noexcept;
  ChildProcess &operator=(ChildProcess &&) noexcept;
  ~ChildProcess(); // kills the group and reaps, if still running

  pid_t pid() const { return pid_; }
  UniqueFd &stdin_fd() { return stdin_; }
  UniqueFd &stdout_fd() { return stdout_; }
  UniqueFd &stderr_fd() { return stderr_; }
  // Readable once the child has exited; -1 when pidfds are unavailable
  // (then poll with a short timeout and call try_exit()).
  int exit_fd() const { return pidfd_.get(); }

  // SIGKILL to the whole process group.
  void kill_group();
  // Non-blocking: the exit status once the child has exited (reaps it).
  std::optional<Exit> try_exit();

private:
  ChildProcess();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  pid_t pid_ = -1;
  UniqueFd stdin_, stdout_, stderr_, pidfd_;
  std::optional<Exit> exit_;
};

} // namespace fifogate
