#pragma once
#include "fifogate/config.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/file_lock.hpp"
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace fifogate {

// Sends each request to a free, live worker slot, the most recently used
// first: a slot is live while a processor holds its life lock, and free while
// nobody holds its request lock. The request lock (flock) keeps two requests
// off one worker across processes too. Inside this process, requests that
// find every slot busy queue in arrival order, and each release wakes only
// the oldest of them: no herd of wake-ups, and no request overtaken for its
// whole deadline.
class Dispatcher {
public:
  explicit Dispatcher(const Config &cfg)
      : cfg_(cfg), busy_(static_cast<size_t>(cfg.slots)),
        last_used_(static_cast<size_t>(cfg.slots)) {}

  class Claim {
  public:
    Claim(Dispatcher &d, Channel ch, FileLock lock)
        : d_(&d), channel_(std::move(ch)), lock_(std::move(lock)) {}
    Claim(Claim &&o) noexcept
        : d_(std::exchange(o.d_, nullptr)), channel_(std::move(o.channel_)),
          lock_(std::move(o.lock_)), demoted_(o.demoted_) {}
    Claim &operator=(Claim &&) = delete;
    ~Claim();
    const Channel &channel() const { return channel_; }
    // The worker failed this request itself (no answer, a broken answer, a
    // command it could not start): it goes last in line, so that a worker
    // that fails fast does not take every request at low load.
    void demote() { demoted_ = true; }

  private:
    Dispatcher *d_;
    Channel channel_;
    std::optional<FileLock> lock_;
    bool demoted_ = false;
  };

  // ETIMEDOUT: every live slot stayed busy; ENXIO: no slot had a worker.
  Result<Claim> claim(const Deadline &deadline);
  // Slots with a live worker right now.
  std::vector<int> live_slots();
  // The next claim re-reads which workers are alive (one was just found dead).
  void forget_liveness();
  // Requests queued for a slot right now.
  size_t waiting();

private:
  struct Waiter {
    std::condition_variable cv;
  };
  // One pass over the live slots this process is not using; m_ held.
  Result<std::optional<Claim>> try_slots(const std::vector<int> &live, bool &someone_else_holds);
  std::vector<int> live_slots_locked();
  void released(int slot, bool demoted);
  void leave_queue(Waiter *w); // m_ held; wakes the next in line

  const Config &cfg_;
  std::mutex m_;
  std::deque<Waiter *> queue_;
  std::vector<char> busy_; // slots claimed by this process
  // Per slot, when this process last released it: a count that grows with
  // every release, negative for a demoted one (after every slot never used).
  std::vector<int64_t> last_used_;
  int64_t releases_ = 0;
  std::vector<int> live_cache_;
  std::optional<Error> live_error_; // why the last look could not tell, if it could not
  // Per slot: its life lock is a FIFO or a symlink (said once in the log,
  // until it is a file again).
  std::vector<char> not_a_file_;
  Clock::time_point live_checked_{};
};

} // namespace fifogate
