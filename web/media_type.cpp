#include "media_type.hpp"
#include "httplib.hpp"
#include <algorithm>
#include <cctype>
#include <map>

namespace fifogate {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace

MediaType parse_media_type(std::string_view content_type) {
  std::map<std::string, std::string> params;
  MediaType m;
  m.header = std::string(content_type);
  m.type = lower(httplib::detail::extract_media_type(std::string(content_type), &params));
  for (const auto &[key, value] : params)
    if (lower(key) == "charset")
      m.charset = lower(value);
  return m;
}

} // namespace fifogate
