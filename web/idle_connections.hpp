#pragma once
#include "fifogate/deadline.hpp"
#include "fifogate/unique_fd.hpp"
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace fifogate {

// Connections with nothing to read: keep-alive ones between two requests,
// and new ones that have not sent their first yet. One thread watches them all
// with epoll, so an idle client holds a file descriptor, not a server thread
// (the server's threads are few, and a parked browser tab must not starve a
// script). When a connection's next request arrives it is handed to `resume`
// (which queues it for a server thread); after `idle` without one it is
// closed (or after the time given to park()), as is everything still parked
// at stop().
class IdleConnections {
public:
  // resume(sock, served): the connection has bytes to read; `served` is what
  // park() was given.
  using Resume = std::function<void(int sock, int served)>;
  IdleConnections(Millis idle, size_t max_parked, Resume resume);
  IdleConnections(const IdleConnections &) = delete;
  IdleConnections &operator=(const IdleConnections &) = delete;
  ~IdleConnections(); // stop()

  // Takes the socket; false (and the socket untouched) when full or stopped.
  // It is closed after `within` (default: the idle time) without a byte.
  bool park(int sock, int served, std::optional<Millis> within = std::nullopt);
  // Closes every parked connection and refuses new ones; resume is not called
  // once this returns.
  void stop();
  size_t parked();

private:
  struct Parked {
    Clock::time_point expires;
    int served;
  };
  void run();
  void drop(int sock); // m_ held: forget, unwatch, close

  const Millis idle_;
  const size_t max_;
  const Resume resume_;
  UniqueFd epoll_, wake_;
  std::mutex m_, stop_m_;
  std::map<int, Parked> parked_;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace fifogate
