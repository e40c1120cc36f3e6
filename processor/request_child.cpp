#include "request_child.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/status_record.hpp"
#include "relay_limits.hpp"
#include <algorithm>
#include <poll.h>

namespace fifogate {

Result<void> RequestChild::start_warm(WarmCommand &warm, const Deadline &deadline) {
  warm_ = &warm;
  if (auto why = warm.stray_output())
    warm.retire(*why);
  if (auto r = warm.ensure_started(deadline); !r)
    return r;
  child_ = &warm.child();
  stdout_open_ = stderr_open_ = true;
  return {};
}

Result<void> RequestChild::spawn(const std::vector<std::string> &argv,
                                 const std::map<std::string, std::string> &env) {
  auto c = ChildProcess::spawn(argv, env);
  if (!c)
    return c.error();
  owned_.emplace(std::move(*c));
  child_ = &*owned_;
  stdout_open_ = stderr_open_ = true;
  return {};
}

void RequestChild::close_stdout() {
  stdout_open_ = false;
  child_->stdout_fd().reset();
}

void RequestChild::read_stderr() {
  char buf[kReadChunk];
  auto r = read_some(child_->stderr_fd().get(), buf, sizeof buf);
  if (r.kind == ReadKind::would_block)
    return;
  if (r.kind != ReadKind::data) {
    stderr_open_ = false;
    child_->stderr_fd().reset();
    return;
  }
  size_t room = kMaxStderr - stderr_text_.size();
  stderr_text_.append(buf, std::min(room, r.bytes));
  if (r.bytes > room)
    stderr_truncated_ = true;
}

void RequestChild::abandon(Outcome o, const std::string &why) {
  if (warm_ && child_) {
    // Its state is unknown now (half a request fed, or worse): start afresh next time.
    warm_->retire(std::string(outcome_name(o)) + ": " + why);
    child_ = nullptr;
    stdout_open_ = stderr_open_ = false;
  } else if (child_) {
    child_->kill_group();
    child_->stdin_fd().reset();
  }
}

void RequestChild::look_for_exit() {
  if (check_exit_ && warm_ && child_) {
    if (auto e = child_->try_exit()) {
      warm_exit_ = e;
      failure_.fail(Outcome::failed, "the warm command exited mid-request");
    }
  } else if (check_exit_ && child_ && !exited_) {
    exited_ = child_->try_exit().has_value();
  }
  check_exit_ = child_ && child_->exit_fd() < 0;
}

std::optional<ChildProcess::Exit> RequestChild::release(bool failed) {
  std::optional<ChildProcess::Exit> ex = warm_exit_;
  if (owned_) {
    owned_->kill_group(); // no-op unless it outlived the hard deadline
    ex = owned_->try_exit();
    owned_.reset(); // reaps if still needed
  } else if (warm_ && child_ && !failed) {
    // Whatever it said on stderr while answering belongs to this request.
    if (stderr_open_ && poll_one(child_->stderr_fd().get(), POLLIN, Deadline::in(Millis(0))) > 0)
      read_stderr();
  }
  child_ = nullptr;
  return ex;
}

} // namespace fifogate
