#include "serving_pool.hpp"

namespace fifogate {

ServingPool::ServingPool(size_t threads, Serve serve) : serve_(std::move(serve)) {
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { work(); });
}

ServingPool::~ServingPool() {
  shutdown();
}

void ServingPool::enqueue(ConnectionPtr c) {
  std::lock_guard<std::mutex> g(m_);
  jobs_.push_back(std::move(c));
  cv_.notify_one();
}

bool ServingPool::has_spare_thread() {
  std::lock_guard<std::mutex> g(m_);
  return jobs_.empty() && idle_ > 0;
}

size_t ServingPool::waiting() {
  std::lock_guard<std::mutex> g(m_);
  return jobs_.size();
}

void ServingPool::shutdown() {
  {
    std::lock_guard<std::mutex> g(m_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto &t : threads_)
    if (t.joinable())
      t.join();
}

void ServingPool::work() {
  for (;;) {
    ConnectionPtr c;
    {
      std::unique_lock<std::mutex> l(m_);
      ++idle_;
      cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty())
        return;
      c = std::move(jobs_.front());
      jobs_.pop_front();
    }
    serve_(std::move(c));
  }
}

} // namespace fifogate
