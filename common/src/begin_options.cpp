#include "fifogate/begin_options.hpp"
#include "fifogate/key_value.hpp"
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
  for_each_key_value(payload, [&](std::string_view key, std::string_view value) {
    if (key == "len")
      std::from_chars(value.data(), value.data() + value.size(), o.body_len);
    else if (key == "lang")
      o.lang = std::string(value);
    else if (key == "content_type" && fits_begin_option(value, kMaxContentTypeBytes))
      o.content_type = std::string(value);
  });
  return o;
}

} // namespace fifogate
