#include "idle_connections.hpp"
#include "fifogate/log.hpp"
#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fifogate {

IdleConnections::IdleConnections(Millis idle, size_t max_parked, Resume resume)
    : idle_(idle), max_(max_parked), resume_(std::move(resume)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!epoll_ || !wake_) {
    // Without them nothing is ever parked: every connection serves one request.
    log_line("web", std::string("keep-alive off: epoll/eventfd: ") + std::strerror(errno));
    stop_ = true;
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev);
  thread_ = std::thread([this] { run(); });
}

IdleConnections::~IdleConnections() {
  stop();
}

bool IdleConnections::park(int sock, int served, std::optional<Millis> within) {
  std::lock_guard<std::mutex> g(m_);
  if (stop_ || parked_.size() >= max_)
    return false;
  epoll_event ev{};
  // One-shot: the first event hands the socket on and nothing fires again.
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.fd = sock;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sock, &ev) != 0)
    return false;
  parked_[sock] = Parked{Clock::now() + within.value_or(idle_), served};
  // No need to wake the watcher: it looks at the expiries at least every
  // min(1 s, idle), and an expiry served that much late costs nothing.
  return true;
}

void IdleConnections::drop(int sock) {
  parked_.erase(sock);
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, sock, nullptr);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

size_t IdleConnections::parked() {
  std::lock_guard<std::mutex> g(m_);
  return parked_.size();
}

void IdleConnections::stop() {
  std::lock_guard<std::mutex> one_at_a_time(stop_m_); // two stoppers, one join
  {
    std::lock_guard<std::mutex> g(m_);
    if (stop_ && !thread_.joinable())
      return;
    stop_ = true;
  }
  if (wake_) {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
    (void)ignored;
  }
  if (thread_.joinable())
    thread_.join();
  std::lock_guard<std::mutex> g(m_);
  while (!parked_.empty())
    drop(parked_.begin()->first);
}

void IdleConnections::run() {
  epoll_event events[64];
  for (;;) {
    int timeout_ms = static_cast<int>(std::min<int64_t>(1000, idle_.count()));
    {
      std::lock_guard<std::mutex> g(m_);
      if (stop_)
        return;
      auto now = Clock::now();
      for (auto it = parked_.begin(); it != parked_.end();) {
        int sock = it->first;
        auto expires = it->second.expires;
        ++it; // drop() erases
        if (expires <= now)
          drop(sock);
        else
          timeout_ms = std::min<int>(
              timeout_ms, static_cast<int>(std::chrono::ceil<Millis>(expires - now).count()));
      }
    }
    int n = ::epoll_wait(epoll_.get(), events, 64, timeout_ms);
    if (n < 0 && errno != EINTR) {
      log_line("web", std::string("keep-alive watcher: epoll_wait: ") + std::strerror(errno));
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
      return; // stop() closes what is parked
    }
    for (int i = 0; i < n; ++i) {
      int sock = events[i].data.fd;
      if (sock == wake_.get())
        continue; // stop_ is checked at the top
      int served = 0;
      bool readable = (events[i].events & EPOLLIN) != 0;
      {
        std::lock_guard<std::mutex> g(m_);
        auto it = parked_.find(sock);
        if (it == parked_.end())
          continue;
        if (stop_)
          break;
        served = it->second.served;
        if (!readable) {
          drop(sock); // hung up or failed with nothing to read
          continue;
        }
        parked_.erase(it);
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, sock, nullptr);
      }
      // Bytes (or bytes then a hang-up) arrived: a request to serve.
      resume_(sock, served);
    }
  }
}

} // namespace fifogate
