#pragma once
// The line cache: an ispell command (aspell -a, hunspell -a) answers each
// line of its input on its own, so the answer to a text is its banner and
// one block per line, and the block of a line seen before can be reused.
// Editors send the whole document again on every change: only the lines
// not seen go to a worker.
#include "fifogate/error.hpp"
#include "fifogate/ispell.hpp"
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fifogate {

// Least recently used entries go first once the entries' bytes pass the bound.
class LineCache {
public:
  explicit LineCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  bool enabled() const { return max_bytes_ > 0; }
  std::optional<std::string> get(const std::string &key);
  // As get, without counting a hit or miss or making it recent.
  std::optional<std::string> peek(const std::string &key) const;
  void put(const std::string &key, std::string value);

  struct Counts {
    uint64_t hits = 0, misses = 0, evictions = 0;
    size_t bytes = 0, entries = 0;
  };
  Counts counts() const;

private:
  using Entry = std::pair<std::string, std::string>;
  static size_t cost(const Entry &e) { return 2 * e.first.size() + e.second.size() + 64; }
  size_t max_bytes_;
  mutable std::mutex m_;
  std::list<Entry> order_; // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  Counts counts_;
};

// A text cut into the lines an ispell command answers, as
// ispell_matches.cpp counts them: every line up to a '\n', and the last piece
// after it; aspell answers a line only when it is not empty, hunspell also
// an empty one that a '\n' ends.
struct TextLines {
  std::vector<std::string_view> lines;
  std::vector<bool> answered; // gets a block
};
TextLines text_lines(std::string_view text, ispell::Checker checker);

// An answer cut into its banner line and one block per answered line (each
// block its lines and the blank line that ends it). Nothing when it does not
// add up: `blocks` answered lines, no more, no fewer.
struct AnswerBlocks {
  std::string banner; // with its '\n'
  std::vector<std::string> blocks;
};
std::optional<AnswerBlocks> answer_blocks(std::string_view output, size_t blocks);

} // namespace fifogate
