#include "reader_threads.hpp"

namespace fifogate {

void ReaderThreads::loop(Slot &s) {
  std::unique_lock<std::mutex> l(s.m);
  for (;;) {
    s.cv.wait(l, [&] { return s.stop || s.task; });
    if (s.task) {
      auto task = std::move(s.task);
      s.task = nullptr;
      l.unlock();
      task();
      task = nullptr; // its captures go before the waiter is told
      l.lock();
      s.done = true;
      // Told after unlocking, or the waiter wakes only to block on the mutex.
      // The slot outlives this call: it is freed only after this thread is joined.
      l.unlock();
      s.cv.notify_all();
      l.lock();
      continue;
    }
    return; // stop, and nothing left to run
  }
}

ReaderThreads::Running ReaderThreads::start(std::function<void()> task) {
  Slot *s = nullptr;
  {
    std::lock_guard<std::mutex> g(m_);
    if (!idle_.empty()) {
      s = idle_.back();
      idle_.pop_back();
    } else {
      auto fresh = std::make_unique<Slot>();
      fresh->thread = std::thread(loop, std::ref(*fresh)); // may throw: nothing kept then
      s = fresh.get();
      all_.push_back(std::move(fresh));
    }
  }
  {
    std::lock_guard<std::mutex> g(s->m);
    s->done = false;
    s->task = std::move(task);
  }
  s->cv.notify_all();
  return Running(*this, s);
}

void ReaderThreads::Running::wait() {
  if (!slot_)
    return;
  {
    std::unique_lock<std::mutex> l(slot_->m);
    slot_->cv.wait(l, [&] { return slot_->done; });
  }
  owner_->give_back(std::exchange(slot_, nullptr));
}

void ReaderThreads::give_back(Slot *s) {
  std::lock_guard<std::mutex> g(m_);
  idle_.push_back(s);
}

size_t ReaderThreads::threads() {
  std::lock_guard<std::mutex> g(m_);
  return all_.size();
}

ReaderThreads::~ReaderThreads() {
  for (auto &s : all_) {
    {
      std::lock_guard<std::mutex> g(s->m);
      s->stop = true;
    }
    s->cv.notify_all();
    s->thread.join();
  }
}

} // namespace fifogate
