#pragma once
// What tests of the ispell protocol share: the banners the real checkers
// print (aspell 0.60.8 and hunspell 1.7.1, as in Debian bookworm), and
// cutting a text by code points, as /check counts its offsets.
#include <string>

namespace fgtest {

// Each banner's first line, without its newline.
inline const std::string kAspellBanner =
    "@(#) International Ispell Version 3.1.20 (but really Aspell 0.60.8)";
inline const std::string kHunspellBanner =
    "@(#) International Ispell Version 3.2.06 (but really Hunspell 1.7.1)";

// The code points [offset, offset + length) of UTF-8 `text`, or
// "<out of range>".
inline std::string cut_code_points(const std::string &text, size_t offset, size_t length) {
  std::string::size_type begin = std::string::npos, end = std::string::npos;
  size_t cp = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80)
      continue; // inside a character
    if (cp == offset)
      begin = i;
    if (cp == offset + length) {
      end = i;
      break;
    }
    ++cp;
  }
  if (begin == std::string::npos || end == std::string::npos)
    return "<out of range>";
  return text.substr(begin, end - begin);
}

} // namespace fgtest
