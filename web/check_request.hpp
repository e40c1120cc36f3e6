#pragma once
#include "fifogate/error.hpp"
#include <map>
#include <string>
#include <string_view>

namespace fifogate {

// What POST /check was asked to check.
struct CheckRequest {
  std::string text;
  std::string lang; // empty: the command's own default dictionary
  // The body's other string members, which may be declared parameters.
  std::map<std::string, std::string> fields;
};

// Content-Type application/json: {"text": "...", "lang": "en_GB"} ("lang"
// optional; null or "" mean the default). Any other type: the body is the
// text itself, as for POST /process, and the language comes from ?lang=
// (`query_lang`), which also fills in for a JSON body without "lang".
Result<CheckRequest> parse_check_request(std::string_view content_type, std::string body,
                                         std::string query_lang);

} // namespace fifogate
