#pragma once
#include "fifogate/config.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/file_lock.hpp"
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace fifogate {

// Sends each request to a free, live worker slot: a slot is live while a
// processor holds its life lock, and free while nobody holds its request lock.
// The request lock (flock) keeps two requests off one worker across processes
// too; inside this process, waiters are woken when a request finishes.
class Dispatcher {
public:
  explicit Dispatcher(const Config &cfg) : cfg_(cfg) {}

  class Claim {
  public:
    Claim(Dispatcher &d, Channel ch, FileLock lock)
        : d_(&d), channel_(std::move(ch)), lock_(std::move(lock)) {}
    Claim(Claim &&o) noexcept
        : d_(std::exchange(o.d_, nullptr)), channel_(std::move(o.channel_)),
          lock_(std::move(o.lock_)) {}
    Claim &operator=(Claim &&) = delete;
    ~Claim();
    const Channel &channel() const { return channel_; }

  private:
    Dispatcher *d_;
    Channel channel_;
    FileLock lock_;
  };

  // ETIMEDOUT: every live slot stayed busy; ENXIO: no slot had a worker.
  Result<Claim> claim(const Deadline &deadline);
  // Slots with a live worker right now.
  std::vector<int> live_slots();

private:
  void released();
  const Config &cfg_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<unsigned> next_{0};
  std::vector<int> live_cache_;
  Clock::time_point live_checked_{};
};

} // namespace fifogate
