#pragma once
#include "fifogate/deadline.hpp"
#include "fifogate/unique_fd.hpp"
#include "request_framing.hpp"
#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace fifogate {

// One client connection and what it has sent that no request has used yet.
// It moves between the connection loop (waiting for a complete request) and
// a serving thread (answering it) as a unique_ptr: one owner at a time.
struct Connection {
  explicit Connection(int fd, std::atomic<size_t> *open_count) : sock(fd), open_(open_count) {}
  ~Connection() {
    if (open_)
      open_->fetch_sub(1);
  }
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  UniqueFd sock;
  std::string buf; // bytes read from the socket that no request has used
  int served = 0;  // requests answered on this connection
  // The request at the front of buf, once its head is complete.
  size_t head_length = 0;
  Framing framing;
  Clock::time_point idle_since;    // when it was last handed to the loop
  Clock::time_point request_start; // the request's first byte
  Clock::time_point head_done;     // its head complete: the wait for a worker starts here
  Clock::time_point ready_at;      // handed to a serving thread
  Clock::time_point closing_until; // after a refusal: dropping what still arrives

private:
  std::atomic<size_t> *open_;
};
using ConnectionPtr = std::unique_ptr<Connection>;

// The connection-level limits, from the configuration.
struct EdgeLimits {
  Millis keepalive{5000};       // an idle connection between requests; 0: one request each
  Millis head_timeout{10000};   // a request's whole head, from its first byte
  Millis body_timeout{120000};  // a request's whole body
  int64_t body_min_rate = 1024; // bytes/s a body must keep up once head_timeout has passed
  size_t max_connections = 10000;
  size_t buffered_body = 64 * 1024; // bodies up to this size are read before a thread is used
  // Whether the route reads a body: for any other request the head is enough
  // (its answer comes without waiting for a body it will never read).
  std::function<bool(std::string_view method, std::string_view path)> body_wanted;
};

// What the loop (or a thread that just answered on the connection) does next
// with what it has read: wait for more, hand it to a thread, or refuse it.
struct Readiness {
  enum Kind { more, ready, refuse } kind = more;
  FramingError refusal;
};
// Looks at c.buf: a complete head (and, for a body the loop reads itself, the
// body) makes it ready; sets c.head_length, c.framing and c.head_done.
Readiness assess(Connection &c, const EdgeLimits &limits, Clock::time_point now);

} // namespace fifogate
