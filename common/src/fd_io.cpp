#include "fifogate/fd_io.hpp"
#include <climits>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace fifogate {

ReadResult read_some(int fd, char *buf, size_t len) {
  for (;;) {
    ssize_t n = ::read(fd, buf, len);
    if (n > 0)
      return {ReadKind::data, static_cast<size_t>(n), 0};
    if (n == 0)
      return {ReadKind::eof, 0, 0};
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return {ReadKind::would_block, 0, 0};
    return {ReadKind::error, 0, errno};
  }
}

int poll_one(int fd, short events, const Deadline &deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, deadline.poll_timeout_ms());
    if (r > 0)
      return p.revents;
    if (r == 0)
      return 0;
    if (errno != EINTR)
      return -1;
  }
}

int poll_one(int fd, short events, const Deadline &deadline, int stop_fd) {
  if (stop_fd < 0)
    return poll_one(fd, events, deadline);
  for (;;) {
    pollfd p[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int r = ::poll(p, 2, deadline.poll_timeout_ms());
    if (r > 0 && p[1].revents)
      return kStopRequested;
    if (r > 0)
      return p[0].revents;
    if (r == 0)
      return 0;
    if (errno != EINTR)
      return -1;
  }
}

std::optional<std::string> read_line(int fd, const Deadline &deadline, int stop_fd, size_t max) {
  std::string got;
  char buf[4096];
  while (got.find('\n') == std::string::npos && got.size() < max) {
    if (poll_one(fd, POLLIN, deadline, stop_fd) <= 0)
      return std::nullopt;
    auto r = read_some(fd, buf, sizeof buf);
    if (r.kind == ReadKind::data)
      got.append(buf, r.bytes);
    else if (r.kind == ReadKind::eof && !got.empty())
      break;
    else if (r.kind != ReadKind::would_block)
      return std::nullopt;
  }
  return got;
}

Result<void> set_nonblocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0)
    return Error::sys("fcntl F_GETFL");
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && ::fcntl(fd, F_SETFL, want) < 0)
    return Error::sys("fcntl F_SETFL");
  return {};
}

static Result<void> wait_writable(int fd, const Deadline &deadline, const std::string &what) {
  int rev = poll_one(fd, POLLOUT, deadline);
  if (rev < 0)
    return Error::sys("poll " + what);
  if (rev == 0)
    return Error::sys(what, ETIMEDOUT, "deadline passed");
  if (rev & POLLERR)
    return Error::sys(what, EPIPE, "reader went away");
  return {};
}

Result<void> write_all(int fd, std::string_view data, const Deadline &deadline,
                       const std::string &what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto r = wait_writable(fd, deadline, what); !r)
        return r;
      continue;
    }
    return Error::sys(what);
  }
  return {};
}

Result<void> write_atomic(int fd, std::string_view record, const Deadline &deadline,
                          const std::string &what) {
  if (record.size() > PIPE_BUF)
    return Error::logic(what + ": record of " + std::to_string(record.size()) +
                        " bytes exceeds PIPE_BUF");
  for (;;) {
    ssize_t n = ::write(fd, record.data(), record.size());
    if (n == static_cast<ssize_t>(record.size()))
      return {};
    if (n >= 0) // cannot happen for <= PIPE_BUF on a pipe; refuse to continue mid-record
      return Error::logic(what + ": short write on a record");
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto r = wait_writable(fd, deadline, what); !r)
        return r;
      continue;
    }
    return Error::sys(what);
  }
}

} // namespace fifogate
