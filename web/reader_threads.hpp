#pragma once
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace fifogate {

// Threads that run one task at a time and are kept for the next one. Each
// exchange reads the worker's output on a thread of its own, started before
// the body is written; creating and tearing down a thread per request costs
// more than the rest of a warm exchange's bookkeeping, so they are reused.
// There are never more threads than exchanges ever ran at once.
class ReaderThreads {
  struct Slot;

public:
  ReaderThreads() = default;
  ReaderThreads(const ReaderThreads &) = delete;
  ReaderThreads &operator=(const ReaderThreads &) = delete;
  ~ReaderThreads(); // joins every thread; no task may be running

  // A task running on one of the threads. wait() (or the destructor) blocks
  // until it has finished, then gives the thread back.
  class Running {
  public:
    Running(ReaderThreads &owner, Slot *slot) : owner_(&owner), slot_(slot) {}
    Running(Running &&o) noexcept : owner_(o.owner_), slot_(std::exchange(o.slot_, nullptr)) {}
    Running &operator=(Running &&) = delete;
    ~Running() { wait(); }
    void wait();

  private:
    ReaderThreads *owner_;
    Slot *slot_;
  };

  Running start(std::function<void()> task);
  size_t threads();

private:
  struct Slot {
    std::mutex m;
    std::condition_variable cv;
    std::function<void()> task; // set: work to do
    bool done = false;
    bool stop = false;
    std::thread thread;
  };
  static void loop(Slot &s);
  void give_back(Slot *s);

  std::mutex m_;
  std::vector<std::unique_ptr<Slot>> all_;
  std::vector<Slot *> idle_;
};

} // namespace fifogate
