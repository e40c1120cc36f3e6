// POST /check's parser: `aspell -a` output -> matches placed in the whole text.
#include "../support/ispell_text.hpp"
#include "../support/stack.hpp"
#include "ispell_matches.hpp"
#include <gtest/gtest.h>

using namespace fifogate;
using fgtest::cut_code_points;
using fgtest::kAspellBanner;
using fgtest::kHunspellBanner;

namespace {

const std::string kBanner = kAspellBanner + "\n";

std::vector<SpellMatch> parse_ok(const std::string &out, const std::string &text) {
  auto m = ispell_matches(out, text);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
  return m.ok() ? *m : std::vector<SpellMatch>{};
}

} // namespace

TEST(IspellMatches, CountsCodePoints) {
  EXPECT_EQ(count_code_points(""), 0u);
  EXPECT_EQ(count_code_points("abc"), 3u);
  EXPECT_EQ(count_code_points("wörld"), 5u);
  EXPECT_EQ(count_code_points("日本"), 2u);
  EXPECT_EQ(count_code_points("\xF0\x9F\x98\x80"), 1u); // an emoji outside the BMP
  EXPECT_EQ(count_code_points("e\xCC\x81"), 2u);        // e + combining acute: two characters
}

TEST(IspellMatches, OneLineWithSuggestions) {
  auto m = parse_ok(kBanner + "& helo 3 0: hello, help, halo\n*\n& wrld 2 8: world, col or\n\n",
                    "helo is wrld");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].word, "helo");
  EXPECT_EQ(m[0].offset, 0u);
  EXPECT_EQ(m[0].length, 4u);
  EXPECT_EQ(m[0].line, 1u);
  EXPECT_EQ(m[0].column, 1u);
  EXPECT_EQ(m[0].suggestions, (std::vector<std::string>{"hello", "help", "halo"}));
  EXPECT_EQ(m[1].word, "wrld");
  EXPECT_EQ(m[1].offset, 8u);
  EXPECT_EQ(m[1].column, 9u);
  EXPECT_EQ(m[1].suggestions, (std::vector<std::string>{"world", "col or"}))
      << "a suggestion may hold a space";
}

TEST(IspellMatches, OffsetsAreCharactersOfTheWholeText) {
  std::string text = "héllo wörld\n日本 speling\n\xF0\x9F\x98\x80 tezt";
  auto m =
      parse_ok(kBanner + "& héllo 1 0: hello\n& wörld 1 6: world\n\n*\n& speling 1 3: spelling\n\n"
                         "& tezt 1 2: text\n\n",
               text);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].offset, 6u);
  EXPECT_EQ(m[1].length, 5u);
  EXPECT_EQ(m[2].offset, 15u); // 11 characters + '\n' before line 2, then "日本 "
  EXPECT_EQ(m[2].line, 2u);
  EXPECT_EQ(m[2].column, 4u);
  EXPECT_EQ(m[3].offset, 25u); // line 3 starts at 12 + 10 + 1 = 23; the emoji is one character
  EXPECT_EQ(m[3].line, 3u);
  EXPECT_EQ(m[3].column, 3u);
  for (const auto &x : m)
    EXPECT_EQ(cut_code_points(text, x.offset, x.length), x.word);
}

TEST(IspellMatches, EmptyLinesGetNoBlockButCountForPositions) {
  std::string text = "a\n\n\nhelo\n\n";
  auto m = parse_ok(kBanner + "*\n\n& helo 1 0: hello\n\n", text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].offset, 4u);
  EXPECT_EQ(m[0].line, 4u);
  EXPECT_EQ(m[0].column, 1u);
  // A line of spaces is not empty: it gets an (empty) block.
  auto w = parse_ok(kBanner + "\n& helo 1 1: hello\n\n", "  \n helo");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].offset, 4u);
  EXPECT_EQ(w[0].line, 2u);
}

