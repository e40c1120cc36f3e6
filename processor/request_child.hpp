#pragma once
#include "child_process.hpp"
#include "fifogate/deadline.hpp"
#include "request_failure.hpp"
#include "warm_command.hpp"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fifogate {

// The command one request feeds and reads: a fresh one it owns (per-request
// mode) or the warm one it borrows; which of its output pipes are still
// open; whether it has exited; and what it said on stderr.
class RequestChild {
public:
  explicit RequestChild(RequestFailure &failure) : failure_(failure) {}

  // Borrows the warm command, started if none runs (or if the one running
  // wrote something between requests: it is retired first).
  Result<void> start_warm(WarmCommand &warm, const Deadline &deadline);
  Result<void> spawn(const std::vector<std::string> &argv,
                     const std::map<std::string, std::string> &env);

  // The command being fed, or null: none started, or the warm one given up.
  ChildProcess *process() { return child_; }
  bool warm() const { return warm_ != nullptr; }
  WarmCommand *warm_command() { return warm_; }
  // Per-request mode: the command has exited (its pipes may still hold output).
  bool owned_exited() const { return owned_ && exited_; }
  bool exited() const { return exited_; }

  bool stdout_open() const { return stdout_open_; }
  bool stderr_open() const { return stderr_open_; }
  void close_stdout();
  void read_stderr();
  std::string take_stderr() { return std::move(stderr_text_); }
  bool stderr_truncated() const { return stderr_truncated_; }

  // The request failed: a warm command is retired (its state is unknown now),
  // an own one killed.
  void abandon(Outcome o, const std::string &why);

  // Each turn of the poll loop: reaps a per-request command that exited, and
  // fails the request if the warm one did.
  void look_for_exit();
  // The pidfd fired: look on the next turn.
  void exit_signalled() { check_exit_ = true; }
  // Whether an exit is still to be watched for, and how: the pidfd, or
  // (without one) a look every few milliseconds.
  bool exit_due() const { return child_ && (warm_ || !exited_); }
  int exit_fd() const { return child_->exit_fd(); }

  // Ends this request's hold on the command: an own one is killed (a no-op
  // unless it outlived the hard deadline) and reaped; what a warm one said on
  // stderr while answering is read. How it ended, if it did.
  std::optional<ChildProcess::Exit> release(bool failed);

private:
  RequestFailure &failure_;
  WarmCommand *warm_ = nullptr;       // warm mode: the command borrowed
  std::optional<ChildProcess> owned_; // per-request mode: this request's command
  ChildProcess *child_ = nullptr;     // the command being fed (owned_ or the warm one)
  std::optional<ChildProcess::Exit> warm_exit_;
  bool exited_ = false;
  bool stdout_open_ = false, stderr_open_ = false;
  bool check_exit_ = true; // the pidfd fired (or there is none): look
  std::string stderr_text_;
  bool stderr_truncated_ = false;
};

} // namespace fifogate
