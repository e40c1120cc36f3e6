#include "dispatcher.hpp"
#include "fifogate/log.hpp"
#include <algorithm>
#include <cerrno>

namespace fifogate {

// Liveness is re-read this often; a dead worker is noticed within this time
// (and at once by the exchange, whose open of the input FIFO then fails).
constexpr Millis kLiveCacheTime(100);
// Releases inside this process wake the next waiter at once; a slot held by
// another process (a second web instance) is only seen free by looking again.
constexpr Millis kRetryTick(5);

Dispatcher::Claim::~Claim() {
  if (!d_)
    return;
  lock_.reset(); // unlocked before the next waiter is woken to take it
  d_->released(channel_.slot, demoted_);
}

void Dispatcher::released(int slot, bool demoted) {
  std::lock_guard<std::mutex> g(m_);
  busy_[static_cast<size_t>(slot)] = 0;
  ++releases_;
  last_used_[static_cast<size_t>(slot)] = demoted ? -releases_ : releases_;
  if (!queue_.empty())
    queue_.front()->cv.notify_one();
}

void Dispatcher::leave_queue(Waiter *w) {
  bool was_first = !queue_.empty() && queue_.front() == w;
  queue_.erase(std::find(queue_.begin(), queue_.end(), w));
  // The next in line may be able to go now: there may be more free slots.
  if (was_first && !queue_.empty())
    queue_.front()->cv.notify_one();
}

void Dispatcher::forget_liveness() {
  std::lock_guard<std::mutex> g(m_);
  live_checked_ = {};
}

std::vector<int> Dispatcher::live_slots() {
  std::lock_guard<std::mutex> g(m_);
  return live_slots_locked();
}

size_t Dispatcher::waiting() {
  std::lock_guard<std::mutex> g(m_);
  return queue_.size();
}

std::vector<int> Dispatcher::live_slots_locked() {
  auto now = Clock::now();
  if (now - live_checked_ >= kLiveCacheTime) {
    live_cache_.clear();
    live_error_.reset();
    not_a_file_.resize(static_cast<size_t>(cfg_.slots));
    for (int k = 0; k < cfg_.slots; ++k) {
      std::string not_a_file;
      auto alive = is_locked(cfg_.channel(k).owner_lock_path(), &not_a_file);
      char &said = not_a_file_[static_cast<size_t>(k)];
      if (!not_a_file.empty() && !said)
        log_line("web", "processor " + cfg_.name + ": slot " + std::to_string(k) +
                            " has no worker: " + not_a_file);
      said = !not_a_file.empty();
      if (alive.ok() && *alive)
        live_cache_.push_back(k);
      // The web out of file descriptors or memory cannot tell; kept so that
      // a wait that ends with no worker in sight says so (not "no worker").
      else if (!alive.ok() && (alive.error().code == EMFILE || alive.error().code == ENFILE ||
                               alive.error().code == ENOMEM))
        live_error_ = alive.error();
    }
    live_checked_ = now;
  }
  return live_cache_;
}

Result<std::optional<Dispatcher::Claim>> Dispatcher::try_slots(const std::vector<int> &live,
                                                               bool &someone_else_holds) {
  // The most recently used free worker first: at low load one worker (and
  // its warm command, its memory in the CPU's caches) keeps serving, which
  // measured 0.2-0.4 ms less per small warm request at c=1 than going round
  // the workers; under load every free worker is used anyway.
  std::vector<int> order = live;
  std::stable_sort(order.begin(), order.end(), [this](int a, int b) {
    return last_used_[static_cast<size_t>(a)] > last_used_[static_cast<size_t>(b)];
  });
  for (int k : order) {
    if (busy_[static_cast<size_t>(k)])
      continue; // ours: its release will wake us
    Channel ch = cfg_.channel(k);
    auto got = FileLock::try_acquire(ch.lock_path);
    if (!got)
      return got.error();
    if (!*got) {
      someone_else_holds = true;
      continue;
    }
    busy_[static_cast<size_t>(k)] = 1;
    return std::optional<Claim>(Claim(*this, std::move(ch), std::move(**got)));
  }
  return std::optional<Claim>();
}

Result<Dispatcher::Claim> Dispatcher::claim(const Deadline &deadline) {
  std::unique_lock<std::mutex> l(m_);
  Waiter me;
  queue_.push_back(&me);
  bool saw_worker = false;
  for (;;) {
    auto live = live_slots_locked();
    saw_worker = saw_worker || !live.empty();
    bool someone_else_holds = false;
    if (queue_.front() == &me) {
      auto got = try_slots(live, someone_else_holds);
      if (!got || *got) {
        leave_queue(&me);
        if (!got)
          return got.error();
        return std::move(**got);
      }
    }
    if (deadline.expired()) {
      leave_queue(&me);
      if (live.empty() && live_error_)
        return Error{live_error_->code, "find a live worker: " + live_error_->context,
                     live_error_->detail};
      if (!saw_worker)
        return Error::sys("find a worker in " + cfg_.kind_dir() + "/in[.N]", ENXIO,
                          "no worker is running");
      return Error::sys("lock a worker slot", ETIMEDOUT,
                        "all " + std::to_string(live.size()) + " workers stayed busy");
    }
    // The first in line looks again soon when it cannot be woken by a release
    // in this process (a slot held elsewhere, or no worker yet); otherwise it
    // still looks again when the list of live workers may have changed.
    Millis nap = queue_.front() != &me                ? Millis(1000)
                 : someone_else_holds || live.empty() ? kRetryTick
                                                      : kLiveCacheTime;
    me.cv.wait_for(l, std::min<Clock::duration>(nap, deadline.left()));
  }
}

} // namespace fifogate