TEST(IspellMatches, HunspellAnswersEmptyLinesWithAnEmptyBlock) {
  const std::string banner = kHunspellBanner + "\n";
  std::string text = "a\n\n\nhelo\n\n";
  auto m = parse_ok(banner + "*\n\n\n\n& helo 1 0: hello\n\n\n", text);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].offset, 4u);
  EXPECT_EQ(m[0].line, 4u);
  // Read as aspell's answer, the same blocks do not add up.
  EXPECT_FALSE(ispell_matches(kBanner + "*\n\n\n\n& helo 1 0: hello\n\n\n", text).ok());
  // A line hunspell answers in pieces cannot be placed; aspell's can.
  EXPECT_FALSE(unplaceable_line(banner, "helo\n" + std::string(8189, 'x')));
  auto why = unplaceable_line(banner, "helo\n" + std::string(8190, 'x'));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("line 2 of the text has 8190 bytes"), std::string::npos) << *why;
  EXPECT_FALSE(unplaceable_line(kBanner, std::string(100000, 'x')));
  // An answer that is not ispell's is not judged here (it is a 502, not a 400).
  EXPECT_FALSE(unplaceable_line("no banner\n", std::string(100000, 'x')));
}

TEST(IspellMatches, EveryKindOfAnswerLine) {
  auto m = parse_ok(kBanner + "*\n-\n+ run\n# xyzzy 14\n? grr 0 18: grrr\n\n",
                    "ok ok-ok runs xyzzy grr");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].word, "xyzzy");
  EXPECT_TRUE(m[0].suggestions.empty()) << "'#' means no suggestions";
  EXPECT_EQ(m[0].offset, 14u);
  EXPECT_EQ(m[1].word, "grr");
  EXPECT_EQ(m[1].suggestions, std::vector<std::string>{"grrr"});
}

TEST(IspellMatches, EmptyTextAndWindowsLineEnds) {
  EXPECT_TRUE(parse_ok(kBanner, "").empty());
  EXPECT_TRUE(parse_ok(kBanner, "\n\n").empty());
  auto m = parse_ok(kBanner + "*\n\n& helo 1 0: hello\n\n", "ok\r\nhelo\r\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].offset, 4u);
}

TEST(IspellMatches, AnswersThatDoNotAddUpAreErrors) {
  struct Row {
    std::string out, text, why;
  } rows[] = {
      {"", "helo", "no banner"},
      {"& helo 1 0: hello\n\n", "helo", "no banner"},
      {kBanner + "& helo 1 0: hello\n", "helo", "the block never ends"},
      {kBanner + "*\n\n", "ok\nok", "one block for two lines"},
      {kBanner + "*\n\n*\n\n", "ok", "two blocks for one line"},
      {kBanner + "oops\n\n", "ok", "not an answer line"},
      {kBanner + "& helo 1 9: hello\n\n", "helo", "offset past the line"},
      {kBanner + "& helo 1 18446744073709551615: hello\n\n", "helo", "offset that wraps the sum"},
      {kBanner + "& helo x 0: hello\n\n", "helo", "count not a number"},
      {kBanner + "& helo 1 zero: hello\n\n", "helo", "offset not a number"},
      {kBanner + "#\n\n", "helo", "no word"},
  };
  for (const auto &r : rows) {
    auto m = ispell_matches(r.out, r.text);
    EXPECT_FALSE(m.ok()) << r.why;
  }
}

TEST(IspellMatches, RealAspellOutputPointsAtTheWords) {
  std::string text = "Helo wörld, naïve façade.\n\n日本語 the speling of 😀 tezt\n  indented "
                     "lne\nlast line no nl wrod";
  std::string out = fgtest::aspell_direct(text);
  auto m = parse_ok(out, text);
  std::vector<std::string> words;
  for (const auto &x : m) {
    words.push_back(x.word);
    EXPECT_EQ(cut_code_points(text, x.offset, x.length), x.word) << "offset " << x.offset;
    EXPECT_FALSE(x.suggestions.empty()) << x.word;
  }
  EXPECT_EQ(words, (std::vector<std::string>{"Helo", "wörld", "naïve", "façade", "speling", "tezt",
                                             "lne", "nl", "wrod"}));
}
