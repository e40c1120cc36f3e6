#pragma once
#include "exchange.hpp"
#include "http_status.hpp"
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fifogate {

// How a streamed answer is written, kept apart from the HTTP plumbing.
//
// Plain: the output's bytes as they come, then HTTP trailers with the
// outcome. Server-sent events (text/event-stream): the output as events, then
// one "status" event with the outcome as JSON.

// Whether an answer streams. A request asks with ?stream=1 (plain) or
// Accept: text/event-stream (events); the processor allows it (allow, the
// default), refuses it (never) or streams every answer (always). HTTP/1.0
// has no chunked framing: such a client gets the answer whole.
struct StreamChoice {
  bool stream = false;
  bool sse = false;
  std::string refusal; // not empty: the 400 to answer
};
// `stream_param`: the query's stream value, null when absent. `policy`: the
// kind's PROC_STREAM as its worker published it (empty: not known yet).
StreamChoice choose_stream(const std::string *stream_param, std::string_view accept,
                           std::string_view policy, std::string_view http_version,
                           const std::string &kind);

// The trailer fields a plain streamed answer announces (its Trailer header)
// and then sends.
constexpr const char *kStreamTrailerNames =
    "X-Outcome, X-Exit-Code, X-Signal, X-Stderr-Truncated, X-Status";
// Their values: the worker's outcome (or how the exchange failed), the exit
// code and signal when there are any, whether stderr was cut, and the status
// code the answer would have had unstreamed (200, 502, 504...).
std::vector<std::pair<std::string, std::string>> stream_trailers(const ExchangeResult &r,
                                                                 const HttpVerdict &v);

// Output as events. Text (UTF-8 without NUL or CR, which an event cannot
// carry) is a message event: one "data:" line per line, so a client that
// joins the events' data gets the bytes back. Anything else is an event named
// "base64" with the bytes in base64. A UTF-8 character cut at a chunk's end
// waits for the rest.
class SseEncoder {
public:
  std::string feed(std::string_view bytes);
  // What is still held (a character never completed): as base64.
  std::string finish();

private:
  std::string held_;
};

// One event: "event: <name>" unless name is empty, then "data: <data>".
// `data` must hold no line break (JSON from dump() holds none).
std::string sse_event(std::string_view name, std::string_view data);

// How many bytes at the end of `bytes` begin a UTF-8 character that is not
// complete yet (0 to 3).
size_t incomplete_utf8_tail(std::string_view bytes);

} // namespace fifogate
