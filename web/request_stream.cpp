#include "request_stream.hpp"
#include "fifogate/fd_io.hpp"
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace fifogate {

namespace {

constexpr Millis kIoTimeout(5000); // the client takes nothing / sends nothing this long: given up

void endpoint(int sock, bool remote, std::string &ip, int &port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int r = remote ? ::getpeername(sock, reinterpret_cast<sockaddr *>(&ss), &len)
                 : ::getsockname(sock, reinterpret_cast<sockaddr *>(&ss), &len);
  char host[INET6_ADDRSTRLEN] = {};
  port = 0;
  if (r != 0)
    return;
  if (ss.ss_family == AF_INET) {
    auto *a = reinterpret_cast<sockaddr_in *>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  ip = host;
}

} // namespace

bool client_connected(int sock) {
  char b;
  ssize_t n = ::recv(sock, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0)
    return true;
  if (n == 0)
    return false;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

RequestStream::RequestStream(Connection &c, const EdgeLimits &limits, Millis send_timeout,
                             RequestContext &ctx)
    : c_(c), limits_(limits), send_timeout_(send_timeout), ctx_(ctx) {}

RequestStream::~RequestStream() {
  c_.buf.erase(0, pos_);
}

bool RequestStream::is_readable() const {
  return pos_ < c_.buf.size();
}

Deadline RequestStream::read_deadline() const {
  return Deadline::in(kIoTimeout).earlier(Deadline(c_.head_done + limits_.body_timeout));
}

bool RequestStream::wait_readable() const {
  return is_readable() || poll_one(c_.sock.get(), POLLIN, read_deadline()) > 0;
}

bool RequestStream::wait_writable() const {
  return poll_one(c_.sock.get(), POLLOUT, Deadline::in(kIoTimeout)) > 0;
}

// The body trickles in slower than the minimum rate, once the head's time has
// passed (so a short pause at the start costs nothing).
bool RequestStream::rate_too_low() {
  auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - c_.head_done);
  if (elapsed <= limits_.head_timeout)
    return false;
  auto bytes = static_cast<int64_t>(c_.buf.size() - std::min(c_.buf.size(), c_.head_length));
  return bytes * 1000 < limits_.body_min_rate * elapsed.count();
}

ssize_t RequestStream::read(char *ptr, size_t size) {
  // An answer already decided to leave the body unread (an early refusal):
  // nothing more is read, and the connection ends after the answer.
  if (ctx_.unread_body)
    return -1;
  if (pos_ < c_.buf.size()) {
    size_t n = std::min(size, c_.buf.size() - pos_);
    std::memcpy(ptr, c_.buf.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  for (;;) {
    if (rate_too_low()) {
      ctx_.read_failure = "the body arrived slower than WEB_BODY_MIN_RATE=" +
                          std::to_string(limits_.body_min_rate) + " bytes/s";
      return -1;
    }
    Deadline d = read_deadline();
    int ready = poll_one(c_.sock.get(), POLLIN, d.earlier(Deadline::in(Millis(1000))));
    if (ready < 0)
      return -1;
    if (ready == 0) {
      if (Clock::now() >= c_.head_done + limits_.body_timeout) {
        ctx_.read_failure = "the body did not arrive within WEB_BODY_TIMEOUT_MS=" +
                            std::to_string(limits_.body_timeout.count());
        return -1;
      }
      if (d.expired()) {
        ctx_.read_failure =
            "the client sent nothing for " + std::to_string(kIoTimeout.count()) + " ms";
        return -1;
      }
      continue; // look at the rate again
    }
    char tmp[65536];
    ssize_t n = ::recv(c_.sock.get(), tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        ctx_.read_failure = "the client closed the connection before the end of the body";
      return n;
    }
    // Kept in the connection, so the rate counts every byte of the body and
    // what follows it stays for the next request.
    c_.buf.append(tmp, static_cast<size_t>(n));
    ctx_.read_from_socket = true;
    return read(ptr, size);
  }
}

// cpp-httplib writes an answer's head and a small body in one call, a large
// body in pieces, and takes any count but 0 for success: the whole buffer goes
// out here, or the connection is given up (and closed) once the client takes
// nothing for kIoTimeout, or has not taken the whole answer within
// send_timeout_. A client that reads slowly but steadily gets all of it.
ssize_t RequestStream::write(const char *ptr, size_t size) {
  if (failed_) // httplib may write on after a failed write
    return -1;
  std::string_view data(ptr, size);
  // "100 Continue" goes out as its status line and then an empty line; the
  // answer's time starts at the final answer, after the body was read and
  // the command ran.
  bool interim = data.substr(0, 10) == "HTTP/1.1 1" || (interim_ && data == "\r\n");
  interim_ = data.substr(0, 10) == "HTTP/1.1 1";
  // A streamed answer lasts as long as its command (PROC_TIMEOUT_MS bounds
  // that); only a client that stalls is given up.
  if (!interim && answer_deadline_.at() == Clock::time_point::max() && !ctx_.streaming)
    answer_deadline_ = Deadline::in(send_timeout_);
  size_t sent = 0;
  while (sent < size) {
    ssize_t n = ::send(c_.sock.get(), ptr + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Deadline stall = Deadline::in(kIoTimeout);
      bool whole_answer_limit = answer_deadline_.at() <= stall.at();
      int ready = poll_one(c_.sock.get(), POLLOUT, stall.earlier(answer_deadline_));
      if (ready > 0 && !answer_deadline_.expired())
        continue;
      if (ready < 0)
        return give_up(Error::sys("poll").message(), sent, size);
      if (whole_answer_limit || answer_deadline_.expired())
        return give_up("the client did not take the answer within " +
                           std::to_string(send_timeout_.count()) + " ms",
                       sent, size);
      return give_up("the client took nothing for " + std::to_string(kIoTimeout.count()) + " ms",
                     sent, size);
    }
    return give_up(Error::sys("send").message(), sent, size);
  }
  return static_cast<ssize_t>(size);
}

ssize_t RequestStream::give_up(const std::string &why, size_t sent, size_t size) {
  failed_ = true;
  ctx_.undelivered =
      why + " (" + std::to_string(sent) + " of " + std::to_string(size) + " bytes of a write sent)";
  return -1;
}

void RequestStream::get_remote_ip_and_port(std::string &ip, int &port) const {
  endpoint(c_.sock.get(), true, ip, port);
}
void RequestStream::get_local_ip_and_port(std::string &ip, int &port) const {
  endpoint(c_.sock.get(), false, ip, port);
}

} // namespace fifogate
