#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fifogate {

// Streaming check that a byte stream is UTF-8 text without NUL bytes. aspell
// silently stops a line at NUL and silently skips invalid bytes, so such input
// would get a plausible but wrong answer; we refuse it instead.
class Utf8Validator {
public:
  // False at the first bad byte; error() says what and where.
  bool feed(std::string_view bytes);
  // False when the stream ends inside a multi-byte sequence.
  bool finish();
  const std::string &error() const { return error_; }

private:
  bool fail(const char *what);
  uint64_t offset_ = 0;
  uint64_t seq_start_ = 0; // where the sequence being checked began
  uint32_t need_ = 0;      // continuation bytes still expected
  uint32_t code_ = 0;      // code point being built
  uint32_t min_ = 0;       // smallest code point allowed for this length
  std::string error_;
};

} // namespace fifogate
