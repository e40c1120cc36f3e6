#include "fifogate/deadline.hpp"
#include <climits>

namespace fifogate {

Millis Deadline::left() const {
  auto now = Clock::now();
  if (at_ <= now)
    return Millis(0);
  return std::chrono::duration_cast<Millis>(at_ - now);
}

int Deadline::poll_timeout_ms() const {
  if (at_ == Clock::time_point::max())
    return -1;
  auto now = Clock::now();
  if (at_ <= now)
    return 0;
  // Round up so a poll never returns a hair before the deadline and spins.
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(at_ - now).count();
  auto ms = (us + 999) / 1000;
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

} // namespace fifogate
