#pragma once
#include "fifogate/error.hpp"
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// Who may use the web when it faces a network: a bearer token for the routes
// that do work (WEB_TOKEN), and the browser origins that may call it from
// their pages (WEB_CORS_ORIGINS).
struct AccessPolicy {
  std::string token;                // empty: no token is asked for
  std::vector<std::string> origins; // exact origins; "*" alone: any origin

  bool token_required() const { return !token.empty(); }
  // The Authorization header carries "Bearer <token>". Compared in time that
  // depends on the lengths only, not on where the first difference is.
  bool authorized(std::string_view authorization) const;
  // The origin may read answers (CORS); never for an empty origin.
  bool origin_allowed(std::string_view origin) const;
};

// WEB_CORS_ORIGINS: origins separated by commas or spaces, each
// "scheme://host[:port]" without a path, or "*" alone.
Result<AccessPolicy> access_policy(std::string token, std::string_view cors_origins);

// True when a and b are equal, in time that depends on their lengths only.
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace fifogate
