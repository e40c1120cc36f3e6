#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace fifogate {

// A value as a log line shows it, by the one rule both binaries follow:
// control characters become '?', a double quote becomes a single one, and a
// value over 200 bytes is cut there and marked "...". A line is thus always
// one line, and a quoted value always ends at the next double quote.
std::string log_text(std::string_view value);

// The " key=value" pairs of one log line, in the order added. Values go
// through log_text; quoted() values are always in double quotes (free text:
// a reason, a message), add() values only when they hold a space or are
// empty (a token: an outcome, a worker, a lang).
class LogFields {
public:
  LogFields &add(std::string_view key, std::string_view value);
  LogFields &add(std::string_view key, int64_t value);
  LogFields &quoted(std::string_view key, std::string_view value);
  // Each pair with a space before it: " a=1 b=\"x y\"".
  const std::string &str() const { return text_; }
  bool empty() const { return text_.empty(); }

private:
  std::string text_;
};

} // namespace fifogate
