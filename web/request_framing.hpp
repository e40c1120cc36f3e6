#pragma once
// Where a request's head ends and how its body is framed, decided from the raw
// bytes before cpp-httplib parses them (RFC 9112 §2.2, §5, §6, §7.1). Plain
// functions of a byte string: the connection loop calls them on what a client
// has sent so far; they are unit-tested without a socket.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fifogate {

// Bounds on a request head: past either, 431.
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxHeaderLines = 100;

// A refusal decided from the framing: the status to answer and why.
struct FramingError {
  int status = 0; // 400, 431 or 501; 0 = none
  std::string reason;
  explicit operator bool() const { return status != 0; }
};

// How far the head of `bytes` goes: the length including the empty line that
// ends it, 0 while it is incomplete, or an error (431) when it cannot fit.
struct HeadScan {
  size_t length = 0;
  FramingError error;
};
HeadScan scan_head(std::string_view bytes);

enum class BodyFraming { none, length, chunked };

struct Framing {
  BodyFraming body = BodyFraming::none;
  uint64_t content_length = 0;  // for BodyFraming::length
  bool expect_continue = false; // "Expect: 100-continue"
  FramingError error;
};
// Checks a complete head (as scan_head measured it) for the shapes RFC 9112
// says to reject, since a proxy in front could frame them differently and so
// smuggle a request: Content-Length with Transfer-Encoding, Content-Length
// repeated or not a plain number, whitespace before a field's colon, obsolete
// line folding, a bare CR, a line without a colon; a Transfer-Encoding other
// than chunked is 501.
Framing check_framing(std::string_view head);

// How far a chunked body goes in `bytes` (the bytes after the head): its
// length including the last chunk and the trailer section, 0 while it is
// incomplete, or an error (400) for a chunk size that is not hex, is
// negative, overflows, or a chunk not ended by CRLF.
struct ChunkedScan {
  size_t length = 0;
  uint64_t data_bytes = 0; // the body's own bytes seen so far
  FramingError error;
};
ChunkedScan scan_chunked(std::string_view bytes);

} // namespace fifogate
