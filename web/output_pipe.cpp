#include "output_pipe.hpp"

namespace fifogate {

bool OutputPipe::put(std::string_view bytes, const Deadline &deadline, bool &gone) {
  std::unique_lock<std::mutex> l(m_);
  // One record more than the capacity may be held: a put never waits for a
  // consumer to take less than the whole of it.
  bool room = cv_.wait_until(l, deadline.at(), [&] { return closed_ || held_.size() < capacity_; });
  gone = closed_;
  if (!room || closed_)
    return false;
  held_.append(bytes);
  cv_.notify_all();
  return true;
}

void OutputPipe::finish(ExchangeResult r) {
  std::lock_guard<std::mutex> g(m_);
  result_ = std::move(r);
  cv_.notify_all();
}

OutputPipe::Take OutputPipe::take(std::string &out, const Deadline &until) {
  std::unique_lock<std::mutex> l(m_);
  cv_.wait_until(l, until.at(), [&] { return !held_.empty() || result_.has_value(); });
  if (!held_.empty()) {
    out.append(held_);
    held_.clear();
    cv_.notify_all();
    return Take::bytes;
  }
  return result_ ? Take::end : Take::nothing;
}

void OutputPipe::wait_for_output(const Deadline &until) {
  std::unique_lock<std::mutex> l(m_);
  cv_.wait_until(l, until.at(), [&] { return !held_.empty() || result_.has_value(); });
}

void OutputPipe::wait_for_end(const Deadline &until) {
  std::unique_lock<std::mutex> l(m_);
  cv_.wait_until(l, until.at(), [&] { return result_.has_value(); });
}

bool OutputPipe::has_bytes() const {
  std::lock_guard<std::mutex> g(m_);
  return !held_.empty();
}

bool OutputPipe::ended() const {
  std::lock_guard<std::mutex> g(m_);
  return result_.has_value();
}

bool OutputPipe::closed() const {
  std::lock_guard<std::mutex> g(m_);
  return closed_;
}

void OutputPipe::close() {
  std::lock_guard<std::mutex> g(m_);
  closed_ = true;
  cv_.notify_all();
}

} // namespace fifogate
