#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace fifogate::ispell {

// How a checker cuts its input into answer blocks. aspell answers each
// non-empty line with one block and an empty line with nothing. hunspell
// (and, we assume, any other -a checker) answers every line, empty ones with
// an empty block, and reads a long line in pieces of kHunspellPiece bytes
// (the '^' and the newline included), each answered with its own block.
enum class Checker { aspell, hunspell };
constexpr size_t kHunspellPiece = 8191;
// From the banner line: "... (but really Aspell 0.60.8)" or "... Hunspell 1.7.1)".
Checker checker_from_banner(std::string_view banner);

// aspell -a / hunspell -a treat a line that starts with * & @ + - ~ # ! % ^ $
// as a command (add to the personal dictionary, save it, change options...).
// Prefixing every non-empty line with '^' makes each line plain text; for
// hunspell every piece of a long line gets one, as it reads each piece as a
// line. Empty lines stay empty, so each checker answers them as it would
// unescaped.
class InputEscaper {
public:
  explicit InputEscaper(Checker checker = Checker::aspell) : checker_(checker) {}
  // Appends the escaped form of `in` to `out`.
  void feed(std::string_view in, std::string &out);
  // Ends a last line that has no newline, so the checker answers it.
  void finish(std::string &out);
  // Answer blocks the checker owes for what was fed so far.
  size_t answered_lines() const { return answered_lines_; }
  // A line went past the first piece: hunspell cut it, aspell did not.
  bool cut_lines() const { return cut_lines_; }

private:
  void put(char c, std::string &out);
  void append(char c, std::string &out);
  Checker checker_;
  bool at_line_start_ = true;
  size_t line_bytes_ = 0; // bytes of the current line sent, '^' included
  size_t answered_lines_ = 0;
  bool cut_lines_ = false;
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
  const std::string &banner() const { return banner_; } // without its newline
  // Part of a line is waiting for its newline.
  bool partial() const { return !partial_.empty(); }

private:
  void line(std::string_view l, std::string &out);
  std::string partial_;
  size_t blocks_ = 0;
  bool banner_seen_ = false;
  std::string banner_;
  bool first_line_ = true;
};

// Rewrites one output line (without its newline).
std::string fix_line(std::string_view line);

} // namespace fifogate::ispell
