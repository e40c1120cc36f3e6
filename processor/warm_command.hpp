#pragma once
#include "child_process.hpp"
#include "fifogate/config.hpp"
#include "fifogate/deadline.hpp"
#include <optional>
#include <string>

namespace fifogate {

// One long-running ispell-protocol command (aspell -a), kept between requests
// in warm mode. It is retired (killed) on any anomaly: a timeout, output
// nobody asked for, an exit, a refused request; and after
// PROC_WARM_MAX_REQUESTS requests. The next request starts a fresh one.
class WarmCommand {
public:
  explicit WarmCommand(const Config &cfg) : cfg_(cfg) {}

  // Starts the command if none runs and reads its banner line. A stop signal
  // pending on `stop_fd` (-1: none) ends the wait, and the start fails.
  Result<void> ensure_started(const Deadline &deadline, int stop_fd = -1);
  bool running() const { return child_.has_value(); }
  ChildProcess &child() { return *child_; }
  // The banner line ("@(#) International Ispell ...\n") every answer starts with.
  const std::string &banner() const { return banner_; }
  // Why the command can't serve the next request as it is: it exited, or it
  // wrote to stdout or stderr between requests (its state is unknown, and
  // those bytes belong to no request). Empty: it can.
  std::optional<std::string> stray_output();
  // A line to send before each request, whose one answer block is not part
  // of the answer (it brings aspell's nroff filter back to rest); empty: none.
  const std::string &sentinel() const { return sentinel_; }
  static constexpr const char *kNroffSentinel = "^x y\n";
  void retire(const std::string &why);
  // Counts a completed request; retires the command at the request limit.
  void served_one();

private:
  Result<void> learn_aspell_mode(const Deadline &deadline, int stop_fd);
  // What the command has written to stderr so far (at most 512 bytes kept),
  // read without waiting; a closed stderr is closed on our side too.
  std::string take_stderr();
  const Config &cfg_;
  std::optional<ChildProcess> child_;
  std::string banner_;
  std::string sentinel_;
  bool restart_each_ = false; // aspell in a mode whose filters cannot be reset
  bool warned_mode_ = false;
  int64_t served_ = 0;
};

} // namespace fifogate
