// The line cache's parts: the bound, and cutting texts and answers by line.
#include "../support/ispell_text.hpp"
#include "line_cache.hpp"
#include <gtest/gtest.h>

using namespace fifogate;

TEST(LineCache, KeepsTheMostRecentWithinItsBound) {
  LineCache c(3 * (2 * 4 + 10 + 64)); // three entries of 4-byte keys and 10-byte values
  for (const char *k : {"aaaa", "bbbb", "cccc"})
    c.put(k, std::string(10, k[0]));
  EXPECT_EQ(c.get("aaaa"), std::string(10, 'a')); // now the most recent
  c.put("dddd", std::string(10, 'd'));            // drops the least recent: bbbb
  EXPECT_FALSE(c.get("bbbb"));
  EXPECT_TRUE(c.get("aaaa"));
  EXPECT_TRUE(c.get("cccc"));
  EXPECT_TRUE(c.get("dddd"));
  auto n = c.counts();
  EXPECT_EQ(n.entries, 3u);
  EXPECT_EQ(n.evictions, 1u);
  EXPECT_EQ(n.hits, 4u);
  EXPECT_EQ(n.misses, 1u);
  EXPECT_LE(n.bytes, 3u * (2 * 4 + 10 + 64));
  // peek neither counts nor reorders; an entry larger than the bound is not kept.
  EXPECT_TRUE(c.peek("cccc"));
  EXPECT_EQ(c.counts().hits, 4u);
  c.put("huge", std::string(1000, 'h'));
  EXPECT_FALSE(c.peek("huge"));
  EXPECT_EQ(c.counts().entries, 3u);
  // Replacing a key keeps one entry.
  c.put("aaaa", std::string(10, 'A'));
  EXPECT_EQ(c.peek("aaaa"), std::string(10, 'A'));
  EXPECT_EQ(c.counts().entries, 3u);
  LineCache off(0);
  EXPECT_FALSE(off.enabled());
}

TEST(LineCache, CutsTextsIntoTheLinesTheCheckerAnswers) {
  auto a = text_lines("one\n\ntwo\n", ispell::Checker::aspell);
  ASSERT_EQ(a.lines.size(), 4u);
  EXPECT_EQ(a.lines[2], "two");
  EXPECT_EQ(a.answered, (std::vector<bool>{true, false, true, false}));
  // hunspell answers an empty line that a newline ends, not the last piece.
  auto h = text_lines("one\n\ntwo\n", ispell::Checker::hunspell);
  EXPECT_EQ(h.answered, (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(text_lines("", ispell::Checker::aspell).answered, std::vector<bool>{false});
}

TEST(LineCache, CutsAnAnswerIntoBlocks) {
  std::string out = fgtest::kAspellBanner + "\n" +
                    "*\n& tset 2 0: test, set\n\n"
                    "\n"
                    "*\n*\n\n";
  auto b = answer_blocks(out, 3);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->banner.back(), '\n');
  ASSERT_EQ(b->blocks.size(), 3u);
  EXPECT_EQ(b->blocks[0], "*\n& tset 2 0: test, set\n\n");
  EXPECT_EQ(b->blocks[1], "\n"); // hunspell's answer to an empty line
  EXPECT_EQ(b->blocks[2], "*\n*\n\n");
  std::string joined = b->banner;
  for (auto &x : b->blocks)
    joined += x;
  EXPECT_EQ(joined, out);
  EXPECT_FALSE(answer_blocks(out, 2)); // a block left over
  EXPECT_FALSE(answer_blocks(out, 4)); // one missing
  EXPECT_FALSE(answer_blocks("no banner\n*\n\n", 1));
  EXPECT_FALSE(answer_blocks("@(#) x\n*\n", 1)); // unterminated
}
