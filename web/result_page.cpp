#include "result_page.hpp"
#include <algorithm>

namespace fifogate {

namespace {

constexpr std::string_view kMarkers[] = {"{{text}}", "{{langs}}", "{{result}}"};

size_t count(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1))
    ++n;
  return n;
}

// Byte offsets of each code point's start, and the end.
std::vector<size_t> code_point_starts(std::string_view text) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
      starts.push_back(i);
  starts.push_back(text.size());
  return starts;
}

// The text with each misspelling marked, as the script marks it (class miss).
std::string marked_text(std::string_view text, const std::vector<SpellMatch> &matches) {
  auto starts = code_point_starts(text);
  auto byte_at = [&](size_t cp) { return starts[std::min(cp, starts.size() - 1)]; };
  std::string out;
  size_t at = 0;
  for (const auto &m : matches) {
    size_t from = byte_at(m.offset), to = byte_at(m.offset + m.length);
    if (from < at || to < from)
      continue; // overlapping: never from aspell, but never garbled either
    out += html_escape(text.substr(at, from - at));
    out += "<mark class=\"miss\">" + html_escape(text.substr(from, to - from)) + "</mark>";
    at = to;
  }
  return out + html_escape(text.substr(at));
}

std::string result_html(const PageContent &c) {
  if (!c.error.empty())
    return "<div id=\"served\" role=\"alert\"><div id=\"servedError\" class=\"served-error\">"
           "<h2>Check failed</h2><p>" +
           html_escape(c.error) + "</p>" +
           (c.request_id.empty()
                ? ""
                : "<p class=\"meta\">Request " + html_escape(c.request_id) + "</p>") +
           "</div></div>";
  if (!c.matches)
    return "";
  const auto &ms = *c.matches;
  std::string out = "<div id=\"served\" role=\"status\">";
  if (ms.empty())
    out += "<p class=\"count clean\">No misspellings found.</p>";
  else
    out += "<p class=\"count\">" + std::to_string(ms.size()) + " misspelling" +
           (ms.size() == 1 ? "" : "s") + "</p>";
  if (c.text.size() <= kMaxEchoBytes)
    out += "<div class=\"rendered\">" + marked_text(c.text, ms) + "</div>";
  else
    out += "<p class=\"meta\">The text (" + std::to_string(c.text.size()) +
           " bytes) is too long to show here again.</p>";
  if (!ms.empty()) {
    out += "<h2>Suggestions</h2><ul class=\"served-list\">";
    for (const auto &m : ms) {
      out += "<li><strong>" + html_escape(m.word) + "</strong> <span class=\"meta\">line " +
             std::to_string(m.line) + ", column " + std::to_string(m.column) + "</span>: ";
      if (m.suggestions.empty())
        out += "no suggestions";
      for (size_t i = 0; i < m.suggestions.size(); ++i)
        out += (i ? ", " : "") + html_escape(m.suggestions[i]);
      out += "</li>";
    }
    out += "</ul>";
  }
  if (!c.request_id.empty())
    out += "<p class=\"meta\">Request " + html_escape(c.request_id) + "</p>";
  return out + "</div>";
}

} // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += ch;
    }
  }
  return out;
}

std::string page_template_problem(std::string_view page_template) {
  for (auto m : kMarkers)
    if (count(page_template, m) != 1)
      return "the page template has " + std::to_string(count(page_template, m)) + " " +
             std::string(m) + " markers, not one";
  return {};
}

std::string render_page(std::string_view page_template, const PageContent &c) {
  std::string langs;
  for (const auto &l : c.languages)
    langs += "<option value=\"" + html_escape(l) + "\"" + (l == c.lang ? " selected" : "") + ">" +
             html_escape(l) + "</option>";
  const std::string values[] = {c.text.size() <= kMaxEchoBytes ? html_escape(c.text) : "", langs,
                                result_html(c)};
  // Every marker is found in the template before anything is put in, so a
  // text that contains "{{langs}}" stays text.
  std::vector<std::pair<size_t, size_t>> at; // position in the template, marker index
  for (size_t i = 0; i < std::size(kMarkers); ++i)
    if (auto p = page_template.find(kMarkers[i]); p != std::string_view::npos)
      at.emplace_back(p, i);
  std::sort(at.begin(), at.end());
  std::string out;
  size_t from = 0;
  for (auto [pos, i] : at) {
    out.append(page_template.substr(from, pos - from));
    out += values[i];
    from = pos + kMarkers[i].size();
  }
  out.append(page_template.substr(from));
  return out;
}

} // namespace fifogate
