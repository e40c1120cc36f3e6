#pragma once
#include "command_probes.hpp"
#include "fifogate/begin_options.hpp"
#include "fifogate/config.hpp"
#include "fifogate/dictionary_name.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/ispell.hpp"
#include "fifogate/status_record.hpp"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// The worker's side of one request. It owns the FIFO ends and relays:
//   input FIFO records -> (ispell: '^' per line) -> the command's stdin pipe
//   the command's stdout pipe -> (ispell: offsets back) -> output FIFO records
// then reports a StatusRecord on the status FIFO. The command never touches a
// FIFO, so a command that exits slowly cannot swallow the next request's body.
// Its parts, a file each: request_failure (the first failure decides),
// request_child (the command fed), body_intake, stdout_relay, output_framing,
// status_settling; the start-up probes are in command_probes.
struct RequestInput {
  FifoReader &reader;    // the input FIFO, already open
  frame::Parser &parser; // records already read from it
};

struct RunResult {
  StatusRecord status;
  std::string lang;       // the dictionary asked for, if any (for the log)
  bool streamed = false;  // the web streams this answer to its client
  int64_t out_bytes = 0;  // stdout bytes relayed
  int64_t in_bytes = 0;   // body bytes received
  bool delivered = false; // the output's end and the status reached the reader
  // A begin record of another request that arrived while this one was still
  // receiving its body: the sender gave up and a new request started.
  std::optional<frame::Record> next_begin;
};

class WarmCommand;

// `warm` is null in per-request mode: then a fresh command runs per request.
// A request that asks for a dictionary (lang) always gets a fresh command with
// it, in warm mode too: the warm one keeps the configured dictionary. A lang
// that is not in `facts.dictionaries` is refused (bad_input) before anything runs.
RunResult run_request(const Config &cfg, const Channel &ch, const frame::Record &begin,
                      RequestInput in, const std::string &worker_name, WarmCommand *warm,
                      const CommandFacts &facts);

} // namespace fifogate
