#include "connection.hpp"

namespace fifogate {

Readiness assess(Connection &c, const EdgeLimits &limits, Clock::time_point now) {
  Readiness r;
  if (c.head_length == 0) {
    HeadScan scan = scan_head(c.buf);
    if (scan.error)
      return {Readiness::refuse, scan.error};
    if (scan.length == 0)
      return r;
    c.head_length = scan.length;
    c.framing = check_framing(std::string_view(c.buf).substr(0, scan.length));
    c.head_done = now;
    if (c.framing.error)
      return {Readiness::refuse, c.framing.error};
  }
  std::string_view body = std::string_view(c.buf).substr(c.head_length);
  if (c.framing.body != BodyFraming::none && limits.body_wanted) {
    std::string_view line = std::string_view(c.buf).substr(0, c.buf.find_first_of("\r\n"));
    size_t sp = line.find(' ');
    std::string_view method = line.substr(0, sp);
    std::string_view target = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    std::string_view path = target.substr(0, target.find_first_of(" ?"));
    if (!limits.body_wanted(method, path))
      return {Readiness::ready, {}};
  }
  switch (c.framing.body) {
  case BodyFraming::none:
    r.kind = Readiness::ready;
    break;
  case BodyFraming::length:
    // A client waiting for "100 Continue" sends nothing more until a thread
    // answers; a body too large to hold here is read by the thread, under
    // the body's time limits.
    if (c.framing.expect_continue || c.framing.content_length > limits.buffered_body ||
        body.size() >= c.framing.content_length)
      r.kind = Readiness::ready;
    break;
  case BodyFraming::chunked: {
    ChunkedScan scan = scan_chunked(body);
    if (scan.error)
      return {Readiness::refuse, scan.error};
    if (scan.length > 0 || c.framing.expect_continue || body.size() > limits.buffered_body)
      r.kind = Readiness::ready;
    break;
  }
  }
  return r;
}

} // namespace fifogate
