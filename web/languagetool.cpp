#include "languagetool.hpp"
#include "fifogate/dictionary_name.hpp"
#include <algorithm>
#include <nlohmann/json.hpp>
#include <strings.h>

namespace fifogate::languagetool {

namespace {

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// The byte length of the UTF-8 sequence that starts with `lead`.
size_t sequence_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Walks a UTF-8 string forward, counting code points and UTF-16 units.
struct Cursor {
  size_t byte = 0;
  size_t points = 0;
  size_t units = 0;
  void step(std::string_view s) {
    size_t n = sequence_length(static_cast<unsigned char>(s[byte]));
    byte = std::min(s.size(), byte + n);
    points += 1;
    units += n == 4 ? 2 : 1;
  }
  void to_point(std::string_view s, size_t point) {
    while (points < point && byte < s.size())
      step(s);
  }
  void to_byte(std::string_view s, size_t at) {
    while (byte < at && byte < s.size())
      step(s);
  }
};

// `at` moved back over up to `n` code points of `s`.
size_t back_points(std::string_view s, size_t at, size_t n) {
  while (n > 0 && at > 0) {
    --at;
    while (at > 0 && continuation(s[at]))
      --at;
    --n;
  }
  return at;
}

// `at` moved forward over up to `n` code points of `s`.
size_t forward_points(std::string_view s, size_t at, size_t n) {
  Cursor c{at};
  for (; n > 0 && c.byte < s.size(); --n)
    c.step(s);
  return c.byte;
}

// Where a byte position of the plain text is in the document. `piece` only
// moves forward: positions are asked for in order.
size_t to_document(const AnnotatedText &t, size_t at, bool is_end, size_t &piece) {
  const auto &ps = t.pieces;
  auto end_of = [&](size_t i) { return ps[i].plain_at + ps[i].plain_len; };
  while (piece + 1 < ps.size() && (is_end ? end_of(piece) < at : end_of(piece) <= at))
    ++piece;
  const auto &p = ps[piece];
  if (at < p.plain_at)
    return p.doc_at;
  if (p.text)
    return p.doc_at + std::min(at - p.plain_at, p.doc_len);
  // Inside what a markup piece stands for: the markup itself.
  return is_end ? p.doc_at + p.doc_len : p.doc_at;
}

// Context and sentence are shown on one line.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  return out;
}

constexpr size_t kContextPoints = 40;   // each side, as LanguageTool's own
constexpr size_t kSentencePoints = 200; // each side at most, within the line

} // namespace

size_t utf16_length(std::string_view utf8) {
  Cursor c;
  c.to_byte(utf8, utf8.size());
  return c.units;
}

AnnotatedText plain_text(std::string text) {
  AnnotatedText t;
  t.pieces.push_back({0, text.size(), 0, text.size(), true});
  t.plain = text;
  t.document = std::move(text);
  return t;
}

Result<AnnotatedText> annotated_text(std::string_view data) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(data);
  } catch (const nlohmann::json::exception &e) {
    return Error::logic(std::string("'data' is not JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("annotation") || !j["annotation"].is_array())
    return Error::logic("'data' needs an \"annotation\" list: {\"annotation\": [{\"text\": "
                        "\"...\"}, {\"markup\": \"...\", \"interpretAs\": \"...\"}]}");
  AnnotatedText t;
  size_t index = 0;
  for (const auto &a : j["annotation"]) {
    auto bad = [&](const std::string &why) {
      return Error::logic("'data' annotation " + std::to_string(index) + ": " + why);
    };
    if (!a.is_object())
      return bad("not an object");
    bool has_text = a.contains("text"), has_markup = a.contains("markup");
    if (has_text == has_markup)
      return bad("needs either \"text\" or \"markup\"");
    AnnotatedText::Piece p;
    p.plain_at = t.plain.size();
    p.doc_at = t.document.size();
    p.text = has_text;
    const auto &own = has_text ? a["text"] : a["markup"];
    if (!own.is_string())
      return bad(std::string(has_text ? "\"text\"" : "\"markup\"") + " is not a string");
    const auto &s = own.get_ref<const std::string &>();
    t.document += s;
    if (has_text) {
      t.plain += s;
    } else if (a.contains("interpretAs")) {
      if (!a["interpretAs"].is_string())
        return bad("\"interpretAs\" is not a string");
      t.plain += a["interpretAs"].get_ref<const std::string &>();
    }
    p.doc_len = t.document.size() - p.doc_at;
    p.plain_len = t.plain.size() - p.plain_at;
    t.pieces.push_back(p);
    ++index;
  }
  if (t.pieces.empty())
    t.pieces.push_back({});
  return t;
}

std::string code_of(std::string_view dictionary) {
  std::string code(dictionary);
  std::replace(code.begin(), code.end(), '_', '-');
  return code;
}

Result<Language> language_for(std::string_view requested,
                              const std::vector<std::string> &installed) {
  if (requested.empty() || requested == "auto")
    return Language{"", "auto"};
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
  };
  for (const auto &d : installed)
    if (same(d, requested) || same(code_of(d), requested))
      return Language{d, code_of(d)};
  std::string_view base = requested.substr(0, requested.find_first_of("-_"));
  for (const auto &d : installed)
    if (same(d, base))
      return Language{d, code_of(d)};
  if (installed.empty()) {
    std::string name(requested);
    std::replace(name.begin(), name.end(), '-', '_');
    if (valid_dictionary_name(name))
      return Language{name, std::string(requested)};
  }
  std::string list;
  for (const auto &d : installed)
    list += (list.empty() ? "" : ", ") + code_of(d);
  return Error::logic("'" + std::string(requested).substr(0, 64) +
                      "' is not a language this server checks" +
                      (list.empty() ? std::string() : "; it has: " + list));
}

nlohmann::json languages_json(const std::vector<std::string> &installed) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto &d : installed) {
    std::string code = code_of(d);
    list.push_back({{"name", code}, {"code", code.substr(0, code.find('-'))}, {"longCode", code}});
  }
  return list;
}

