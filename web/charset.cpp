#include "charset.hpp"
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

Result<std::string> to_utf8(std::string bytes, std::string_view charset) {
  if (charset.empty() || charset == "utf-8" || charset == "utf8" || charset == "us-ascii")
    return bytes;
  std::string name(charset);
  Converter conv(name);
  if (!conv.ok())
    return Error::sys("convert the text from charset " + name, EINVAL,
                      "not a charset this server knows; send UTF-8");
  std::string out;
  out.resize(bytes.size() * 4 + 16); // no charset takes more than 4 UTF-8 bytes per input byte
  char *in = bytes.data();
  size_t in_left = bytes.size();
  char *to = out.data();
  size_t to_left = out.size();
  if (iconv(conv.get(), &in, &in_left, &to, &to_left) == static_cast<size_t>(-1)) {
    int err = errno;
    size_t at = bytes.size() - in_left;
    if (err == EILSEQ || err == EINVAL)
      return Error::sys("convert the text from charset " + name, EILSEQ,
                        "byte " + std::to_string(at) + " is not valid " + name);
    return Error::sys("convert the text from charset " + name, err);
  }
  iconv(conv.get(), nullptr, nullptr, &to, &to_left); // a stateful charset's last shift
  out.resize(out.size() - to_left);
  return out;
}

} // namespace fifogate
