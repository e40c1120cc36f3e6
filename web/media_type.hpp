#pragma once
#include <string>
#include <string_view>

namespace fifogate {

// A Content-Type header value, as far as the web reads it: the media type in
// lower case (RFC 9110 says it is case-insensitive) and its charset, if any.
struct MediaType {
  std::string header;  // the value as it came
  std::string type;    // "text/plain"; empty when the header is missing
  std::string charset; // lower case, unquoted; empty when not given
  bool is(std::string_view t) const { return type == t; }
  bool is_text() const { return type.rfind("text/", 0) == 0; }
  bool is_multipart() const { return type.rfind("multipart/", 0) == 0; }
  // This type once its text is UTF-8: "text/csv; charset=utf-8".
  std::string as_utf8() const { return (type.empty() ? "text/plain" : type) + "; charset=utf-8"; }
};

MediaType parse_media_type(std::string_view content_type);

} // namespace fifogate
