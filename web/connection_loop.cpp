#include "connection_loop.hpp"
#include "fifogate/error.hpp"
#include "fifogate/log.hpp"
#include "raw_answer.hpp"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fifogate {

namespace {

constexpr Millis kLinger{1000};     // after a refusal: what still arrives is dropped this long
constexpr Millis kAcceptPause{100}; // out of file descriptors: accepting waits this long
constexpr size_t kReadPerEvent = 256 * 1024; // one connection's share of one wake-up
constexpr int kAcceptPerEvent = 64;

int ms_until(Clock::time_point t, Clock::time_point now) {
  if (t <= now)
    return 0;
  return static_cast<int>(std::chrono::ceil<Millis>(t - now).count());
}

} // namespace

ConnectionLoop::ConnectionLoop(int listen_fd, EdgeLimits limits, Ready ready, Refused refused)
    : listen_fd_(listen_fd), limits_(limits), ready_(std::move(ready)),
      refused_(std::move(refused)), epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  int flags = ::fcntl(listen_fd_, F_GETFL);
  ::fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  ev.data.fd = listen_fd_;
  accept_watched_ = ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_fd_, &ev) == 0;
}

ConnectionLoop::~ConnectionLoop() {
  stop();
}

void ConnectionLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void ConnectionLoop::wake() {
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
  (void)ignored;
}

Clock::time_point ConnectionLoop::idle_deadline(const Connection &c) const {
  // A new connection gets as long for its first request as a request gets
  // for its head.
  return c.idle_since + (c.served > 0 ? limits_.keepalive : limits_.head_timeout);
}

void ConnectionLoop::give_back(ConnectionPtr c) {
  c->idle_since = Clock::now();
  bool act_now = !c->buf.empty() || c->closing_until != Clock::time_point{};
  Clock::time_point due = idle_deadline(*c);
  {
    std::lock_guard<std::mutex> g(m_);
    if (stop_)
      return; // closed here, by c's destructor
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = c->sock.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c->sock.get(), &ev) != 0) {
      log_line("web", "hold connection: epoll_ctl: " + std::string(std::strerror(errno)));
      return; // closed by c's destructor
    }
    returned_.push_back(std::move(c));
  }
  // After the push (seq_cst): either the loop, about to sleep, sees it in
  // returned_, or this sees the loop asleep and wakes it when it must.
  if (act_now || (sleeping_.load() && due.time_since_epoch().count() < wake_at_.load()))
    wake();
}

void ConnectionLoop::take_returned(Clock::time_point now) {
  std::vector<ConnectionPtr> back;
  {
    std::lock_guard<std::mutex> g(m_);
    back.swap(returned_);
  }
  for (auto &c : back)
    hold(std::move(c), now, true);
}

void ConnectionLoop::stop() {
  {
    std::lock_guard<std::mutex> g(m_);
    if (stop_)
      return;
    stop_ = true;
  }
  wake();
  if (thread_.joinable())
    thread_.join();
  held_.clear();
  std::lock_guard<std::mutex> g(m_);
  returned_.clear();
}

void ConnectionLoop::hold(ConnectionPtr c, Clock::time_point now, bool watched) {
  int fd = c->sock.get();
  if (!watched) {
    c->idle_since = now;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      log_line("web", "hold connection: epoll_ctl: " + std::string(std::strerror(errno)));
      return; // closed by c's destructor
    }
  }
  held_[fd] = std::move(c);
  if (!held_[fd]->buf.empty())
    advance(fd, now); // a pipelined request, already read
}

void ConnectionLoop::drop(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  held_.erase(fd); // closes it
}

void ConnectionLoop::refuse(int fd, int status, const std::string &reason, Clock::time_point now) {
  auto &c = held_[fd];
  RequestId id = RequestId::random();
  send_raw_answer(fd, status, reason, id);
  refused_(status, reason, id);
  // Unread bytes at close would reset the connection, and with it the answer
  // the client has not read yet: drop them for a moment first.
  ::shutdown(fd, SHUT_WR);
  c->buf.clear();
  c->closing_until = now + kLinger;
}

void ConnectionLoop::advance(int fd, Clock::time_point now) {
  auto &c = held_[fd];
  Readiness r = assess(*c, limits_, now);
  if (r.kind == Readiness::refuse)
    return refuse(fd, r.refusal.status, r.refusal.reason, now);
  if (r.kind == Readiness::more)
    return;
  c->ready_at = now;
  ConnectionPtr ready = std::move(c);
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  held_.erase(fd);
  ready_(std::move(ready));
}

