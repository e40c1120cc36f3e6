#pragma once
// The LanguageTool HTTP API (/v2/check, /v2/languages) as far as spell
// checking goes, so editors' and browser add-ons' LanguageTool clients work
// against fifogate unchanged. Plain functions: the routes are in
// languagetool_routes.cpp.
#include "fifogate/error.hpp"
#include "ispell_matches.hpp"
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate::languagetool {

// A rule id LanguageTool clients take for a spelling rule: ltex-ls treats an
// id ending in _SPELLING_RULE as an unknown word (its "add to dictionary").
inline constexpr const char *kRuleId = "FIFOGATE_SPELLING_RULE";

// The document a client sent, and the text that is checked. For `text` the
// two are the same. For `data` (a list of text and markup pieces) only the
// text pieces are checked, each markup piece standing in as its interpretAs
// (nothing, or the line breaks it means), and every position in the answer
// is one of the whole document, markup included.
struct AnnotatedText {
  std::string document;
  std::string plain;
  struct Piece {
    size_t plain_at = 0; // bytes
    size_t plain_len = 0;
    size_t doc_at = 0;
    size_t doc_len = 0;
    bool text = true; // else markup: plain holds its interpretAs
  };
  std::vector<Piece> pieces;
};

AnnotatedText plain_text(std::string text);
// `data`: {"annotation": [{"text": "..."}, {"markup": "...", "interpretAs": "..."}, ...]}.
Result<AnnotatedText> annotated_text(std::string_view data);

// A language as the clients name it (en-US) and the dictionary that checks it.
struct Language {
  std::string dictionary; // empty: the command's default dictionary
  std::string code;       // "en-US"; "auto" for the default dictionary
};

// The LanguageTool code of an ispell dictionary name: en_US -> en-US.
std::string code_of(std::string_view dictionary);
// The dictionary for `requested` among `installed`: the same name (en-US or
// en_US), else the language alone (en for en-AU), else an error that lists
// what there is. "auto" and "" are the default dictionary. With nothing
// installed known (no worker has said) the name is taken as it comes.
Result<Language> language_for(std::string_view requested,
                              const std::vector<std::string> &installed);
// GET /v2/languages: [{"name", "code", "longCode"}] for each dictionary.
nlohmann::json languages_json(const std::vector<std::string> &installed);

// The `software` object every answer carries.
nlohmann::json software_json(std::string_view version);

// The matches of an answer: positions and lengths in UTF-16 code units of
// the document, as LanguageTool counts them.
nlohmann::json matches_json(const std::vector<SpellMatch> &matches, const AnnotatedText &text);

// The whole answer to /v2/check.
nlohmann::json check_json(std::string_view version, const Language &lang,
                          const std::vector<SpellMatch> &matches, const AnnotatedText &text);

// UTF-16 code units in UTF-8 text: code points over U+FFFF count two.
size_t utf16_length(std::string_view utf8);

} // namespace fifogate::languagetool
