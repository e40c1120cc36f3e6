#include "fifogate/utf8.hpp"

namespace fifogate {

bool Utf8Validator::fail(const char *what) {
  error_ = std::string(what) + " at byte " + std::to_string(need_ ? seq_start_ : offset_);
  return false;
}

bool Utf8Validator::feed(std::string_view bytes) {
  if (!error_.empty())
    return false;
  for (char ch : bytes) {
    auto b = static_cast<unsigned char>(ch);
    if (need_ == 0) {
      seq_start_ = offset_;
      if (b == 0)
        return fail("NUL byte");
      if (b < 0x80) {
        // ASCII
      } else if (b >= 0xC2 && b <= 0xDF) {
        need_ = 1, code_ = b & 0x1Fu, min_ = 0x80;
      } else if (b >= 0xE0 && b <= 0xEF) {
        need_ = 2, code_ = b & 0x0Fu, min_ = 0x800;
      } else if (b >= 0xF0 && b <= 0xF4) {
        need_ = 3, code_ = b & 0x07u, min_ = 0x10000;
      } else {
        return fail("invalid UTF-8");
      }
    } else {
      if ((b & 0xC0) != 0x80)
        return fail("invalid UTF-8");
      code_ = (code_ << 6) | (b & 0x3Fu);
      if (--need_ == 0) {
        if (code_ < min_ || code_ > 0x10FFFF || (code_ >= 0xD800 && code_ <= 0xDFFF)) {
          offset_ = seq_start_;
          return fail("invalid UTF-8");
        }
      }
    }
    ++offset_;
  }
  return true;
}

bool Utf8Validator::finish() {
  if (!error_.empty())
    return false;
  if (need_ != 0) {
    need_ = 0;
    offset_ = seq_start_;
    return fail("truncated UTF-8 sequence");
  }
  return true;
}

} // namespace fifogate