nlohmann::json software_json(std::string_view version) {
  return {{"name", "fifogate"}, {"version", version}, {"buildDate", nullptr}, {"apiVersion", 1},
          {"premium", false},   {"premiumHint", ""},  {"status", ""}};
}

nlohmann::json matches_json(const std::vector<SpellMatch> &matches, const AnnotatedText &t) {
  std::vector<const SpellMatch *> order;
  for (const auto &m : matches)
    order.push_back(&m);
  std::stable_sort(order.begin(), order.end(),
                   [](const SpellMatch *a, const SpellMatch *b) { return a->offset < b->offset; });
  nlohmann::json out = nlohmann::json::array();
  Cursor plain, doc;
  size_t start_piece = 0;
  for (const SpellMatch *m : order) {
    plain.to_point(t.plain, m->offset);
    Cursor plain_end = plain;
    plain_end.to_point(t.plain, m->offset + m->length);
    size_t end_piece = start_piece;
    size_t ds = to_document(t, plain.byte, false, start_piece);
    size_t de = std::max(ds, to_document(t, plain_end.byte, true, end_piece));
    doc.to_byte(t.document, ds);
    Cursor doc_end = doc;
    doc_end.to_byte(t.document, de);
    size_t cs = back_points(t.document, ds, kContextPoints);
    size_t ce = forward_points(t.document, de, kContextPoints);
    // The sentence: the plain text's line around the word, within bounds.
    size_t line_start = t.plain.rfind('\n', plain.byte == 0 ? 0 : plain.byte - 1);
    line_start = line_start == std::string::npos || plain.byte == 0 ? 0 : line_start + 1;
    size_t line_end = std::min(t.plain.find('\n', plain_end.byte), t.plain.size());
    size_t ss = std::max(line_start, back_points(t.plain, plain.byte, kSentencePoints));
    size_t se = std::min(line_end, forward_points(t.plain, plain_end.byte, kSentencePoints));
    nlohmann::json replacements = nlohmann::json::array();
    for (const auto &s : m->suggestions)
      replacements.push_back({{"value", s}});
    out.push_back({
        {"message", "Possible spelling mistake found."},
        {"shortMessage", "Spelling mistake"},
        {"replacements", std::move(replacements)},
        {"offset", doc.units},
        {"length", doc_end.units - doc.units},
        {"context",
         {{"text", one_line(std::string_view(t.document).substr(cs, ce - cs))},
          {"offset", utf16_length(std::string_view(t.document).substr(cs, ds - cs))},
          {"length", doc_end.units - doc.units}}},
        {"sentence", one_line(std::string_view(t.plain).substr(ss, se - ss))},
        {"type", {{"typeName", "UnknownWord"}}},
        {"rule",
         {{"id", kRuleId},
          {"description", "Possible spelling mistake"},
          {"issueType", "misspelling"},
          {"category", {{"id", "TYPOS"}, {"name", "Possible Typo"}}}}},
        {"ignoreForIncompleteSentence", false},
        {"contextForSureMatch", 0},
    });
  }
  return out;
}

nlohmann::json check_json(std::string_view version, const Language &lang,
                          const std::vector<SpellMatch> &matches, const AnnotatedText &text) {
  std::string name = lang.code == "auto" ? "Default dictionary" : lang.code;
  return {{"software", software_json(version)},
          {"warnings", {{"incompleteResults", false}}},
          {"language",
           {{"name", name},
            {"code", lang.code},
            {"detectedLanguage", {{"name", name}, {"code", lang.code}, {"confidence", 1.0}}}}},
          {"matches", matches_json(matches, text)}};
}

} // namespace fifogate::languagetool
