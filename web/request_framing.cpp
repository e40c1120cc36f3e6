#include "request_framing.hpp"
#include <algorithm>
#include <cctype>
#include <strings.h>

namespace fifogate {

namespace {

// RFC 9110 §5.6.2 tchar.
bool is_token_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)))
    return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// For a reason text: a client's bytes cannot forge a log line.
std::string shown(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out;
  for (char c : s.substr(0, kMax))
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  return s.size() > kMax ? out + "..." : out;
}

FramingError bad(std::string reason) {
  return FramingError{400, std::move(reason)};
}

} // namespace

HeadScan scan_head(std::string_view bytes) {
  HeadScan r;
  size_t crlf = bytes.find("\r\n\r\n");
  size_t lf = bytes.find("\n\n");
  size_t end = std::string_view::npos;
  if (crlf != std::string_view::npos)
    end = crlf + 4;
  if (lf != std::string_view::npos && (end == std::string_view::npos || lf + 2 < end))
    end = lf + 2;
  std::string_view head = end == std::string_view::npos ? bytes : bytes.substr(0, end);
  size_t lines = static_cast<size_t>(std::count(head.begin(), head.end(), '\n'));
  // The request line and the empty line are not header lines.
  if (head.size() > kMaxHeadBytes || lines > kMaxHeaderLines + 2) {
    r.error = {431, "request head over " + std::to_string(kMaxHeadBytes / 1024) + " KiB or " +
                        std::to_string(kMaxHeaderLines) + " header lines"};
    return r;
  }
  if (end != std::string_view::npos)
    r.length = end;
  return r;
}

Framing check_framing(std::string_view head) {
  Framing f;
  int content_lengths = 0;
  std::string_view content_length;
  std::string transfer_encoding;
  bool has_te = false;
  bool first = true;
  while (!head.empty()) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) {
      f.error = bad("a bare CR in the request head");
      return f;
    }
    if (first) { // the request line: cpp-httplib parses it
      first = false;
      continue;
    }
    if (line.empty())
      break;
    if (line.front() == ' ' || line.front() == '\t') {
      f.error = bad("obsolete line folding (a header line starting with whitespace)");
      return f;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      f.error = bad("a header line without a colon: \"" + shown(line) + "\"");
      return f;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (name.empty()) {
      f.error = bad("a header line with an empty field name");
      return f;
    }
    for (char c : name) {
      if (c == ' ' || c == '\t') {
        f.error = bad("whitespace between the field name \"" + shown(trim_ows(name)) +
                      "\" and the colon");
        return f;
      }
      if (!is_token_char(c)) {
        f.error = bad("an invalid character in the field name \"" + shown(name) + "\"");
        return f;
      }
    }
    if (iequals(name, "Content-Length")) {
      ++content_lengths;
      content_length = value;
    } else if (iequals(name, "Transfer-Encoding")) {
      if (has_te)
        transfer_encoding += ", ";
      has_te = true;
      transfer_encoding += std::string(value);
    } else if (iequals(name, "Expect")) {
      f.expect_continue = iequals(value, "100-continue");
    }
  }
  if (content_lengths > 1) {
    f.error = bad("Content-Length given " + std::to_string(content_lengths) + " times");
    return f;
  }
  if (content_lengths == 1 && has_te) {
    f.error = bad("both Content-Length and Transfer-Encoding; send one of them");
    return f;
  }
  if (has_te) {
    if (!iequals(trim_ows(transfer_encoding), "chunked")) {
      f.error = {501, "Transfer-Encoding " + shown(transfer_encoding) +
                          " is not supported; send the body with Content-Length or chunked"};
      return f;
    }
    f.body = BodyFraming::chunked;
    return f;
  }
  if (content_lengths == 1) {
    bool digits = !content_length.empty() && content_length.size() <= 18 &&
                  std::all_of(content_length.begin(), content_length.end(),
                              [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) {
      f.error = bad("Content-Length \"" + shown(content_length) + "\" is not a decimal number");
      return f;
    }
    f.content_length = std::stoull(std::string(content_length));
    f.body = f.content_length > 0 ? BodyFraming::length : BodyFraming::none;
  }
  return f;
}

ChunkedScan scan_chunked(std::string_view bytes) {
  constexpr size_t kMaxLine = 4096; // a chunk-size line with its extensions, a trailer line
  ChunkedScan r;
  size_t pos = 0;
  for (;;) {
    size_t eol = bytes.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (bytes.size() - pos > kMaxLine)
        r.error = bad("a chunk-size line over " + std::to_string(kMaxLine) + " bytes");
      return r;
    }
    std::string_view line = bytes.substr(pos, eol - pos);
    size_t hex = 0;
    while (hex < line.size() && std::isxdigit(static_cast<unsigned char>(line[hex])))
      ++hex;
    std::string_view rest = trim_ows(line.substr(hex));
    if (hex == 0 || (!rest.empty() && rest.front() != ';')) {
      r.error =
          bad(line.substr(0, 1) == "-" ? "a negative chunk size \"" + shown(line) + "\""
                                       : "a chunk size that is not hex: \"" + shown(line) + "\"");
      return r;
    }
    size_t significant = line.find_first_not_of('0');
    if (significant != std::string_view::npos && significant < hex && hex - significant > 15) {
      r.error = bad("a chunk size that overflows: \"" + shown(line.substr(0, hex)) + "\"");
      return r;
    }
    uint64_t size = std::stoull(std::string(line.substr(0, hex)), nullptr, 16);
    pos = eol + 2;
    if (size == 0) {
      // The trailer section: field lines up to an empty line.
      for (;;) {
        size_t tend = bytes.find("\r\n", pos);
        if (tend == std::string_view::npos) {
          if (bytes.size() - pos > kMaxLine)
            r.error = bad("a trailer line over " + std::to_string(kMaxLine) + " bytes");
          return r;
        }
        bool last = tend == pos;
        pos = tend + 2;
        if (last) {
          r.length = pos;
          return r;
        }
      }
    }
    if (bytes.size() - pos < size + 2) {
      r.data_bytes += std::min<uint64_t>(size, bytes.size() - pos);
      return r;
    }
    if (bytes.substr(pos + size, 2) != "\r\n") {
      r.error = bad("a chunk not ended by CRLF");
      return r;
    }
    r.data_bytes += size;
    pos += size + 2;
  }
}

} // namespace fifogate
