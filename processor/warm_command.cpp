#include "warm_command.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/ispell.hpp"
#include "fifogate/log.hpp"
#include "fifogate/log_fields.hpp"
#include <poll.h>

namespace fifogate {

Result<void> WarmCommand::ensure_started(const Deadline &deadline, int stop_fd) {
  if (child_)
    return {};
  auto c = ChildProcess::spawn(cfg_.command);
  if (!c)
    return c.error();
  child_.emplace(std::move(*c));
  served_ = 0;
  // The banner comes first and only once; each answer repeats it so that warm
  // answers are byte-identical to a fresh `aspell -a`.
  auto line = read_line(child_->stdout_fd().get(), deadline, stop_fd);
  if (!line || line->find('\n') == std::string::npos) {
    if (stop_fd >= 0 && poll_one(stop_fd, POLLIN, Deadline::in(Millis(0))) > 0) {
      child_.reset();
      return Error::logic("warm start of \"" + cfg_.command_line +
                          "\": interrupted by a stop signal");
    }
    // Collect what it said on stderr for the error message.
    poll_one(child_->stderr_fd().get(), POLLIN, Deadline::in(Millis(200)));
    std::string err = take_stderr();
    child_.reset();
    return Error::logic("warm start of \"" + cfg_.command_line + "\": no banner" +
                        (err.empty() ? std::string() : ": " + err));
  }
  const std::string &got = *line;
  auto nl = got.find('\n');
  banner_ = got.substr(0, nl + 1);
  if (banner_.rfind("@(#)", 0) != 0 || nl + 1 != got.size()) {
    child_.reset();
    return Error::logic("warm start of \"" + cfg_.command_line + "\": unexpected first output");
  }
  if (ispell::checker_from_banner(banner_) == ispell::Checker::aspell)
    if (auto r = learn_aspell_mode(deadline, stop_fd); !r)
      return r;
  // What it said on stderr while starting (a warning) belongs to no request:
  // logged here, or the first request would take it for stray output.
  if (auto said = take_stderr(); !said.empty())
    log_line("processor", "warm command said on stderr while starting: \"" + log_text(said) + "\"");
  return {};
}

std::string WarmCommand::take_stderr() {
  std::string said;
  char buf[512];
  // Bounded: a command that writes to stderr without pause must not keep
  // the worker here. What is left is seen next time (and retires it).
  for (int reads = 0; reads < 64 && child_ && child_->stderr_fd() &&
                      poll_one(child_->stderr_fd().get(), POLLIN, Deadline::in(Millis(0))) > 0;
       ++reads) {
    auto r = read_some(child_->stderr_fd().get(), buf, sizeof buf);
    if (r.kind != ReadKind::data) {
      if (r.kind != ReadKind::would_block)
        child_->stderr_fd().reset(); // closed: nothing more will come
      break;
    }
    if (said.size() < 512)
      said.append(buf, std::min(r.bytes, 512 - said.size()));
  }
  while (!said.empty() && said.back() == '\n')
    said.pop_back();
  return said;
}

// aspell's filters keep state from one line to the next; a fresh aspell -a
// starts each request with them at rest, a warm one with whatever the last
// request left (a last line of "." makes the nroff filter take the next
// line's first word for a request name). So each warm request starts with
// kNroffSentinel, whose answer is dropped: from any state the nroff filter
// can be in after a newline, "x y" brings it back to rest (see the filter's
// state machine in aspell's modules/filter/nroff.cpp). Other modes have
// filters with more state (TeX, SGML, markdown...): the command is restarted
// after every request instead.
Result<void> WarmCommand::learn_aspell_mode(const Deadline &deadline, int stop_fd) {
  std::string ask = "$$cr mode\n";
  if (auto w = write_all(child_->stdin_fd().get(), ask, deadline, "ask the warm command's mode");
      !w) {
    child_.reset();
    return w.error();
  }
  auto got = read_line(child_->stdout_fd().get(), deadline, stop_fd);
  if (!got || got->find('\n') == std::string::npos) {
    child_.reset();
    if (stop_fd >= 0 && poll_one(stop_fd, POLLIN, Deadline::in(Millis(0))) > 0)
      return Error::logic("warm start of \"" + cfg_.command_line +
                          "\": interrupted by a stop signal");
    return Error::logic("warm start of \"" + cfg_.command_line + "\": no answer to $$cr mode");
  }
  std::string mode = got->substr(0, got->find('\n'));
  sentinel_.clear();
  restart_each_ = false;
  if (mode == "nroff") {
    sentinel_ = kNroffSentinel;
  } else if (mode != "none") {
    restart_each_ = true;
    if (!warned_mode_)
      log_line("processor", "warm mode: aspell runs in mode " + mode +
                                ", whose filter state cannot be reset between requests; the "
                                "warm command is restarted after every request");
    warned_mode_ = true;
  }
  return {};
}

std::optional<std::string> WarmCommand::stray_output() {
  if (!child_)
    return std::nullopt;
  if (child_->try_exit())
    return std::string("it exited between requests");
  // Stdout is not read here: a byte there is enough to know.
  if (poll_one(child_->stdout_fd().get(), POLLIN, Deadline::in(Millis(0))) != 0)
    return std::string("it wrote to stdout between requests");
  // Stderr written after a request's answer was complete (aspell can't be
  // asked when it is done with stderr) would otherwise be read as the next
  // request's. What it said goes to the log, shortened. A closed stderr is
  // no anomaly.
  if (auto said = take_stderr(); !said.empty())
    return "it wrote to stderr between requests: \"" + log_text(said) + "\"";
  return std::nullopt;
}

void WarmCommand::retire(const std::string &why) {
  if (!child_)
    return;
  log_line("processor", "warm command retired: " + why);
  child_.reset(); // kills its group and reaps it
}

void WarmCommand::served_one() {
  if (restart_each_) {
    child_.reset(); // the filter state it was left in would reach the next request
    return;
  }
  if (++served_ >= cfg_.warm_max_requests) {
    child_.reset();
    log_line("processor", "warm command restarted after " + std::to_string(served_) +
                              " requests (PROC_WARM_MAX_REQUESTS)");
  }
}

} // namespace fifogate
