#include "../support/ispell_text.hpp"
#include "fifogate/ispell.hpp"
#include "fifogate/utf8.hpp"
#include <algorithm>
#include <gtest/gtest.h>

using namespace fifogate;

static std::string escape_all(const std::string &in) {
  ispell::InputEscaper e;
  std::string out;
  e.feed(in, out);
  e.finish(out);
  return out;
}

TEST(IspellInput, EveryNonEmptyLineBecomesText) {
  EXPECT_EQ(escape_all("*word\n#\n\n- item\n"), "^*word\n^#\n\n^- item\n");
  EXPECT_EQ(escape_all("no newline"), "^no newline\n");
  EXPECT_EQ(escape_all(""), "");
  EXPECT_EQ(escape_all("\n\n"), "\n\n");
}

TEST(IspellInput, SplitsAnywhereGiveTheSameResult) {
  std::string in = "ab\n\ncd\n$$cr home-dir\nlast";
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    ispell::InputEscaper e;
    std::string out;
    e.feed(in.substr(0, cut), out);
    e.feed(in.substr(cut), out);
    e.finish(out);
    EXPECT_EQ(out, escape_all(in)) << cut;
    EXPECT_EQ(e.answered_lines(), 4u);
  }
}

// What hunspell must be sent: it reads a long line in pieces of 8191 bytes
// and takes each for a line, so each piece starts with '^' (then 8190 bytes
// of text), the first as for aspell.
static std::string hunspell_escaped(const std::string &in) {
  std::string out;
  for (size_t a = 0; a < in.size();) {
    size_t nl = std::min(in.find('\n', a), in.size());
    for (size_t p = a; p < nl; p += ispell::kHunspellPiece - 1)
      out += "^" + in.substr(p, std::min(ispell::kHunspellPiece - 1, nl - p));
    out += '\n';
    a = nl + 1;
  }
  return out;
}

// hunspell answers an empty line with an empty block, aspell with nothing,
// and hunspell answers each 8191-byte piece of a long line ('^' and newline
// included) with a block: warm mode counts blocks to know when an answer is
// complete. (The boundaries were measured on hunspell 1.7.1; the warm
// integration test checks them against the real one.)
TEST(IspellInput, BlocksOwedFollowTheChecker) {
  auto owed = [](ispell::Checker c, const std::string &in, size_t cut) {
    ispell::InputEscaper e(c);
    std::string out;
    e.feed(in.substr(0, cut), out);
    e.feed(in.substr(cut), out);
    e.finish(out);
    EXPECT_TRUE(out == (c == ispell::Checker::aspell ? escape_all(in) : hunspell_escaped(in)))
        << in.size() << " cut at " << cut;
    return e.answered_lines();
  };
  using ispell::Checker;
  std::string text = "a\n\nb\n\n\nc";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(owed(Checker::aspell, text, cut), 3u) << cut;
    EXPECT_EQ(owed(Checker::hunspell, text, cut), 6u) << cut;
  }
  struct Case {
    size_t chars;
    size_t blocks;
  };
  for (Case k : {Case{8189, 1}, Case{8190, 2}, Case{16379, 2}, Case{16380, 3}, Case{16381, 3},
                 Case{70000, 9}}) {
    // Text that would be commands where hunspell starts its pieces.
    std::string line;
    while (line.size() < k.chars)
      line += line.size() % (ispell::kHunspellPiece - 1) == 0 ? '*' : 'x';
    // The long line first, or last without its newline (finish adds it).
    for (std::string in : {line + "\nhelo\n", "helo\n" + line})
      for (size_t cut : {size_t(0), size_t(1), k.chars / 2, k.chars}) {
        EXPECT_EQ(owed(Checker::hunspell, in, cut), k.blocks + 1) << k.chars;
        EXPECT_EQ(owed(Checker::aspell, in, cut), 2u) << k.chars;
      }
  }
  EXPECT_EQ(ispell::checker_from_banner(fgtest::kAspellBanner + "\n"), Checker::aspell);
  EXPECT_EQ(ispell::checker_from_banner(fgtest::kHunspellBanner + "\n"), Checker::hunspell);
  // Anything not aspell is taken for the safer guess, even if it names aspell.
  EXPECT_EQ(ispell::checker_from_banner(
                "@(#) International Ispell Version 3.4.05 (Aspell-compatible build)\n"),
            Checker::hunspell);
}

TEST(IspellOutput, OffsetsLoseTheCaret) {
  EXPECT_EQ(ispell::fix_line("& helo 23 1: hello, help"), "& helo 23 0: hello, help");
  EXPECT_EQ(ispell::fix_line("& wrld 46 12: weld"), "& wrld 46 11: weld");
  EXPECT_EQ(ispell::fix_line("# zzxq 5"), "# zzxq 4");
  // ispell's guesses for a word with no near miss: offsets like '&'.
  EXPECT_EQ(ispell::fix_line("? xyzzy 0 1: xyz zy"), "? xyzzy 0 0: xyz zy");
  EXPECT_EQ(ispell::fix_line("*"), "*");
  EXPECT_EQ(ispell::fix_line(""), "");
  EXPECT_EQ(ispell::fix_line("+ ROOT"), "+ ROOT");
  EXPECT_EQ(ispell::fix_line("& odd"), "& odd"); // malformed: left alone
}

TEST(IspellOutput, StreamsLinesAndCountsBlocks) {
  std::string raw = "@(#) International Ispell Version 3.1.20\n& helo 23 1: hello\n\n*\n\n";
  for (size_t cut = 0; cut <= raw.size(); ++cut) {
    ispell::OutputFixer f;
    std::string out;
    f.feed(raw.substr(0, cut), out);
    f.feed(raw.substr(cut), out);
    f.finish(out);
    EXPECT_EQ(out, "@(#) International Ispell Version 3.1.20\n& helo 23 0: hello\n\n*\n\n");
    EXPECT_EQ(f.blocks(), 2u);
    EXPECT_TRUE(f.banner_seen());
  }
}

TEST(Utf8, AcceptsText) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("Zürich naïve 日本 😀 plain"));
  EXPECT_TRUE(v.finish());
}

TEST(Utf8, RefusesNulAndBadBytesWithTheirOffset) {
  struct Case {
    std::string bytes;
    std::string what;
  } cases[] = {
      {std::string("ab\0c", 4), "NUL byte at byte 2"},
      {"ab\xff", "invalid UTF-8 at byte 2"},
      {"\xc0\xaf", "invalid UTF-8 at byte 0"},         // overlong
      {"\xed\xa0\x80", "invalid UTF-8 at byte 0"},     // surrogate
      {"\xf4\x90\x80\x80", "invalid UTF-8 at byte 0"}, // > U+10FFFF
      {"a\xc3", "truncated UTF-8 sequence at byte 1"},
      {"ok \xe9 x", "invalid UTF-8 at byte 3"}, // offset of the sequence, not of the byte after
  };
  for (auto &c : cases) {
    Utf8Validator v;
    bool ok = v.feed(c.bytes) && v.finish();
    EXPECT_FALSE(ok);
    EXPECT_EQ(v.error(), c.what);
  }
}

TEST(Utf8, SequencesMaySpanFeeds) {
  std::string s = "Zürich 😀";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(s.substr(0, cut)) && v.feed(s.substr(cut)) && v.finish()) << cut;
  }
}
