#pragma once
#include "fifogate/params.hpp"
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace fifogate {

// The options a request's begin record carries, from the web to the worker:
// its payload is "len=<N>" (the body's length), then one "key=value" line per
// option set. Values that are not plain printable ASCII travel
// percent-encoded (param., path, query, header.). Unknown keys are ignored,
// so a newer web can talk to an older worker. Nothing here is trusted by the
// worker before it checks it.
struct BeginOptions {
  std::string lang;         // a dictionary name; empty: the command as configured
  std::string content_type; // the request's Content-Type; empty when it had none
  uint64_t body_len = 0;    // set by the exchange from the body it sends
  ParamValues params;       // declared parameters (PROC_PARAMS): "param.<name>"
  // The request, for a processor that asks for it (PROC_PASS_REQUEST).
  std::string method, path, query;
  // Headers the processor lists (PROC_PASS_HEADERS), by lower-case name: "header.<name>".
  std::map<std::string, std::string> headers;
  // The answer streams to the client as it comes: the output is framed as
  // it is read, and MAX_OUTPUT_BYTES (a bound on what the web holds) does
  // not apply.
  bool stream = false;
};

// The longest Content-Type that is passed on; a longer one is not.
constexpr size_t kMaxContentTypeBytes = 256;

// A header the web may pass to a processor that lists it: a lower-case
// name of a-z 0-9 -, and none of those carrying credentials meant for the
// web (authorization, cookie, proxy-authorization), as the processor's own
// PROC_PASS_HEADERS refuses them.
bool passable_header(std::string_view name);

// A value that can travel in one option line: printable ASCII, no newline.
bool fits_begin_option(std::string_view value, size_t max_bytes);

// A Content-Type that does not fit a line is left out. The web has checked
// lang (a dictionary name) before. The result must fit one record
// (frame::kMaxPayload): the web refuses a request whose options do not.
std::string encode_begin_options(const BeginOptions &o);
BeginOptions decode_begin_options(std::string_view payload);

} // namespace fifogate
