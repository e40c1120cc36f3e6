#include "fifogate/record_batcher.hpp"
#include <climits>
#include <unistd.h>

namespace fifogate {

void RecordBatcher::add(std::string record) {
  bytes_ += record.size();
  q_.push_back(std::move(record));
}

Result<bool> RecordBatcher::flush_some(int fd) {
  while (!q_.empty()) {
    batch_.clear();
    size_t n = 0;
    while (n < q_.size() && batch_.size() + q_[n].size() <= PIPE_BUF)
      batch_ += q_[n++];
    if (n == 0)
      return Error::logic("record of " + std::to_string(q_.front().size()) +
                          " bytes exceeds PIPE_BUF");
    ssize_t w = ::write(fd, batch_.data(), batch_.size());
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    if (w < 0)
      return Error::sys("write records");
    if (static_cast<size_t>(w) != batch_.size()) // impossible at <= PIPE_BUF on a pipe
      return Error::logic("short write of a record batch");
    for (size_t i = 0; i < n; ++i) {
      bytes_ -= q_.front().size();
      q_.pop_front();
    }
  }
  return true;
}

} // namespace fifogate
