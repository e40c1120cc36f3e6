#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace fifogate::ispell {

// aspell -a / hunspell -a treat a line that starts with * & @ + - ~ # ! % ^ $
// as a command (add to the personal dictionary, save it, change options...).
// Prefixing every non-empty line with '^' makes each line plain text. Empty
// lines stay empty, so each checker answers them as it would unescaped.
class InputEscaper {
public:
  // Whether the checker answers an empty line with an (empty) answer block:
  // hunspell and ispell do, aspell prints nothing.
  explicit InputEscaper(bool empty_lines_answered = false)
      : empty_lines_answered_(empty_lines_answered) {}
  // Appends the escaped form of `in` to `out`.
  void feed(std::string_view in, std::string &out);
  // Ends a last line that has no newline, so the checker answers it.
  void finish(std::string &out);
  // Lines fed so far that will produce an answer block.
  size_t answered_lines() const { return answered_lines_; }

private:
  bool empty_lines_answered_;
  bool at_line_start_ = true;
  size_t answered_lines_ = 0;
};

// The '^' shifts every offset by one. Rewrites "& word n off: ..." and
// "# word off" lines back to offsets in the caller's original line.
class OutputFixer {
public:
  void feed(std::string_view in, std::string &out);
  void finish(std::string &out);
  // Blank lines seen (each ends one answer block), not counting the banner.
  size_t blocks() const { return blocks_; }
  bool banner_seen() const { return banner_seen_; }
  // Part of a line is waiting for its newline.
  bool partial() const { return !partial_.empty(); }

private:
  void line(std::string_view l, std::string &out);
  std::string partial_;
  size_t blocks_ = 0;
  bool banner_seen_ = false;
  bool first_line_ = true;
};

// From a checker's banner line: does it answer empty lines? Only aspell is
// known not to ("... (but really Aspell 0.60.8)").
bool answers_empty_lines(std::string_view banner);

// Rewrites one output line (without its newline).
std::string fix_line(std::string_view line);

} // namespace fifogate::ispell
