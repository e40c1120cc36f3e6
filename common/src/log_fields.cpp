#include "fifogate/log_fields.hpp"
#include <algorithm>

namespace fifogate {

std::string log_text(std::string_view value) {
  constexpr size_t kMax = 200;
  std::string out;
  out.reserve(std::min(value.size(), kMax) + 3);
  for (char c : value.substr(0, kMax)) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? '?' : c == '"' ? '\'' : c;
  }
  if (value.size() > kMax)
    out += "...";
  return out;
}

LogFields &LogFields::add(std::string_view key, std::string_view value) {
  std::string v = log_text(value);
  if (v.empty() || v.find(' ') != std::string::npos)
    return quoted(key, value);
  text_.append(" ").append(key).append("=").append(v);
  return *this;
}

LogFields &LogFields::add(std::string_view key, int64_t value) {
  return add(key, std::to_string(value));
}

LogFields &LogFields::quoted(std::string_view key, std::string_view value) {
  text_.append(" ").append(key).append("=\"").append(log_text(value)).append("\"");
  return *this;
}

} // namespace fifogate
