#pragma once
#include "ispell_matches.hpp"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// The page (web/static/index.html) with its form filled in. GET / serves it
// empty; POST /check answers a browser's form with it (Accept: text/html),
// the result written in, so the page works without its script.
struct PageContent {
  std::string text;                   // the text box
  std::string lang;                   // the dictionary chosen
  std::vector<std::string> languages; // the dictionary list
  // After a check: the misspellings found, or why the check failed.
  std::optional<std::vector<SpellMatch>> matches;
  std::string error;
  std::string request_id;
};

// The template's markers, each there exactly once: {{text}}, {{langs}}, {{result}}.
// Empty when the template has them; otherwise what is wrong (a unit test
// checks the page built in).
std::string page_template_problem(std::string_view page_template);

// A text longer than kMaxEchoBytes is not shown again (its misspellings are
// still listed): the page would be several times the request's size.
constexpr size_t kMaxEchoBytes = 256 * 1024;
std::string render_page(std::string_view page_template, const PageContent &content);

// Text made safe for HTML element content and attribute values.
std::string html_escape(std::string_view text);

} // namespace fifogate
