#pragma once
#include "connection.hpp"
#include "fifogate/request_id.hpp"
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace fifogate {

// The one thread that accepts connections and holds every connection that has
// not yet delivered a whole request: new ones, keep-alive ones between two
// requests, and slow ones trickling a head or a small body. A server thread
// is used only once a request is complete (or its body is too large to hold
// here), so slow clients cost a file descriptor and their bytes, never a
// thread. Heads and bodies arrive under the EdgeLimits' deadlines and rate, or
// the connection is answered 408 and closed; framing that RFC 9112 rejects is
// answered (400, 431, 501) and the connection closed, here, without a thread.
class ConnectionLoop {
public:
  using Ready = std::function<void(ConnectionPtr)>;
  // A refusal answered here, for the access log and the metrics.
  using Refused = std::function<void(int status, const std::string &reason, const RequestId &id)>;

  // Takes the listening socket (it is made non-blocking).
  ConnectionLoop(int listen_fd, EdgeLimits limits, Ready ready, Refused refused);
  ConnectionLoop(const ConnectionLoop &) = delete;
  ConnectionLoop &operator=(const ConnectionLoop &) = delete;
  ~ConnectionLoop(); // stop()

  void start();
  // A connection whose answer went out and that stays open: back to waiting.
  // From any thread. Closed at once when the loop has stopped. The caller
  // watches its socket itself, so the loop is woken only when it must act
  // before its next event (bytes already read, a deadline sooner than its
  // planned wake): under load, a request costs the loop one wake-up, not two.
  void give_back(ConnectionPtr c);
  // Stops accepting, closes every held connection; ready is not called once
  // this returns.
  void stop();
  // Connections open now: held here, queued or being served.
  size_t open() const { return open_.load(); }

private:
  void run();
  void accept_all(Clock::time_point now);
  void hold(ConnectionPtr c, Clock::time_point now, bool watched = false); // loop thread
  void take_returned(Clock::time_point now);                               // loop thread
  void wake();
  Clock::time_point idle_deadline(const Connection &c) const;
  void on_readable(int fd, Clock::time_point now);
  void advance(int fd, Clock::time_point now);
  void refuse(int fd, int status, const std::string &reason, Clock::time_point now);
  void drop(int fd);
  int expire(Clock::time_point now); // returns ms until the next deadline

  const int listen_fd_;
  const EdgeLimits limits_;
  const Ready ready_;
  const Refused refused_;
  UniqueFd epoll_, wake_;
  std::map<int, ConnectionPtr> held_;
  std::atomic<size_t> open_{0};
  Clock::time_point accept_paused_until_{};
  bool accept_watched_ = false;

  std::mutex m_; // guards what other threads hand over
  std::vector<ConnectionPtr> returned_;
  bool stop_ = false;
  // While the loop waits for events: true, and when it plans to wake on its
  // own (a deadline), in steady-clock ticks.
  std::atomic<bool> sleeping_{false};
  std::atomic<Clock::rep> wake_at_{0};
  std::thread thread_;
};

} // namespace fifogate
