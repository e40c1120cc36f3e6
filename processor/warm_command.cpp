#include "warm_command.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/log.hpp"
#include <poll.h>

namespace fifogate {

Result<void> WarmCommand::ensure_started(const Deadline &deadline, int stop_fd) {
  if (child_)
    return {};
  auto c = ChildProcess::spawn(cfg_.command);
  if (!c)
    return c.error();
  child_.emplace(std::move(*c));
  ++restarts_;
  served_ = 0;
  // The banner comes first and only once; each answer repeats it so that warm
  // answers are byte-identical to a fresh `aspell -a`.
  std::string got;
  char buf[512];
  while (got.find('\n') == std::string::npos) {
    int rev = poll_one(child_->stdout_fd().get(), POLLIN, deadline, stop_fd);
    if (rev == kStopRequested) {
      child_.reset();
      return Error::logic("warm start of \"" + cfg_.command_line +
                          "\": interrupted by a stop signal");
    }
    auto r = rev > 0 ? read_some(child_->stdout_fd().get(), buf, sizeof buf)
                     : ReadResult{ReadKind::error};
    if (r.kind == ReadKind::data) {
      got.append(buf, r.bytes);
      continue;
    }
    if (r.kind == ReadKind::would_block)
      continue;
    // Collect what it said on stderr for the error message.
    std::string err;
    if (poll_one(child_->stderr_fd().get(), POLLIN, Deadline::in(Millis(200))) > 0) {
      auto e = read_some(child_->stderr_fd().get(), buf, sizeof buf);
      if (e.kind == ReadKind::data)
        err.assign(buf, e.bytes);
    }
    child_.reset();
    return Error::logic("warm start of \"" + cfg_.command_line + "\": no banner" +
                        (err.empty() ? std::string() : ": " + err));
  }
  auto nl = got.find('\n');
  banner_ = got.substr(0, nl + 1);
  if (banner_.rfind("@(#)", 0) != 0 || nl + 1 != got.size()) {
    child_.reset();
    return Error::logic("warm start of \"" + cfg_.command_line + "\": unexpected first output");
  }
  return {};
}

bool WarmCommand::has_stray_output() {
  if (!child_)
    return false;
  if (child_->try_exit())
    return true;
  int rev = poll_one(child_->stdout_fd().get(), POLLIN, Deadline::in(Millis(0)));
  return rev != 0;
}

void WarmCommand::retire(const std::string &why) {
  if (!child_)
    return;
  log_line("processor", "warm command retired: " + why);
  child_.reset(); // kills its group and reaps it
}

void WarmCommand::served_one() {
  if (++served_ >= cfg_.warm_max_requests) {
    child_.reset();
    log_line("processor", "warm command restarted after " + std::to_string(served_) +
                              " requests (PROC_WARM_MAX_REQUESTS)");
  }
}

} // namespace fifogate
