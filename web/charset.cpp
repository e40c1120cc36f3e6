#include "charset.hpp"
#include <algorithm>
#include <cerrno>
#include <iconv.h>

namespace fifogate {

namespace {

// Owns one iconv conversion descriptor.
class Converter {
public:
  Converter(const std::string &from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Converter() {
    if (ok())
      iconv_close(cd_);
  }
  Converter(const Converter &) = delete;
  Converter &operator=(const Converter &) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

private:
  iconv_t cd_;
};

} // namespace

Result<std::string> to_utf8(std::string bytes, std::string_view charset, size_t max_bytes) {
  if (charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii")
    return bytes;
  std::string name(charset);
  Converter conv(name);
  if (!conv.ok())
    return Error::sys("convert the text from charset " + name, EINVAL,
                      "not a charset this server knows; send UTF-8");
  // Most text grows little; the buffer doubles when it must, up to the limit.
  std::string out(std::min(max_bytes, bytes.size() + bytes.size() / 2 + 16), '\0');
  char *in = bytes.data();
  size_t in_left = bytes.size(), used = 0;
  for (bool flushing = false;;) {
    char *to = out.data() + used;
    size_t to_left = out.size() - used;
    size_t r = flushing ? iconv(conv.get(), nullptr, nullptr, &to, &to_left) // a last shift
                        : iconv(conv.get(), &in, &in_left, &to, &to_left);
    used = out.size() - to_left;
    if (r != static_cast<size_t>(-1)) {
      if (flushing)
        break;
      flushing = true;
      continue;
    }
    int err = errno;
    if (err == E2BIG) {
      if (out.size() >= max_bytes)
        return Error::sys("convert the text from charset " + name, E2BIG,
                          "over " + std::to_string(max_bytes) + " bytes as UTF-8");
      out.resize(std::min(max_bytes, out.size() * 2));
      continue;
    }
    size_t at = bytes.size() - in_left;
    if (err == EILSEQ || err == EINVAL)
      return Error::sys("convert the text from charset " + name, EILSEQ,
                        "byte " + std::to_string(at) + " is not valid " + name);
    return Error::sys("convert the text from charset " + name, err);
  }
  out.resize(used);
  return out;
}

} // namespace fifogate
