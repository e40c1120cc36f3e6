#pragma once
#include "connection.hpp"
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fifogate {

// WEB_THREADS threads that answer complete requests. A request waits here at
// the cost of its connection's bytes, not a thread; how long it may wait is
// decided by time (the wait for a worker, PROC_WAIT_MS, counts from its
// complete head), not by the length of this queue.
class ServingPool {
public:
  using Serve = std::function<void(ConnectionPtr)>;
  ServingPool(size_t threads, Serve serve);
  ServingPool(const ServingPool &) = delete;
  ServingPool &operator=(const ServingPool &) = delete;
  ~ServingPool(); // shutdown()

  void enqueue(ConnectionPtr c);
  // A thread is idle and no request waits for one.
  bool has_spare_thread();
  // Requests waiting for a thread.
  size_t waiting();
  // Serves what is queued, then joins the threads.
  void shutdown();

private:
  void work();
  Serve serve_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<ConnectionPtr> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stop_ = false;
};

} // namespace fifogate
