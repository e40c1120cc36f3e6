#pragma once
#include <chrono>

namespace fifogate {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// An absolute point in time by which a step must finish. Every blocking call
// takes one, so a chain of steps shares one budget instead of each step
// getting a fresh timeout.
class Deadline {
public:
  explicit Deadline(Clock::time_point at) : at_(at) {}
  static Deadline in(Millis d) { return Deadline(Clock::now() + d); }
  static Deadline never() { return Deadline(Clock::time_point::max()); }

  Clock::time_point at() const { return at_; }
  bool expired() const { return Clock::now() >= at_; }
  // Time left, for poll(2): 0 when expired, -1 (infinite) for never().
  int poll_timeout_ms() const;
  Millis left() const;
  Deadline earlier(const Deadline &o) const { return o.at_ < at_ ? o : *this; }

private:
  Clock::time_point at_;
};

} // namespace fifogate
