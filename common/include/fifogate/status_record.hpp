#pragma once
#include "fifogate/error.hpp"
#include "fifogate/request_id.hpp"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fifogate {

enum class Outcome {
  ok,           // the command exited 0
  failed,       // it exited non-zero or was killed by a signal
  timeout,      // it ran past PROC_TIMEOUT_MS and its process group was killed
  spawn_failed, // it could not be started
  bad_input,    // the body was refused (NUL byte, invalid UTF-8) before the command saw it
  truncated,    // the body stopped before its end record (the sender went away)
  output_limit, // stdout passed the output cap; the command was killed
  abandoned,    // the requester stopped reading; the command was killed
  internal,     // the worker itself failed
};
const char *outcome_name(Outcome o);
std::optional<Outcome> outcome_from_name(std::string_view name);

// What the worker reports for one request on the status FIFO.
struct StatusRecord {
  RequestId id;
  Outcome outcome = Outcome::internal;
  int exit_code = -1; // -1 when the command did not exit normally
  int signal = 0;     // the signal that ended it, 0 if none
  int64_t duration_ms = 0;
  bool stderr_truncated = false;
  std::string stderr_text;  // capped at kMaxStderr bytes
  std::string message;      // the worker's own explanation, one line
  std::string worker;       // which worker served it
  std::string content_type; // its PROC_CONTENT_TYPE; empty: the web goes by the output
};
constexpr size_t kMaxStderr = 64 * 1024;

// Text form: "key=value" lines, a blank line, then exactly stderr_len bytes of stderr.
std::string encode_status(const StatusRecord &s);
Result<StatusRecord> decode_status(std::string_view text);

} // namespace fifogate