void ConnectionLoop::on_readable(int fd, Clock::time_point now) {
  auto it = held_.find(fd);
  if (it == held_.end())
    return;
  Connection &c = *it->second;
  char buf[16384];
  size_t got = 0;
  while (got < kReadPerEvent) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      got += static_cast<size_t>(n);
      if (c.closing_until != Clock::time_point{})
        continue; // a refused connection: dropped
      if (c.buf.empty() && c.head_length == 0)
        c.request_start = now;
      c.buf.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf)
        break;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    // End of file or an error. A request complete before it still gets its
    // answer when the client only closed its sending side.
    if (n == 0 && c.closing_until == Clock::time_point{} && !c.buf.empty()) {
      advance(fd, now);
      if (held_.count(fd) == 0)
        return;
    }
    return drop(fd);
  }
  if (c.closing_until == Clock::time_point{})
    advance(fd, now);
}

void ConnectionLoop::accept_all(Clock::time_point now) {
  for (int i = 0; i < kAcceptPerEvent; ++i) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // No descriptor for it: stop looking at the listener for a moment
        // rather than spin; the kernel keeps the connection in its backlog.
        log_line("web", "accept: " + errno_name(errno) + ": accepting again in " +
                            std::to_string(kAcceptPause.count()) + " ms");
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_watched_ = false;
        accept_paused_until_ = now + kAcceptPause;
      }
      return; // EAGAIN: nothing more to accept
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>(fd, &open_);
    if (open_.fetch_add(1) >= limits_.max_connections) {
      RequestId id = RequestId::random();
      std::string reason = "too many connections open (WEB_MAX_CONNECTIONS=" +
                           std::to_string(limits_.max_connections) + ")";
      send_raw_answer(fd, 503, reason, id);
      refused_(503, reason, id);
      continue; // closed by c's destructor
    }
    hold(std::move(c), now);
  }
}

int ConnectionLoop::expire(Clock::time_point now) {
  int next = 1000;
  for (auto it = held_.begin(); it != held_.end();) {
    int fd = it->first;
    Connection &c = *it->second;
    ++it; // drop() and refuse() keep other iterators valid
    Clock::time_point deadline;
    int status = 0;
    std::string reason;
    if (c.closing_until != Clock::time_point{}) {
      deadline = c.closing_until;
    } else if (c.buf.empty() && c.head_length == 0) {
      deadline = idle_deadline(c);
    } else if (c.head_length == 0) {
      deadline = c.request_start + limits_.head_timeout;
      status = 408;
      reason = "the request head did not arrive within WEB_HEAD_TIMEOUT_MS=" +
               std::to_string(limits_.head_timeout.count());
    } else {
      deadline = c.head_done + limits_.body_timeout;
      status = 408;
      reason = "the body did not arrive within WEB_BODY_TIMEOUT_MS=" +
               std::to_string(limits_.body_timeout.count());
      auto elapsed = std::chrono::duration_cast<Millis>(now - c.head_done);
      if (elapsed > limits_.head_timeout) {
        auto bytes = static_cast<int64_t>(c.buf.size() - c.head_length);
        if (bytes * 1000 < limits_.body_min_rate * elapsed.count()) {
          deadline = now;
          reason = "the body arrived slower than WEB_BODY_MIN_RATE=" +
                   std::to_string(limits_.body_min_rate) + " bytes/s";
        } else {
          next = std::min(next, 250); // look at the rate again soon
        }
      } else {
        next = std::min(next, ms_until(c.head_done + limits_.head_timeout, now) + 1);
      }
    }
    if (deadline > now) {
      next = std::min(next, ms_until(deadline, now));
      continue;
    }
    if (status == 0 || c.closing_until != Clock::time_point{})
      drop(fd);
    else
      refuse(fd, status, reason, now);
  }
  return std::max(next, 1);
}

void ConnectionLoop::run() {
  epoll_event events[256];
  for (;;) {
    auto now = Clock::now();
    {
      std::lock_guard<std::mutex> g(m_);
      if (stop_)
        return;
    }
    take_returned(now);
    if (!accept_watched_ && now >= accept_paused_until_) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd_;
      accept_watched_ = ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listen_fd_, &ev) == 0;
    }
    int timeout = expire(now);
    if (!accept_watched_)
      timeout = std::min(timeout, ms_until(accept_paused_until_, now) + 1);
    wake_at_.store((now + Millis(timeout)).time_since_epoch().count());
    sleeping_.store(true);
    {
      std::lock_guard<std::mutex> g(m_);
      if (!returned_.empty() || stop_)
        timeout = 0;
    }
    int n = ::epoll_wait(epoll_.get(), events, 256, timeout);
    sleeping_.store(false);
    // A connection given back meanwhile is watched already: held before its
    // events are looked at.
    take_returned(Clock::now());
    if (n < 0 && errno != EINTR) {
      log_line("web", std::string("connection loop: epoll_wait: ") + std::strerror(errno));
      std::this_thread::sleep_for(Millis(10));
      continue;
    }
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_.get()) {
        uint64_t v;
        ssize_t ignored = ::read(fd, &v, sizeof v);
        (void)ignored;
      } else if (fd == listen_fd_) {
        accept_all(now);
      } else {
        on_readable(fd, now);
      }
    }
  }
}

} // namespace fifogate
