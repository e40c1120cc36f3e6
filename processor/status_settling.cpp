#include "status_settling.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/frame.hpp"
#include <string_view>

namespace fifogate {

void settle_status(StatusRecord &s, const CommandEnd &end) {
  const auto &ex = end.exit;
  // When the request was void before the command finished (bad input, a sender
  // or reader that went away), the kill we sent is not the command's result.
  bool command_result_matters =
      !end.failure || *end.failure == Outcome::timeout || *end.failure == Outcome::output_limit;
  if (ex && command_result_matters) {
    s.exit_code = ex->exit_code;
    s.signal = ex->signal;
  }
  if (end.failure) {
    s.outcome = *end.failure;
  } else if (end.warm) {
    s.outcome = Outcome::ok; // the command keeps running; its answer was complete
    s.exit_code = 0;
  } else if (ex && ex->exit_code == 0) {
    s.outcome = Outcome::ok;
  } else {
    s.outcome = Outcome::failed;
    if (ex && ex->signal)
      s.message = "command killed by signal " + std::to_string(ex->signal);
    else if (ex)
      s.message = "command exited with status " + std::to_string(ex->exit_code);
  }
  if (s.outcome == Outcome::ok && end.check_banner && !end.fixer->banner_seen()) {
    s.outcome = Outcome::failed;
    s.message = "no ispell banner in the output: is PROC_COMMAND an ispell-style checker?";
  } else if (s.outcome == Outcome::ok && end.check_banner && end.cut_lines &&
             ispell::checker_from_banner(end.fixer->banner()) != end.checker) {
    // The long lines were escaped for another checker: its answer is not ours to trust.
    s.outcome = Outcome::failed;
    s.message = "the command's banner (" + end.fixer->banner() +
                ") is not the checker the worker found at start-up; a line over 8189 bytes "
                "was escaped for the other one: restart the worker";
  }
}

bool send_status(const std::string &status_path, const RequestId &id, const std::string &encoded,
                 const Deadline &hard_deadline) {
  auto fd = try_open_fifo_writer(status_path);
  if (!fd)
    return false; // ENXIO: nobody waits for this status any more
  // A reader that holds the status FIFO but never reads must not hold the worker.
  Deadline d = Deadline::in(Millis(2000)).earlier(hard_deadline);
  for (const auto &rec : frame::encode_message(frame::Kind::status, id, encoded))
    if (!write_atomic(fd->get(), rec, d, "write " + status_path))
      return false;
  return true;
}

} // namespace fifogate
