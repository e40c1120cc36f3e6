#pragma once
#include "fifogate/error.hpp"
#include <deque>
#include <string>

namespace fifogate {

// Queues framed records and writes them in as few write(2) calls as keep every
// record whole: each write carries whole records only, at most PIPE_BUF bytes,
// so the pipe takes all of it or none of it. Three small records (BEGIN, one
// DATA, END) then cost one system call and one wake-up of the reader, not three.
class RecordBatcher {
public:
  void add(std::string record);
  bool empty() const { return q_.empty(); }
  size_t bytes() const { return bytes_; }
  void clear() {
    q_.clear();
    bytes_ = 0;
  }
  // Writes what the non-blocking fd takes now. Ok(true): all written;
  // Ok(false): the pipe is full, poll for POLLOUT; error: EPIPE and the like.
  Result<bool> flush_some(int fd);

private:
  std::deque<std::string> q_;
  size_t bytes_ = 0;
  std::string batch_;
};

} // namespace fifogate
