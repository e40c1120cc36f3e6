#include "fifogate/ispell.hpp"
#include <charconv>

namespace fifogate::ispell {

Checker checker_from_banner(std::string_view banner) {
  // Only the "(but really ...)" part names the program; "Aspell" elsewhere
  // (a build note, a fork's name) does not make it cut lines like aspell.
  return banner.find("(but really Aspell ") == std::string_view::npos ? Checker::hunspell
                                                                      : Checker::aspell;
}

void InputEscaper::put(char c, std::string &out) {
  // hunspell takes each piece of a long line for a line of its own, and
  // reads a command in the first byte of any of them: each starts with '^'.
  if (line_bytes_ > 0 && line_bytes_ % kHunspellPiece == 0 && c != '\n') {
    cut_lines_ = true;
    if (checker_ == Checker::hunspell)
      append('^', out);
  }
  append(c, out);
}

void InputEscaper::append(char c, std::string &out) {
  out += c;
  ++line_bytes_;
  // hunspell starts a new block with every piece of a long line.
  if (checker_ == Checker::hunspell && line_bytes_ % kHunspellPiece == 1 && line_bytes_ > 1)
    ++answered_lines_;
  if (c == '\n')
    line_bytes_ = 0;
  at_line_start_ = (c == '\n');
}

void InputEscaper::feed(std::string_view in, std::string &out) {
  out.reserve(out.size() + in.size() + in.size() / 16);
  for (char c : in) {
    if (at_line_start_ && c != '\n') {
      put('^', out);
      ++answered_lines_;
    } else if (at_line_start_ && checker_ == Checker::hunspell) {
      ++answered_lines_; // an empty line gets an empty block
    }
    put(c, out);
  }
}

void InputEscaper::finish(std::string &out) {
  if (!at_line_start_)
    put('\n', out);
}

// Lowers the number that ends at `end` (exclusive) by one.
static std::string shift_number_before(std::string_view line, size_t start, size_t end) {
  long v = 0;
  auto [p, ec] = std::from_chars(line.data() + start, line.data() + end, v);
  if (ec != std::errc() || p != line.data() + end || v < 1)
    return std::string(line);
  std::string out(line.substr(0, start));
  out += std::to_string(v - 1);
  out += line.substr(end);
  return out;
}

std::string fix_line(std::string_view line) {
  // "& word count offset: suggestions", "? word 0 offset: guesses" (ispell)
  // and "# word offset"
  if (line.size() < 2 || line[1] != ' ' || (line[0] != '&' && line[0] != '?' && line[0] != '#'))
    return std::string(line);
  size_t word_end = line.find(' ', 2);
  if (word_end == std::string_view::npos)
    return std::string(line);
  if (line[0] == '#') {
    size_t start = word_end + 1;
    return shift_number_before(line, start, line.size());
  }
  size_t count_end = line.find(' ', word_end + 1);
  if (count_end == std::string_view::npos)
    return std::string(line);
  size_t start = count_end + 1;
  size_t colon = line.find(':', start);
  if (colon == std::string_view::npos)
    return std::string(line);
  return shift_number_before(line, start, colon);
}

void OutputFixer::line(std::string_view l, std::string &out) {
  if (first_line_) {
    first_line_ = false;
    if (l.substr(0, 4) == "@(#)") {
      banner_seen_ = true;
      banner_ = std::string(l);
      out.append(l);
      out += '\n';
      return;
    }
  }
  if (l.empty())
    ++blocks_;
  out += fix_line(l);
  out += '\n';
}

void OutputFixer::feed(std::string_view in, std::string &out) {
  while (!in.empty()) {
    auto nl = in.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(in);
      return;
    }
    if (partial_.empty()) {
      line(in.substr(0, nl), out);
    } else {
      partial_.append(in.substr(0, nl));
      line(partial_, out);
      partial_.clear();
    }
    in.remove_prefix(nl + 1);
  }
}

void OutputFixer::finish(std::string &out) {
  if (partial_.empty())
    return;
  // A last line without newline: fix it but do not invent the newline.
  out += fix_line(partial_);
  partial_.clear();
}

} // namespace fifogate::ispell
