#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace fifogate::ispell {

// aspell -a / hunspell -a treat a line that starts with * & @ + - ~ # ! % ^ $
// as a command (add to the personal dictionary, save it, change options...).
// Prefixing every non-empty line with '^' makes each line plain text, and
// empty lines stay empty because aspell prints nothing for them.
class InputEscaper {
public:
  // Appends the escaped form of `in` to `out`.
  void feed(std::string_view in, std::string &out);
  // Ends a last line that has no newline, so the checker answers it.
  void finish(std::string &out);
  // Lines that will produce an answer block (non-empty lines fed so far).
  size_t answered_lines() const { return answered_lines_; }

private:
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

// Rewrites one output line (without its newline).
std::string fix_line(std::string_view line);

} // namespace fifogate::ispell
