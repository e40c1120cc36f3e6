#include "fifogate/begin_options.hpp"
#include <charconv>

namespace fifogate {

bool fits_begin_option(std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes)
    return false;
  for (unsigned char c : value)
    if (c < 0x20 || c > 0x7e)
      return false;
  return true;
}

std::string encode_begin_options(const BeginOptions &o) {
  std::string p = "len=" + std::to_string(o.body_len);
  if (!o.lang.empty())
    p += "\nlang=" + o.lang;
  if (!o.content_type.empty() && fits_begin_option(o.content_type, kMaxContentTypeBytes))
    p += "\ncontent_type=" + o.content_type;
  return p;
}

BeginOptions decode_begin_options(std::string_view payload) {
  BeginOptions o;
  while (!payload.empty()) {
    size_t nl = payload.find('\n');
    std::string_view line = payload.substr(0, nl);
    payload.remove_prefix(nl == std::string_view::npos ? payload.size() : nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      continue;
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "len")
      std::from_chars(value.data(), value.data() + value.size(), o.body_len);
    else if (key == "lang")
      o.lang = std::string(value);
    else if (key == "content_type" && fits_begin_option(value, kMaxContentTypeBytes))
      o.content_type = std::string(value);
  }
  return o;
}

} // namespace fifogate
