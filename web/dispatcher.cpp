#include "dispatcher.hpp"
#include <algorithm>

namespace fifogate {

// Liveness is re-read this often; a dead worker is noticed within this time
// (and at once by the exchange, whose open of the input FIFO then fails).
constexpr Millis kLiveCacheTime(100);
// Releases inside this process wake a waiter at once; releases by another
// process (a second web instance) are only seen by looking again this often.
constexpr Millis kRetryTick(5);

Dispatcher::Claim::~Claim() {
  if (d_)
    d_->released();
}

void Dispatcher::released() {
  cv_.notify_one();
}

std::vector<int> Dispatcher::live_slots() {
  std::lock_guard<std::mutex> g(m_);
  auto now = Clock::now();
  if (now - live_checked_ >= kLiveCacheTime) {
    live_cache_.clear();
    for (int k = 0; k < cfg_.slots; ++k) {
      auto alive = is_locked(cfg_.channel(k).owner_lock_path());
      if (alive.ok() && *alive)
        live_cache_.push_back(k);
    }
    live_checked_ = now;
  }
  return live_cache_;
}

Result<Dispatcher::Claim> Dispatcher::claim(const Deadline &deadline) {
  bool saw_worker = false;
  for (;;) {
    auto live = live_slots();
    saw_worker = saw_worker || !live.empty();
    // Start at a rotating slot so the load spreads over the workers.
    unsigned start = next_.fetch_add(1);
    for (size_t i = 0; i < live.size(); ++i) {
      Channel ch = cfg_.channel(live[(start + i) % live.size()]);
      auto got = FileLock::try_acquire(ch.lock_path);
      if (!got)
        return got.error();
      if (*got)
        return Claim(*this, std::move(ch), std::move(**got));
    }
    if (deadline.expired()) {
      if (!saw_worker)
        return Error::sys("find a worker in " + cfg_.input_path + "[.N]", ENXIO,
                          "no worker is running");
      return Error::sys("lock a worker slot", ETIMEDOUT,
                        "all " + std::to_string(live.size()) + " workers stayed busy");
    }
    std::unique_lock<std::mutex> l(m_);
    cv_.wait_for(l, std::min<Clock::duration>(kRetryTick, deadline.left()));
  }
}

} // namespace fifogate
