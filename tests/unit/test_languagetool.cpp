// The LanguageTool API's plain parts: annotated text, UTF-16 positions in
// the whole document, languages.
#include "languagetool.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace fifogate;
namespace lt = fifogate::languagetool;

namespace {

SpellMatch miss(size_t offset, const std::string &word, std::vector<std::string> sugg = {}) {
  SpellMatch m;
  m.word = word;
  m.offset = offset;
  m.length = count_code_points(word);
  m.suggestions = std::move(sugg);
  return m;
}

// [offset, offset + length) of `utf8`, counted in UTF-16 units as a
// JavaScript client cuts it (substr), decoded back to UTF-8.
std::string js_substr(const std::string &utf8, size_t offset, size_t length) {
  std::string out;
  size_t units = 0;
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<unsigned char>(utf8[i]);
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (units >= offset && units < offset + length)
      out += utf8.substr(i, n);
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return out;
}

} // namespace

TEST(LanguageTool, CountsUtf16Units) {
  EXPECT_EQ(lt::utf16_length(""), 0u);
  EXPECT_EQ(lt::utf16_length("abc"), 3u);
  EXPECT_EQ(lt::utf16_length("é"), 1u);
  EXPECT_EQ(lt::utf16_length("€"), 1u);
  EXPECT_EQ(lt::utf16_length("😀"), 2u); // outside the BMP: a surrogate pair
}

TEST(LanguageTool, PositionsCountUtf16UnitsOfTheDocument) {
  // Code points: "😀 é tset" puts tset at 4; UTF-16 units: at 5.
  std::string text = "😀 é tset\nok wrod";
  auto t = lt::plain_text(text);
  auto j = lt::matches_json({miss(4, "tset", {"test", "set"}), miss(12, "wrod")}, t);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["offset"], 5);
  EXPECT_EQ(j[0]["length"], 4);
  EXPECT_EQ(js_substr(text, j[0]["offset"], j[0]["length"]), "tset");
  EXPECT_EQ(j[0]["replacements"], nlohmann::json::parse(R"([{"value":"test"},{"value":"set"}])"));
  EXPECT_EQ(js_substr(text, j[1]["offset"], j[1]["length"]), "wrod");
  // The context is the document around the word, on one line; its offset
  // and length place the word in it.
  for (const auto &m : j) {
    std::string ctx = m["context"]["text"];
    EXPECT_EQ(ctx.find('\n'), std::string::npos) << ctx;
    EXPECT_EQ(js_substr(ctx, m["context"]["offset"], m["context"]["length"]),
              js_substr(text, m["offset"], m["length"]));
  }
  EXPECT_EQ(j[0]["sentence"], "😀 é tset");
  EXPECT_EQ(j[1]["sentence"], "ok wrod");
  EXPECT_EQ(j[0]["rule"]["id"], lt::kRuleId);
  EXPECT_EQ(j[0]["rule"]["issueType"], "misspelling");
  EXPECT_EQ(j[0]["rule"]["category"]["id"], "TYPOS");
  EXPECT_EQ(j[0]["type"]["typeName"], "UnknownWord");
}

TEST(LanguageTool, AnnotatedTextChecksTheTextAndPlacesInTheDocument) {
  // Markdown as an editor sends it: markup is not checked, "\n\n" stands for
  // a paragraph break, and positions count the markup too.
  auto t = lt::annotated_text(R"({"annotation":[
      {"markup":"# "},{"text":"Titel"},{"markup":"\n\n","interpretAs":"\n\n"},
      {"text":"Some "},{"markup":"**"},{"text":"txet"},{"markup":"**"},
      {"text":" with "},{"markup":"`cdoe`"},{"text":" 😀 wrod."}]})");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->document, "# Titel\n\nSome **txet** with `cdoe` 😀 wrod.");
  EXPECT_EQ(t->plain, "Titel\n\nSome txet with  😀 wrod.");
  // In the plain text: Titel at 0, txet at 12, wrod at 25 (code points).
  auto j = lt::matches_json({miss(0, "Titel"), miss(12, "txet"), miss(25, "wrod")}, *t);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["offset"], 2);
  EXPECT_EQ(j[1]["offset"], 16);
  EXPECT_EQ(js_substr(t->document, j[0]["offset"], j[0]["length"]), "Titel");
  EXPECT_EQ(js_substr(t->document, j[1]["offset"], j[1]["length"]), "txet");
  EXPECT_EQ(js_substr(t->document, j[2]["offset"], j[2]["length"]), "wrod");
  EXPECT_EQ(j[2]["offset"], 38); // 37 code points before it, the emoji two units
}

TEST(LanguageTool, RefusesMalformedData) {
  for (const char *bad : {"not json", "[]", R"({"annotation": {}})", R"({"annotation": [1]})",
                          R"({"annotation": [{"text": "a", "markup": "b"}]})",
                          R"({"annotation": [{}]})", R"({"annotation": [{"text": 3}]})",
                          R"({"annotation": [{"markup": "x", "interpretAs": 1}]})"})
    EXPECT_FALSE(lt::annotated_text(bad).ok()) << bad;
  auto empty = lt::annotated_text(R"({"annotation": []})");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->plain, "");
  EXPECT_EQ(lt::matches_json({}, *empty).size(), 0u);
}

TEST(LanguageTool, MapsLanguageCodesToDictionaries) {
  std::vector<std::string> installed = {"en", "en_GB", "en_US", "de_DE"};
  auto same = lt::language_for("en-US", installed);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->dictionary, "en_US");
  EXPECT_EQ(same->code, "en-US");
  EXPECT_EQ(lt::language_for("en_GB", installed)->dictionary, "en_GB");
  EXPECT_EQ(lt::language_for("EN-gb", installed)->dictionary, "en_GB");
  // A region without its own dictionary: the language's.
  EXPECT_EQ(lt::language_for("en-AU", installed)->dictionary, "en");
  EXPECT_EQ(lt::language_for("auto", installed)->dictionary, "");
  EXPECT_EQ(lt::language_for("", installed)->code, "auto");
  auto none = lt::language_for("fr-FR", installed);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("en-US"), std::string::npos) << none.error().message();
  // No worker has said what it has: a well-formed name is let through.
  EXPECT_EQ(lt::language_for("fr-FR", {})->dictionary, "fr_FR");
  EXPECT_FALSE(lt::language_for("en US;rm", {}).ok());
  auto list = lt::languages_json(installed);
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[2], nlohmann::json::parse(R"({"name":"en-US","code":"en","longCode":"en-US"})"));
}
