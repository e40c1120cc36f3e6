#include "access_control.hpp"
#include <algorithm>
#include <strings.h>

namespace fifogate {

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ y));
  }
  return diff == 0;
}

bool AccessPolicy::authorized(std::string_view authorization) const {
  if (token.empty())
    return true;
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() < kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0)
    return false;
  std::string_view given = authorization.substr(kScheme.size());
  while (!given.empty() && given.front() == ' ')
    given.remove_prefix(1);
  while (!given.empty() && given.back() == ' ')
    given.remove_suffix(1);
  return constant_time_equal(given, token);
}

bool AccessPolicy::origin_allowed(std::string_view origin) const {
  if (origin.empty() || origin == "null")
    return false;
  for (const auto &o : origins)
    if (o == "*" || o == origin)
      return true;
  return false;
}

Result<AccessPolicy> access_policy(std::string token, std::string_view cors_origins) {
  AccessPolicy p;
  for (char c : token)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return Error::logic("WEB_TOKEN: no spaces or control characters allowed");
  p.token = std::move(token);
  std::string list(cors_origins);
  std::replace(list.begin(), list.end(), ',', ' ');
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find(' ', pos);
    if (end == std::string::npos)
      end = list.size();
    std::string o = list.substr(pos, end - pos);
    pos = end + 1;
    if (o.empty())
      continue;
    if (o != "*") {
      // http(s), and the schemes browser add-ons' pages have
      // (chrome-extension://<id>, moz-extension://<uuid>, safari-web-extension://...).
      size_t scheme = o.find("://");
      bool scheme_ok = scheme != std::string::npos && scheme > 0 &&
                       std::all_of(o.begin(), o.begin() + static_cast<long>(scheme), [](char c) {
                         return std::islower(static_cast<unsigned char>(c)) || c == '-';
                       });
      bool ok = scheme_ok && o.size() > scheme + 3 && o.find('/', scheme + 3) == std::string::npos;
      if (!ok)
        return Error::logic("WEB_CORS_ORIGINS: \"" + o +
                            "\" is not an origin (scheme://host[:port], no path, or *)");
    }
    p.origins.push_back(o);
  }
  if (p.origins.size() > 1 && std::count(p.origins.begin(), p.origins.end(), "*") > 0)
    return Error::logic("WEB_CORS_ORIGINS: \"*\" stands alone");
  return p;
}

} // namespace fifogate
