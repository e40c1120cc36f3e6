#include "fifogate/begin_options.hpp"
#include "fifogate/key_value.hpp"
#include <charconv>

namespace fifogate {

namespace {

// `key`: for a name in a key, where "=" would end the key too.
std::string percent_encode(std::string_view v, bool key = false) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (c > 0x20 && c < 0x7f && c != '%' && !(key && c == '=')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

std::string percent_decode(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    int hi = 0, lo = 0;
    if (v[i] == '%' && i + 2 < v.size() && (hi = hex_digit(v[i + 1])) >= 0 &&
        (lo = hex_digit(v[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

} // namespace

bool passable_header(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (char c : name)
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-')
      return false;
  return name != "authorization" && name != "cookie" && name != "proxy-authorization";
}

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
  // Names are encoded too: the web checks them, but one with a newline must
  // not become a line of its own whoever sends it.
  for (const auto &[name, value] : o.params)
    p += "\nparam." + percent_encode(name, true) + "=" + percent_encode(value);
  if (!o.method.empty())
    p += "\nmethod=" + percent_encode(o.method);
  if (!o.path.empty())
    p += "\npath=" + percent_encode(o.path);
  if (!o.query.empty())
    p += "\nquery=" + percent_encode(o.query);
  for (const auto &[name, value] : o.headers)
    p += "\nheader." + percent_encode(name, true) + "=" + percent_encode(value);
  if (o.stream)
    p += "\nstream=1";
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
    else if (key.substr(0, 6) == "param.")
      o.params[percent_decode(key.substr(6))] = percent_decode(value);
    else if (key == "method")
      o.method = percent_decode(value);
    else if (key == "path")
      o.path = percent_decode(value);
    else if (key == "query")
      o.query = percent_decode(value);
    else if (key.substr(0, 7) == "header.")
      o.headers[percent_decode(key.substr(7))] = percent_decode(value);
    else if (key == "stream")
      o.stream = value == "1";
  });
  return o;
}

} // namespace fifogate
