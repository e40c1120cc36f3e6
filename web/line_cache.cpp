#include "line_cache.hpp"

namespace fifogate {

std::optional<std::string> LineCache::get(const std::string &key) {
  std::lock_guard<std::mutex> g(m_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++counts_.misses;
    return std::nullopt;
  }
  ++counts_.hits;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->second;
}

std::optional<std::string> LineCache::peek(const std::string &key) const {
  std::lock_guard<std::mutex> g(m_);
  auto it = index_.find(key);
  if (it == index_.end())
    return std::nullopt;
  return it->second->second;
}

void LineCache::put(const std::string &key, std::string value) {
  std::lock_guard<std::mutex> g(m_);
  Entry e{key, std::move(value)};
  if (cost(e) > max_bytes_)
    return; // would evict everything else and still not fit
  if (auto it = index_.find(key); it != index_.end()) {
    counts_.bytes -= cost(*it->second);
    order_.erase(it->second);
    index_.erase(it);
  }
  counts_.bytes += cost(e);
  order_.push_front(std::move(e));
  index_.emplace(key, order_.begin());
  while (counts_.bytes > max_bytes_ && !order_.empty()) {
    counts_.bytes -= cost(order_.back());
    index_.erase(order_.back().first);
    order_.pop_back();
    ++counts_.evictions;
  }
}

LineCache::Counts LineCache::counts() const {
  std::lock_guard<std::mutex> g(m_);
  Counts c = counts_;
  c.entries = index_.size();
  return c;
}

TextLines text_lines(std::string_view text, ispell::Checker checker) {
  TextLines out;
  for (;;) {
    size_t nl = text.find('\n');
    std::string_view piece = text.substr(0, nl);
    out.lines.push_back(piece);
    out.answered.push_back(!piece.empty() ||
                           (checker == ispell::Checker::hunspell && nl != std::string_view::npos));
    if (nl == std::string_view::npos)
      return out;
    text.remove_prefix(nl + 1);
  }
}

std::optional<AnswerBlocks> answer_blocks(std::string_view output, size_t blocks) {
  AnswerBlocks out;
  size_t nl = output.find('\n');
  if (nl == std::string_view::npos || output.substr(0, 4) != "@(#)")
    return std::nullopt;
  out.banner = std::string(output.substr(0, nl + 1));
  output.remove_prefix(nl + 1);
  while (out.blocks.size() < blocks) {
    size_t end = 0;
    for (;;) { // up to and including the blank line
      size_t e = output.find('\n', end);
      if (e == std::string_view::npos)
        return std::nullopt;
      bool blank = e == end;
      end = e + 1;
      if (blank)
        break;
    }
    out.blocks.emplace_back(output.substr(0, end));
    output.remove_prefix(end);
  }
  if (!output.empty())
    return std::nullopt;
  return out;
}

} // namespace fifogate
