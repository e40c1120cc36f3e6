#pragma once
#include <poll.h>

namespace fifogate {

// True when a stop signal is pending on `stop_fd` (the processor's signalfd),
// waiting up to `timeout_ms` for one. poll does not consume it: every later
// look (and the input loop's poll) sees it too.
inline bool stop_requested(int stop_fd, int timeout_ms) {
  pollfd p{stop_fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

} // namespace fifogate
