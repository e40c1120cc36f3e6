#include "fifogate/frame.hpp"
#include <cassert>
#include <cstring>

namespace fifogate::frame {

static bool known_kind(char k) {
  return k == 'B' || k == 'D' || k == 'E' || k == 'S';
}

std::string encode(Kind kind, const RequestId &id, std::string_view payload, bool last) {
  assert(payload.size() <= kMaxPayload);
  std::string r;
  r.reserve(kHeaderSize + payload.size());
  r += "FG1";
  r += static_cast<char>(kind);
  r += static_cast<char>(last ? kFlagLast : 0);
  r += '\0';
  r += static_cast<char>(payload.size() & 0xff);
  r += static_cast<char>((payload.size() >> 8) & 0xff);
  r.append(reinterpret_cast<const char *>(id.bytes.data()), id.bytes.size());
  r.append(payload);
  return r;
}

std::vector<std::string> encode_message(Kind kind, const RequestId &id, std::string_view message) {
  std::vector<std::string> out;
  do {
    auto piece = message.substr(0, kMaxPayload);
    message.remove_prefix(piece.size());
    out.push_back(encode(kind, id, piece, message.empty()));
  } while (!message.empty());
  return out;
}

// The payload length in the header at `h`, or nullopt if it is not a header.
static std::optional<size_t> header_length(const char *h) {
  size_t len = static_cast<unsigned char>(h[6]) | (static_cast<unsigned char>(h[7]) << 8);
  if (std::memcmp(h, "FG1", 3) != 0 || !known_kind(h[3]) || (h[4] & ~kFlagLast) != 0 || h[5] != 0 ||
      len > kMaxPayload)
    return std::nullopt;
  return len;
}

bool Parser::has_whole_record() const {
  if (corrupt_ || buffered() < kHeaderSize)
    return false;
  auto len = header_length(buf_.data() + pos_);
  return !len || buffered() >= kHeaderSize + *len;
}

size_t Parser::drop_incomplete_tail() {
  size_t at = pos_;
  while (buf_.size() - at >= kHeaderSize) {
    auto len = header_length(buf_.data() + at);
    if (!len)
      return 0; // not records at all: corrupt() is the caller's signal for that
    if (buf_.size() - at < kHeaderSize + *len)
      break;
    at += kHeaderSize + *len;
  }
  size_t dropped = buf_.size() - at;
  buf_.resize(at);
  return dropped;
}

size_t Parser::resync() {
  std::string_view rest(buf_.data() + pos_, buf_.size() - pos_);
  size_t at = rest.find("FG1", 1);
  if (at == std::string_view::npos) {
    at = rest.size();
    for (size_t keep : {size_t(2), size_t(1)}) // the start of a header still coming
      if (rest.size() >= keep + 1 &&
          std::string_view("FG1").substr(0, keep) == rest.substr(rest.size() - keep)) {
        at = rest.size() - keep;
        break;
      }
  }
  pos_ += at;
  corrupt_ = false;
  compact();
  return at;
}

void Parser::compact() {
  // Past this much consumed, the prefix goes: a stream of nothing but junk
  // (anyone in the group can write into an answer FIFO) never yields a
  // record, and would otherwise be kept whole. Only once the consumed part is
  // the larger one, so the bytes moved stay in proportion to those consumed.
  if (pos_ > kCompactAfter && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

void Parser::feed(const char *data, size_t len) {
  compact();
  buf_.append(data, len);
}

std::optional<Record> Parser::next() {
  if (corrupt_ || buffered() < kHeaderSize)
    return std::nullopt;
  const char *h = buf_.data() + pos_;
  auto header = header_length(h);
  if (!header) {
    corrupt_ = true;
    return std::nullopt;
  }
  size_t len = *header;
  if (buffered() < kHeaderSize + len)
    return std::nullopt;
  Record rec;
  rec.kind = static_cast<Kind>(h[3]);
  rec.last = (h[4] & kFlagLast) != 0;
  std::memcpy(rec.id.bytes.data(), h + 8, rec.id.bytes.size());
  rec.payload.assign(h + kHeaderSize, len);
  pos_ += kHeaderSize + len;
  compact(); // so the buffer does not grow with the stream
  return rec;
}

} // namespace fifogate::frame
