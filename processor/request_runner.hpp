#pragma once
#include "fifogate/config.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/status_record.hpp"
#include <optional>
#include <string>

namespace fifogate {

// The worker's side of one request. It owns the FIFO ends and relays:
//   input FIFO records -> (ispell: '^' per line) -> the command's stdin pipe
//   the command's stdout pipe -> (ispell: offsets back) -> output FIFO records
// then reports a StatusRecord on the status FIFO. The command never touches a
// FIFO, so a command that exits slowly cannot swallow the next request's body.
struct RequestInput {
  FifoReader &reader;   // the input FIFO, already open
  frame::Parser &parser; // records already read from it
};

struct RunResult {
  StatusRecord status;
  int64_t out_bytes = 0;  // stdout bytes relayed
  int64_t in_bytes = 0;   // body bytes received
  bool delivered = false; // the status reached a reader
  // A begin record of another request that arrived while this one was still
  // receiving its body: the sender gave up and a new request started.
  std::optional<frame::Record> next_begin;
};

class WarmCommand;

// `warm` is null in per-request mode: then a fresh command runs per request.
RunResult run_request(const Config &cfg, const Channel &ch, const frame::Record &begin,
                      RequestInput in, const std::string &worker_name, WarmCommand *warm);

} // namespace fifogate
