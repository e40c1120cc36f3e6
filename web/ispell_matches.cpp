#include "ispell_matches.hpp"
#include "fifogate/ispell.hpp"
#include <charconv>
#include <optional>

namespace fifogate {

size_t count_code_points(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80; // continuation bytes do not start one
  return n;
}

namespace {

// A line of the text that gets an answer block.
struct TextLine {
  size_t number = 1; // 1-based
  size_t start = 0;  // characters before it in the whole text
  size_t length = 0; // its characters
};

std::string too_long(size_t number, size_t bytes) {
  return "line " + std::to_string(number) + " of the text has " + std::to_string(bytes) +
         " bytes: hunspell answers a line over " + std::to_string(ispell::kHunspellPiece - 2) +
         " bytes in pieces whose positions cannot be placed in the text; break the line up "
         "(POST /process takes it as it is)";
}

Result<std::vector<TextLine>> answered_lines(std::string_view text, ispell::Checker checker) {
  bool hunspell = checker == ispell::Checker::hunspell;
  std::vector<TextLine> out;
  size_t start = 0;
  for (size_t number = 1;; ++number) {
    size_t nl = text.find('\n');
    std::string_view piece = text.substr(0, nl);
    size_t length = count_code_points(piece);
    if (hunspell && piece.size() + 2 > ispell::kHunspellPiece)
      return Error::logic(too_long(number, piece.size()));
    // aspell prints nothing at all for an empty line; hunspell an empty block.
    if (!piece.empty() || (hunspell && nl != std::string_view::npos))
      out.push_back(TextLine{number, start, length});
    if (nl == std::string_view::npos)
      return out;
    start += length + 1;
    text.remove_prefix(nl + 1);
  }
}

// Lines of the answer: each ends at '\n'; a last piece without one counts too.
class LineReader {
public:
  explicit LineReader(std::string_view s) : rest_(s) {}
  std::optional<std::string_view> next() {
    if (rest_.empty())
      return std::nullopt;
    size_t nl = rest_.find('\n');
    std::string_view line = rest_.substr(0, nl);
    rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    return line;
  }

private:
  std::string_view rest_;
};

std::string quoted(std::string_view l) {
  constexpr size_t kMax = 80;
  return "\"" + std::string(l.substr(0, kMax)) + (l.size() > kMax ? "...\"" : "\"");
}

std::optional<size_t> to_number(std::string_view s) {
  size_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

// Takes the text up to the next `sep` (or the end) off the front of `rest`.
std::string_view take(std::string_view &rest, std::string_view sep) {
  size_t e = rest.find(sep);
  std::string_view head = rest.substr(0, e);
  rest.remove_prefix(e == std::string_view::npos ? rest.size() : e + sep.size());
  return head;
}

// "& word count offset: s1, s2", "? word count offset: s1" (ispell's guesses)
// or "# word offset".
Result<SpellMatch> parse_miss(std::string_view l, const TextLine &where) {
  auto bad = [&](const char *why) {
    return Error::logic("line " + std::to_string(where.number) + " of the text: " + why +
                        " in the answer line " + quoted(l));
  };
  if (l.size() < 3 || l[1] != ' ')
    return bad("no word");
  std::string_view rest = l.substr(2);
  SpellMatch m;
  m.word = std::string(take(rest, " "));
  std::optional<size_t> offset;
  if (l[0] == '#') {
    offset = to_number(rest);
  } else {
    if (!to_number(take(rest, " ")))
      return bad("no suggestion count");
    offset = to_number(take(rest, ": "));
    while (!rest.empty())
      m.suggestions.emplace_back(take(rest, ", "));
  }
  if (m.word.empty() || !offset)
    return bad("no word or offset");
  m.length = count_code_points(m.word);
  // Compared without the sum, which a huge offset would wrap around.
  if (*offset > where.length || m.length > where.length - *offset)
    return bad("the word runs past the end of its line");
  m.offset = where.start + *offset;
  m.line = where.number;
  m.column = *offset + 1;
  return m;
}

} // namespace

Result<std::vector<SpellMatch>> ispell_matches(std::string_view output, std::string_view text) {
  LineReader out(output);
  auto banner = out.next();
  if (!banner || banner->substr(0, 4) != "@(#)")
    return Error::logic("the answer does not start with an ispell banner (\"@(#) ...\")");
  std::vector<SpellMatch> matches;
  auto lines = answered_lines(text, ispell::checker_from_banner(*banner));
  if (!lines)
    return lines.error();
  for (const TextLine &tl : *lines) {
    for (;;) {
      auto l = out.next();
      if (!l)
        return Error::logic("the answer ends before line " + std::to_string(tl.number) +
                            " of the text");
      if (l->empty())
        break; // the end of this line's block
      char kind = (*l)[0];
      if (kind == '*' || kind == '-' || kind == '+')
        continue; // a known word (or a compound, or a root it was derived from)
      if (kind != '&' && kind != '?' && kind != '#')
        return Error::logic("line " + std::to_string(tl.number) +
                            " of the text: unexpected answer line " + quoted(*l));
      auto m = parse_miss(*l, tl);
      if (!m)
        return m.error();
      matches.push_back(std::move(*m));
    }
  }
  if (auto extra = out.next())
    return Error::logic("the answer has more blocks than the text has lines: " + quoted(*extra));
  return matches;
}

std::optional<std::string> unplaceable_line(std::string_view output, std::string_view text) {
  std::string_view banner = output.substr(0, output.find('\n'));
  // Not an ispell answer at all: the caller's check says so (502), not this one.
  if (banner.substr(0, 4) != "@(#)" ||
      ispell::checker_from_banner(banner) != ispell::Checker::hunspell)
    return std::nullopt;
  auto lines = answered_lines(text, ispell::Checker::hunspell);
  if (!lines)
    return lines.error().message();
  return std::nullopt;
}

} // namespace fifogate
