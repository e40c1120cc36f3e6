#pragma once
#include "fifogate/request_id.hpp"
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate::frame {

// Every byte on every FIFO travels inside a record:
//
//   "FG1" kind(1) flags(1) reserved(1) length(2, little endian) id(8) payload
//
// A record is at most PIPE_BUF (4096) bytes and written with one write(2), so
// the pipe holds whole records only: even when a writer dies, a reader never
// sees half of one. The id ties each record to one request; a reader drops
// records whose id is not the one it waits for. That is what keeps a late
// worker's output, or a dead client's half-sent body, away from the next request.
constexpr size_t kHeaderSize = 16;
constexpr size_t kMaxRecord = 4096;
constexpr size_t kMaxPayload = kMaxRecord - kHeaderSize;

enum class Kind : char {
  begin = 'B',  // web -> worker: a request starts; payload = request options
  data = 'D',   // body bytes (web -> worker) or output bytes (worker -> web)
  end = 'E',    // the body or the output is complete; payload = total byte count
  status = 'S', // worker -> web on the status FIFO: a status record fragment
};
constexpr unsigned char kFlagLast = 1; // last fragment of a multi-record message

struct Record {
  Kind kind;
  RequestId id;
  bool last = true;
  std::string payload;
};

// payload.size() must be <= kMaxPayload.
std::string encode(Kind kind, const RequestId &id, std::string_view payload, bool last = true);

// Splits a message into records of at most kMaxRecord bytes each, the last
// one flagged (an empty message is one empty record). Each is written on its
// own, so that it reaches a FIFO whole (PIPE_BUF).
std::vector<std::string> encode_message(Kind kind, const RequestId &id, std::string_view message);

// Incremental decoder. Bytes that do not start with a valid header make it
// corrupt(): the caller either distrusts the stream until the writer goes
// away and then calls reset() (the worker, whose input has one writer at a
// time), or calls resync() (the web, whose answer FIFOs anyone in the group
// could write into between the worker's records).
class Parser {
public:
  void feed(const char *data, size_t len);
  std::optional<Record> next();
  bool corrupt() const { return corrupt_; }
  size_t buffered() const { return buf_.size() - pos_; }
  // The bytes held in memory, the consumed ones not yet dropped included:
  // bounded by about kCompactAfter plus what is still unread.
  size_t held() const { return buf_.size(); }
  static constexpr size_t kCompactAfter = 64 * 1024;
  // True when next() has something to say: a whole record, or a bad header.
  bool has_whole_record() const;
  // Drops bytes after the last whole record: the start of a record whose
  // writer left (records are written whole, so nobody will finish it; left in
  // place, the next writer's records would be read as its rest). Returns the
  // count dropped.
  size_t drop_incomplete_tail();
  // Drops the bytes up to the next possible header (or all but a trailing
  // "F"/"FG"), clears corrupt(), and returns the count dropped. A worker's
  // records are each one write(2), so junk from elsewhere lies between them.
  size_t resync();
  void reset() {
    buf_.clear();
    pos_ = 0;
    corrupt_ = false;
  }

private:
  void compact(); // drops the consumed prefix once it is over kCompactAfter
  std::string buf_;
  size_t pos_ = 0;
  bool corrupt_ = false;
};

} // namespace fifogate::frame
