#pragma once
#include "fifogate/error.hpp"
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// One word the checker did not know, placed in the whole submitted text.
// Positions count characters (Unicode code points), not bytes, so an editor
// can use them whatever the text's script; JavaScript strings count UTF-16
// units instead and must convert (the page does).
struct SpellMatch {
  std::string word;
  size_t offset = 0; // from the start of the whole text
  size_t length = 0;
  size_t line = 1;   // 1-based; lines end at '\n'
  size_t column = 1; // 1-based, in characters of that line
  std::vector<std::string> suggestions;
};

// Code points in UTF-8 text (the text is valid: the worker refuses anything else).
size_t count_code_points(std::string_view utf8);

// Reads what `aspell -a` printed for `text` (already fixed back to the
// caller's offsets). After the banner, every non-empty input line gets one
// block ending in a blank line, and empty lines get nothing (hunspell: an
// empty block, and a long line several blocks); inside a block,
// "& word n off: s1, s2" and "# word off" are misspellings, '*', '-' and
// "+ root" are known words. An answer that does not add up is an error, never
// a guess: the offsets would point at the wrong words.
Result<std::vector<SpellMatch>> ispell_matches(std::string_view output, std::string_view text);

// Why `text` cannot be placed from the answer `output`, if so: hunspell cuts a
// line over 8189 bytes into pieces whose offsets start afresh.
std::optional<std::string> unplaceable_line(std::string_view output, std::string_view text);

} // namespace fifogate
