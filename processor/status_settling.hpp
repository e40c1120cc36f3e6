#pragma once
#include "child_process.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/ispell.hpp"
#include "fifogate/request_id.hpp"
#include "fifogate/status_record.hpp"
#include <optional>
#include <string>

namespace fifogate {

// What a request's outcome is decided from, once its command is done with.
struct CommandEnd {
  std::optional<Outcome> failure;         // the request's first failure, if any
  std::optional<ChildProcess::Exit> exit; // how the command ended, if it did
  bool warm = false;                      // the warm command answered (and runs on)
  // A fresh ispell command: its answer must start with the banner of the
  // checker the input was escaped for.
  bool check_banner = false;
  const ispell::OutputFixer *fixer = nullptr; // what its output showed (check_banner)
  bool cut_lines = false;                     // its input had lines cut for `checker`
  ispell::Checker checker = ispell::Checker::aspell;
};

// Sets the outcome, exit code, signal and (unless a failure already gave
// one) the message of `s`.
void settle_status(StatusRecord &s, const CommandEnd &end);

// Sends the encoded status on the status FIFO, in as many records as it
// needs. False when nobody waits for it any more or it did not go in time.
bool send_status(const std::string &status_path, const RequestId &id, const std::string &encoded,
                 const Deadline &hard_deadline);

} // namespace fifogate
