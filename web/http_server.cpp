#include "http_server.hpp"
#include "check_request.hpp"
#include "dispatcher.hpp"
#include "exchange.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/log.hpp"
#include "http_status.hpp"
#include "idle_connections.hpp"
#include "ispell_matches.hpp"
#include "json_answers.hpp"
#include "languages.hpp"
#include "metrics.hpp"
#include "worker_info.hpp"
#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <httplib.h>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>

extern const char *const fifogate_index_html;

namespace fifogate {

namespace {

// Bounds checked before httplib parses a byte (0.11.4 accepts any number of headers).
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxHeaderLines = 100;
constexpr Millis kHeadTimeout(10000);  // the whole request line and headers
constexpr Millis kIoTimeout(5000);     // each read or write on the socket
constexpr Millis kBodyTimeout(120000); // the whole body, however it trickles in
constexpr Millis kLingerTimeout(1000); // draining an unread body before closing

thread_local bool t_overloaded = false;   // set while the acceptor rejects a connection
thread_local bool t_unread_body = false;  // the response went out before the body was read
thread_local bool t_body_follows = false; // the response head is followed by a body
thread_local bool t_final_head = false;   // the next write is the answer's head (not a 100)
thread_local bool t_routed = false;       // httplib got as far as routing (and our pre-routing)

// One request's facts for its access-log line, filled in while it is served
// (a connection carries one request, on one thread, start to end).
struct Access {
  Clock::time_point start;
  RequestId id;
  int64_t bytes_in = 0;
  std::string extra;       // " outcome=ok exit=0 worker=..." and the like
  std::string reason;      // why it failed, for statuses >= 400
  std::string undelivered; // why the answer did not reach the client whole
};
thread_local Access t_access;

void say(const std::string &m) {
  log_line("web", m);
}

// A socket stream with per-call timeouts and one budget for the whole request,
// so a client trickling a byte every few seconds cannot hold a thread forever.
class GuardedStream : public httplib::Stream {
public:
  GuardedStream(int sock, Millis send_timeout)
      : sock_(sock), budget_(Deadline::in(kHeadTimeout + kBodyTimeout)),
        send_timeout_(send_timeout) {}

  bool is_readable() const override {
    return pos_ < len_ || poll_one(sock_, POLLIN, io_deadline()) > 0;
  }
  bool is_writable() const override {
    return poll_one(sock_, POLLOUT, Deadline::in(kIoTimeout)) > 0;
  }
  ssize_t read(char *ptr, size_t size) override {
    if (pos_ < len_) {
      size_t n = std::min(size, len_ - pos_);
      std::memcpy(ptr, buf_ + pos_, n);
      pos_ += n;
      return static_cast<ssize_t>(n);
    }
    if (poll_one(sock_, POLLIN, io_deadline()) <= 0)
      return -1;
    if (size >= sizeof buf_)
      return recv_some(ptr, size);
    ssize_t n = recv_some(buf_, sizeof buf_);
    if (n <= 0)
      return n;
    len_ = static_cast<size_t>(n);
    pos_ = 0;
    return read(ptr, size);
  }
  // httplib sends the head and the body with one call each and takes any
  // count but 0 for success: the whole buffer goes out here, or the
  // connection is given up (and closed) once the client takes nothing for
  // kIoTimeout, or has not taken the whole answer within send_timeout_. A
  // client that reads slowly but steadily gets all of it within that.
  ssize_t write(const char *ptr, size_t size) override {
    if (failed_) // httplib writes the body even when the head failed
      return -1;
    // httplib writes the head and the body separately: the head is held
    // back (MSG_MORE) so both leave in one segment, one wake-up of the client.
    // The answer's time starts at its head, not at a "100 Continue" that
    // went out before the body was read and the command ran.
    bool head = false;
    if (t_final_head) {
      t_final_head = false;
      head = t_body_follows;
      answer_deadline_ = Deadline::in(send_timeout_);
    }
    held_ = false;
    size_t sent = 0;
    while (sent < size) {
      ssize_t n = ::send(sock_, ptr + sent, size - sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT | (head ? MSG_MORE : 0));
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Deadline stall = Deadline::in(kIoTimeout);
        bool whole_answer_limit = answer_deadline_.at() <= stall.at();
        int ready = poll_one(sock_, POLLOUT, stall.earlier(answer_deadline_));
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
    held_ = head;
    return static_cast<ssize_t>(size);
  }
  // A write failed: the rest of this answer will never arrive whole.
  bool failed() const { return failed_; }
  // Sends what MSG_MORE held back, if no write followed it.
  void push() {
    if (!held_)
      return;
    int one = 1;
    ::setsockopt(sock_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // pushes pending data
    held_ = false;
  }
  void get_remote_ip_and_port(std::string &ip, int &port) const override {
    endpoint(true, ip, port);
  }
  void get_local_ip_and_port(std::string &ip, int &port) const override {
    endpoint(false, ip, port);
  }
  socket_t socket() const override { return sock_; }

private:
  Deadline io_deadline() const { return Deadline::in(kIoTimeout).earlier(budget_); }
  ssize_t recv_some(char *p, size_t n) {
    for (;;) {
      ssize_t r = ::recv(sock_, p, n, 0);
      if (r < 0 && errno == EINTR)
        continue;
      return r;
    }
  }
  void endpoint(bool remote, std::string &ip, int &port) const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int r = remote ? ::getpeername(sock_, reinterpret_cast<sockaddr *>(&ss), &len)
                   : ::getsockname(sock_, reinterpret_cast<sockaddr *>(&ss), &len);
    char host[64] = {};
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

  int sock_;
  Deadline budget_;
  Millis send_timeout_;
  Deadline answer_deadline_ = Deadline::never(); // set when the answer's head goes out

public:
  // Bytes read from the socket that no request has used (pipelining).
  bool buffered() const { return pos_ < len_; }

private:
  char buf_[4096];
  size_t pos_ = 0, len_ = 0;
  ssize_t give_up(const std::string &why, size_t sent, size_t size) {
    failed_ = true;
    t_access.undelivered = why + " (" + std::to_string(sent) + " of " + std::to_string(size) +
                           " bytes of a write sent)";
    return -1;
  }

  bool held_ = false;   // the last write was held back by MSG_MORE
  bool failed_ = false; // a write gave up: the connection must end
};

// An answer written before httplib has parsed anything; it still carries the
// request id its log line shows.
void send_raw(int sock, int status, const char *reason, const std::string &body,
              const RequestId &id) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n" +
                  "X-Request-Id: " + id.hex() + "\r\n";
  if (status == 503)
    r += "Retry-After: 1\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ssize_t ignored = ::send(sock, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

// Reads and drops what the client still sends, briefly, so closing the socket
// does not reset the connection before the client has read our answer.
void linger_close(int sock) {
  ::shutdown(sock, SHUT_WR);
  Deadline d = Deadline::in(kLingerTimeout);
  char buf[65536];
  while (poll_one(sock, POLLIN, d) > 0) {
    ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    if (n <= 0)
      break;
  }
}

// Waits for the request head and checks its size and header count with
// MSG_PEEK, leaving the bytes for httplib. 0 = fine, else an HTTP status.
int check_request_head(int sock) {
  Deadline d = Deadline::in(kHeadTimeout);
  static thread_local std::string buf;
  buf.resize(kMaxHeadBytes + 1);
  for (;;) {
    ssize_t n = ::recv(sock, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
      return -1; // closed before sending a request
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return -1;
      if (poll_one(sock, POLLIN, d) <= 0)
        return -1;
      continue;
    }
    std::string_view head(buf.data(), static_cast<size_t>(n));
    size_t end = head.find("\r\n\r\n");
    if (end == std::string_view::npos)
      end = head.find("\n\n");
    if (end != std::string_view::npos) {
      size_t lines = static_cast<size_t>(
          std::count(head.begin(), head.begin() + static_cast<long>(end), '\n'));
      return lines > kMaxHeaderLines ? 431 : 0;
    }
    if (static_cast<size_t>(n) > kMaxHeadBytes)
      return 431;
    if (d.expired())
      return -1;
    // Part of the head is here; poll would report it again at once, so wait a little.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

class GuardedServer : public httplib::Server {
public:
  // Called for answers sent before httplib saw the request (431, overload 503),
  // so they are logged and counted like every other answer.
  std::function<void(int status, const std::string &reason, const RequestId &id)> on_refused;

  // Keeps connections open between requests (HTTP/1.1 keep-alive): an idle
  // one is parked with the watcher, not on a thread. Call before listening.
  void enable_keep_alive(Millis idle) {
    set_keep_alive_max_count(kMaxRequestsPerConnection);
    set_keep_alive_timeout(std::max<time_t>(1, static_cast<time_t>(idle.count() / 1000)));
    idle_ = std::make_unique<IdleConnections>(idle, max_parked(), [this](int sock, int served) {
      // The queue answers 503 itself when full, like for a new connection.
      queue_->enqueue([this, sock, served] { serve(sock, served); });
    });
  }
  // The queue that resumed connections go back to (httplib owns it), and
  // whether it has a thread to spare right now.
  void use_queue(httplib::TaskQueue *q, std::function<bool()> spare_thread) {
    queue_ = q;
    spare_thread_ = std::move(spare_thread);
  }
  // Answers in flight say "Connection: close", parked connections are closed.
  void stop_keep_alive() {
    stopping_ = true;
    if (idle_)
      idle_->stop();
  }
  size_t idle_connections() { return idle_ ? idle_->parked() : 0; }
  // How long a client may take to receive a whole answer.
  void set_send_timeout(Millis t) { send_timeout_ = t; }

private:
  static constexpr int kMaxRequestsPerConnection = 1000;
  static constexpr size_t kMaxParked = 1000;
  // Parked connections hold file descriptors: at most a quarter of what the
  // process may open, so FIFOs, locks and new connections always have room.
  static size_t max_parked() {
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
      return kMaxParked;
    return std::clamp<size_t>(static_cast<size_t>(rl.rlim_cur / 4), 16, kMaxParked);
  }
  static constexpr Millis kKeepAliveLinger{5};
  Millis send_timeout_{Config{}.send_timeout_ms};

  bool process_and_close_socket(socket_t sock) override {
    if (idle_) {
      // Answers go out in two writes (head, body); without this the second
      // waits for the client's delayed ACK on a connection that stays open.
      int one = 1;
      ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return serve(sock, 0);
  }

  // Requests on one connection, `served` of them already answered. Returns
  // when the connection is closed or parked.
  bool serve(int sock, int served) {
    if (t_overloaded) {
      // On the acceptor (or watcher) thread, for a new or a resumed
      // connection: answer and close at once, no lingering here.
      RequestId id = RequestId::random();
      send_raw(sock, 503, "Service Unavailable", "fifogate: too many connections waiting\n", id);
      ::shutdown(sock, SHUT_WR);
      ::close(sock);
      if (on_refused)
        on_refused(503, "too many connections waiting (WEB_QUEUE)", id);
      return true;
    }
    // A new connection that has sent nothing yet (a browser's pre-connect, a
    // client still thinking) waits with the watcher, not on a server thread.
    // It gets as long to start as a request gets for its whole head. (A
    // client's first bytes usually follow its connect at once: a moment's
    // wait spares them the detour through the watcher.)
    if (served == 0 && idle_ && !stopping_ &&
        poll_one(sock, POLLIN, Deadline::in(kKeepAliveLinger)) == 0 &&
        idle_->park(sock, 0, kHeadTimeout))
      return true;
    bool ok = false;
    for (;;) {
      int head = check_request_head(sock);
      if (head == 431) {
        RequestId id = RequestId::random();
        send_raw(sock, 431, "Request Header Fields Too Large",
                 "fifogate: request head over 64 KiB or 100 header lines\n", id);
        if (on_refused)
          on_refused(431, "request head over 64 KiB or 100 header lines", id);
        linger_close(sock);
        ::close(sock);
        return ok;
      }
      if (head != 0) { // closed, or no complete head in time
        ::close(sock);
        return ok;
      }
      GuardedStream strm(sock, send_timeout_);
      bool closed = false;
      bool last = !idle_ || stopping_ || served + 1 >= kMaxRequestsPerConnection;
      t_unread_body = false;
      t_body_follows = false;
      t_final_head = false;
      t_routed = false;
      t_access = Access{Clock::now(), RequestId::random(), 0, {}, {}, {}};
      ok = process_request(strm, last, closed, nullptr);
      strm.push();
      ++served;
      // A pipelined request already read into the stream's buffer would be
      // lost with it: close instead (the client sends it again).
      if (!ok || closed || last || stopping_ || strm.buffered() || t_unread_body || strm.failed()) {
        // Unread bytes at close would reset the connection, and with it the
        // answer the client has not read yet: drain them first.
        if (t_unread_body || strm.buffered())
          linger_close(sock);
        else
          ::shutdown(sock, SHUT_RDWR);
        ::close(sock);
        return ok;
      }
      // A client that sends its next request at once (a script in a loop)
      // is served on this thread, without the detour through the watcher;
      // but only while no other connection could use the thread.
      Millis linger = spare_thread_() ? kKeepAliveLinger : Millis(0);
      if (poll_one(sock, POLLIN, Deadline::in(linger)) > 0)
        continue;
      if (idle_->park(sock, served))
        return ok;
      ::shutdown(sock, SHUT_RDWR); // too many parked: this one ends here
      ::close(sock);
      return ok;
    }
  }

  std::unique_ptr<IdleConnections> idle_;
  httplib::TaskQueue *queue_ = nullptr;
  std::function<bool()> spare_thread_;
  std::atomic<bool> stopping_{false};
};

// httplib's pool with a bound on waiting connections: past it, the acceptor
// answers 503 itself instead of queueing without limit.
class BoundedPool : public httplib::TaskQueue {
public:
  BoundedPool(size_t threads, size_t max_waiting) : max_waiting_(max_waiting) {
    for (size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this] { work(); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> g(m_);
      if (jobs_.size() < max_waiting_ || idle_ > jobs_.size()) {
        jobs_.push_back(std::move(fn));
        cv_.notify_one();
        return;
      }
    }
    t_overloaded = true; // runs on the acceptor thread: writes a canned 503 and closes
    fn();
    t_overloaded = false;
  }
  // A thread is idle and no connection is waiting for one.
  bool has_spare_thread() {
    std::lock_guard<std::mutex> g(m_);
    return jobs_.empty() && idle_ > 0;
  }
  // Runs first in shutdown(): nothing may be queued once the threads go.
  std::function<void()> before_shutdown;
  void shutdown() override {
    if (before_shutdown)
      before_shutdown();
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto &t : threads_)
      t.join();
  }

private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> l(m_);
        ++idle_;
        cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty())
          return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      fn();
    }
  }
  size_t max_waiting_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stop_ = false;
};

// Every answer is whole and as it is: httplib would cut an answer to the
// requested Range (a 10-byte aspell answer, still marked 200; RFC 9110 lets a
// server ignore Range) and compress it for an Accept-Encoding (brotli took
// 5 s for 2.6 MB, on a server thread and before any send deadline starts).
// Called by every hook that can be the last before the answer is written.
// The Request is httplib's own non-const object, handed to hooks as const.
void answer_whole(const httplib::Request &creq) {
  auto &req = const_cast<httplib::Request &>(creq);
  req.ranges.clear();
  req.headers.erase("Accept-Encoding");
}

// The methods whose body httplib 0.11.4 reads (its expect_content).
bool httplib_reads_body(const httplib::Request &req) {
  return req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
         req.method == "DELETE" || req.method == "PRI";
}

bool wants_json(const httplib::Request &req) {
  return req.get_header_value("Accept").find("application/json") != std::string::npos;
}

// For the log: a path or message cannot forge a second line or a quote.
std::string printable(std::string_view s) {
  constexpr size_t kMax = 200;
  std::string out;
  for (char c : s.substr(0, kMax))
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c == '"' ? '\'' : c;
  return s.size() > kMax ? out + "..." : out;
}

std::string human_size(int64_t n) {
  if (n < 10 * 1024)
    return std::to_string(n) + "B";
  if (n < 10 * 1024 * 1024)
    return std::to_string(n / 1024) + "KB";
  return std::to_string(n / (1024 * 1024)) + "MB";
}

} // namespace

struct WebServer::Impl {
  Config cfg;
  ReaderThreads readers; // outlives the server's own threads, which use it
  GuardedServer svr;
  std::unique_ptr<Dispatcher> dispatcher;
  Metrics metrics;
  int port = -1;

  void text_error(httplib::Response &res, int status, const std::string &msg) {
    res.status = status;
    res.set_content("fifogate: " + msg + "\n", "text/plain; charset=utf-8");
    if (t_access.reason.empty())
      t_access.reason = msg;
  }

  void json_error(httplib::Response &res, int status, const std::string &msg) {
    res.status = status;
    res.set_content(dump({{"request_id", t_access.id.hex()}, {"status", status}, {"error", msg}}),
                    "application/json");
    if (status == 503)
      res.set_header("Retry-After", "1");
    if (t_access.reason.empty())
      t_access.reason = msg;
  }

  // The worker's facts for the access-log line.
  void note_exchange(const ExchangeResult &r, const HttpVerdict &v, const std::string &lang) {
    auto &a = t_access;
    if (r.status)
      a.extra += " outcome=" + std::string(outcome_name(r.status->outcome)) +
                 " exit=" + std::to_string(r.status->exit_code);
    if (!r.worker.empty())
      a.extra += " worker=" + r.worker;
    if (!lang.empty())
      a.extra += " lang=" + lang;
    std::string detail = r.status && !r.status->message.empty() ? r.status->message : r.detail;
    if (v.status != 200)
      a.reason = v.reason + (detail.empty() ? "" : ": " + detail);
  }

  void outcome_headers(httplib::Response &res, const ExchangeResult &r, const HttpVerdict &v) {
    if (v.retry_after_s > 0)
      res.set_header("Retry-After", std::to_string(v.retry_after_s));
    if (const StatusRecord *s = r.status ? &*r.status : nullptr) {
      res.set_header("X-Outcome", outcome_name(s->outcome));
      if (s->exit_code >= 0)
        res.set_header("X-Exit-Code", std::to_string(s->exit_code));
      if (s->signal)
        res.set_header("X-Signal", std::to_string(s->signal));
    }
  }

  void answer(const httplib::Request &req, httplib::Response &res, const RequestId &id,
              const ExchangeResult &r, const HttpVerdict &v) {
    res.status = v.status;
    outcome_headers(res, r, v);
    if (wants_json(req)) {
      res.set_content(dump(exchange_json(id, r, v)), "application/json");
      return;
    }
    if (v.status == 200) {
      res.set_content(r.output, "text/plain; charset=utf-8");
      return;
    }
    const StatusRecord *s = r.status ? &*r.status : nullptr;
    std::string detail = s && !s->message.empty() ? s->message : r.detail;
    std::string body = "fifogate: " + v.reason + (detail.empty() ? "" : ": " + detail) + "\n";
    if (s) {
      body += "request: " + id.hex() + "\noutcome: " + outcome_name(s->outcome) + "\n";
      if (s->exit_code >= 0)
        body += "exit code: " + std::to_string(s->exit_code) + "\n";
      if (s->signal)
        body += "signal: " + std::to_string(s->signal) + "\n";
      if (!s->stderr_text.empty())
        body += "stderr" + std::string(s->stderr_truncated ? " (truncated)" : "") + ":\n" +
                s->stderr_text + (s->stderr_text.back() == '\n' ? "" : "\n");
    }
    res.set_content(body, "text/plain; charset=utf-8");
  }

  ExchangeResult dispatch(const RequestId &id, std::string_view body, const RequestOptions &opts) {
    auto t0 = Clock::now();
    Deadline wait = Deadline::in(Millis(cfg.wait_ms));
    for (int tries = 1;; ++tries) {
      bool claimed = false;
      auto r = dispatch_once(id, body, opts, wait, t0, claimed);
      // A claimed worker found gone (no_worker comes before a byte is sent):
      // the request can go to another. The liveness the claim went by was
      // stale; it is read afresh.
      if (!claimed || r.error != ExchangeError::no_worker || tries >= cfg.slots || wait.expired()) {
        metrics.queue_wait(static_cast<double>(r.wait_ms) / 1000.0); // once, however many tries
        return r;
      }
      dispatcher->forget_liveness();
    }
  }

  ExchangeResult dispatch_once(const RequestId &id, std::string_view body,
                               const RequestOptions &opts, const Deadline &wait,
                               Clock::time_point t0, bool &claimed) {
    auto claim = dispatcher->claim(wait);
    claimed = claim.ok();
    if (!claim) {
      ExchangeResult r;
      int code = claim.error().code;
      r.error = code == ETIMEDOUT ? ExchangeError::busy
                : code == ENXIO   ? ExchangeError::no_worker
                                  : ExchangeError::internal;
      r.detail = claim.error().message();
      r.wait_ms = std::chrono::duration_cast<Millis>(Clock::now() - t0).count();
      return r;
    }
    // The wait: for a slot (since the request's first try), then in the
    // exchange for the worker to open its input.
    auto claimed_at = Clock::now();
    auto r = exchange(cfg, readers, claim->channel(), wait, id, body, opts);
    r.wait_ms += std::chrono::duration_cast<Millis>(claimed_at - t0).count();
    metrics.worker_seen(claim->channel().slot, r.worker);
    bool worker_failed = r.error != ExchangeError::none
                             ? r.error != ExchangeError::busy
                             : r.status && (r.status->outcome == Outcome::spawn_failed ||
                                            r.status->outcome == Outcome::internal);
    if (worker_failed)
      claim->demote();
    return r;
  }

  // The body, read up to MAX_BODY_BYTES. On failure `status` is the HTTP
  // status to answer with and the rest of the body is left unread.
  struct Body {
    std::string bytes;
    int status = 0;
    std::string error;
  };
  Body read_body(const httplib::Request &req, const httplib::ContentReader &reader) {
    Body b;
    bool too_big = false;
    size_t cap = static_cast<size_t>(cfg.max_body_bytes);
    if (auto cl = req.get_header_value<uint64_t>("Content-Length"); cl > 0 && cl <= cap)
      b.bytes.reserve(static_cast<size_t>(cl));
    bool read_ok = reader([&](const char *data, size_t len) {
      if (b.bytes.size() + len > cap) {
        too_big = true;
        return false; // stops reading: a chunked body cannot get past the limit
      }
      b.bytes.append(data, len);
      return true;
    });
    t_access.bytes_in = static_cast<int64_t>(b.bytes.size());
    if (too_big) {
      b.status = 413;
      b.error = "body over MAX_BODY_BYTES=" + std::to_string(cfg.max_body_bytes) + " bytes";
    } else if (!read_ok) {
      b.status = 400;
      b.error = "could not read the request body";
    }
    if (b.status)
      t_unread_body = true;
    return b;
  }

  std::vector<WorkerInfo> live_workers() {
    auto infos = read_worker_infos(cfg, dispatcher->live_slots());
    for (const auto &w : infos)
      metrics.worker_seen(w.slot, w.worker);
    return infos;
  }

  // Why the request's lang cannot be used, if it cannot.
  std::optional<std::string> check_lang(const std::string &lang) {
    if (lang.empty())
      return std::nullopt;
    return lang_problem(lang, live_workers());
  }

  void process(const httplib::Request &req, httplib::Response &res,
               const httplib::ContentReader &reader) {
    Metrics::InFlight busy(metrics);
    Body body = read_body(req, reader);
    if (body.status)
      return text_error(res, body.status, body.error);
    RequestOptions opts{req.get_param_value("lang")};
    if (auto problem = check_lang(opts.lang))
      return text_error(res, 400, *problem);
    RequestId id = t_access.id;
    ExchangeResult r = dispatch(id, body.bytes, opts);
    HttpVerdict v = verdict_for(r, cfg);
    answer(req, res, id, r, v);
    note_exchange(r, v, opts.lang);
  }

  void check(const httplib::Request &req, httplib::Response &res,
             const httplib::ContentReader &reader) {
    Metrics::InFlight busy(metrics);
    Body body = read_body(req, reader);
    if (body.status)
      return json_error(res, body.status, body.error);
    if (cfg.protocol != Protocol::ispell)
      return json_error(res, 501,
                        "POST /check reads ispell answers (aspell -a, hunspell -a), and "
                        "PROC_COMMAND=\"" +
                            cfg.command_line + "\" is not one: use POST /process");
    auto creq = parse_check_request(req.get_header_value("Content-Type"), std::move(body.bytes),
                                    req.get_param_value("lang"));
    if (!creq)
      return json_error(res, 400, creq.error().message());
    if (auto problem = check_lang(creq->lang))
      return json_error(res, 400, *problem);
    RequestId id = t_access.id;
    ExchangeResult r = dispatch(id, creq->text, RequestOptions{creq->lang});
    HttpVerdict v = verdict_for(r, cfg);
    std::vector<SpellMatch> matches;
    if (v.status == 200) {
      if (auto why = unplaceable_line(r.output, creq->text))
        v = {400, *why};
      else if (auto m = ispell_matches(r.output, creq->text); m)
        matches = std::move(*m);
      else
        v = {502, "the command's answer is not ispell output: " + m.error().message()};
    }
    note_exchange(r, v, creq->lang);
    res.status = v.status;
    outcome_headers(res, r, v);
    if (v.status != 200) {
      auto j = exchange_json(id, r, v);
      j["status"] = v.status;
      res.set_content(dump(j), "application/json");
      return;
    }
    t_access.extra += " matches=" + std::to_string(matches.size());
    nlohmann::json j = {
        {"request_id", id.hex()},
        {"lang", creq->lang.empty() ? nlohmann::json() : nlohmann::json(creq->lang)},
        {"duration_ms", r.status->duration_ms},
        {"matches", matches_json(matches)}};
    res.set_content(dump(j), "application/json");
  }

  void healthz(const httplib::Request &req, httplib::Response &res) {
    auto live = dispatcher->live_slots();
    nlohmann::json j = {{"workers", live.size()}, {"limits", limits_json(cfg)}};
    if (!live.empty()) {
      j["status"] = "ok";
      if (wants_json(req))
        res.set_content(dump(j), "application/json");
      else
        res.set_content("ok: " + std::to_string(live.size()) + " worker(s)\n",
                        "text/plain; charset=utf-8");
      return;
    }
    std::string locks = cfg.owner_lock_path();
    if (cfg.slots > 1)
      locks += " to " + cfg.channel(cfg.slots - 1).owner_lock_path();
    std::string reason = "no worker is running: no fifogate-processor holds the life lock of any "
                         "of the " +
                         std::to_string(cfg.slots) + " slot(s) (" + locks + ")";
    res.set_header("Retry-After", "1");
    if (!wants_json(req))
      return text_error(res, 503, reason);
    j["status"] = "unavailable";
    j["reason"] = reason;
    res.status = 503;
    t_access.reason = reason;
    res.set_content(dump(j), "application/json");
  }

  void languages(httplib::Response &res) {
    auto workers = live_workers();
    if (workers.empty()) {
      json_error(res, 503,
                 "no worker is running; the dictionaries are those installed where the "
                 "workers run");
      return;
    }
    res.set_content(dump({{"languages", installed_languages(workers)}}), "application/json");
  }

  // Answers 405 with Allow for the methods `path` does not take.
  void allow_only(const std::string &path, const std::string &allow, const std::string &hint) {
    refusals[path] = {allow, hint};
    auto refuse = [this, allow, hint](const httplib::Request &, httplib::Response &res) {
      res.set_header("Allow", allow);
      text_error(res, 405, hint);
    };
    if (allow != "GET")
      svr.Get(path, refuse);
    if (allow != "POST")
      svr.Post(path, refuse);
    svr.Put(path, refuse);
    svr.Patch(path, refuse);
    svr.Delete(path, refuse);
    svr.Options(path, refuse);
  }

  // What allow_only answers for each path it guards: the Allow header and a hint.
  std::map<std::string, std::pair<std::string, std::string>> refusals;

  void routes() {
    svr.on_refused = [this](int status, const std::string &reason, const RequestId &id) {
      log_refused(status, reason, id);
    };
    svr.new_task_queue = [this] {
      auto *q =
          new BoundedPool(static_cast<size_t>(cfg.web_threads), static_cast<size_t>(cfg.web_queue));
      svr.use_queue(q, [q] { return q->has_spare_thread(); });
      q->before_shutdown = [this] { svr.stop_keep_alive(); };
      return q;
    };
    svr.set_payload_max_length(static_cast<size_t>(cfg.max_body_bytes));
    svr.set_send_timeout(Millis(cfg.send_timeout_ms));
    if (cfg.keepalive_ms > 0)
      svr.enable_keep_alive(Millis(cfg.keepalive_ms));
    else
      svr.set_keep_alive_max_count(1);
    // Refuse before the body is read: httplib would inflate a gzip body without
    // limit and would read an oversized Content-Length body only to skip it.
    auto early_refusal = [this](const httplib::Request &req, httplib::Response &res) {
      auto enc = req.get_header_value("Content-Encoding");
      auto te = req.get_header_value("Transfer-Encoding");
      auto refuse = [&](int status, const std::string &msg) {
        t_unread_body = true;
        if (req.path == "/check")
          json_error(res, status, msg);
        else
          text_error(res, status, msg);
        return true;
      };
      // httplib knows only "chunked"; any other coding it would read as a
      // body without length, until the client closes.
      if (!te.empty() && strcasecmp(te.c_str(), "chunked") != 0)
        return refuse(501, "Transfer-Encoding " + te +
                               " is not supported; send the body with Content-Length or chunked");
      if (!enc.empty() && enc != "identity")
        return refuse(415, "Content-Encoding " + enc + " is not accepted; send the body as is");
      if (req.get_header_value<uint64_t>("Content-Length") >
          static_cast<uint64_t>(cfg.max_body_bytes))
        return refuse(413,
                      "body over MAX_BODY_BYTES=" + std::to_string(cfg.max_body_bytes) + " bytes");
      // A method the path does not take, or a path that is not there.
      auto not_here = [&] {
        auto it = refusals.find(req.path);
        if (it == refusals.end())
          return refuse(404, "no such path: " + req.path);
        res.set_header("Allow", it->second.first);
        return refuse(405, it->second.second);
      };
      // Only POST /process and /check take a body. httplib would read any
      // other request's body whole (a chunked one without limit) only to
      // answer 404 or 405: answer now and leave it unread.
      bool reads_body = httplib_reads_body(req);
      bool has_body = !te.empty() || req.get_header_value<uint64_t>("Content-Length") > 0;
      if (reads_body && has_body &&
          !(req.method == "POST" && (req.path == "/process" || req.path == "/check")))
        return not_here();
      // httplib parses these but routes them nowhere, and its answer was a
      // bare 400: they are methods no path here takes.
      if (req.method == "TRACE" || req.method == "CONNECT")
        return not_here();
      return false;
    };
    svr.set_pre_routing_handler(
        [early_refusal](const httplib::Request &creq, httplib::Response &res) {
          t_routed = true;
          answer_whole(creq);
          // httplib has not read the body yet (see answer_whole on const).
          auto &req = const_cast<httplib::Request &>(creq);
          // A request with neither Content-Length nor Transfer-Encoding has
          // no body (RFC 9112); httplib 0.11.4 would read one until the
          // client closes.
          if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
            req.set_header("Content-Length", "0");
          return early_refusal(req, res) ? httplib::Server::HandlerResponse::Handled
                                         : httplib::Server::HandlerResponse::Unhandled;
        });
    svr.set_expect_100_continue_handler(
        [early_refusal](const httplib::Request &req, httplib::Response &res) {
          answer_whole(req);
          return early_refusal(req, res) ? res.status : 100;
        });
    // Runs after httplib chose the Connection/Keep-Alive headers and before
    // it writes them: the last word on whether this connection goes on.
    svr.set_post_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
      if (!res.has_header("X-Request-Id"))
        res.set_header("X-Request-Id", t_access.id.hex());
      t_body_follows = req.method != "HEAD" && !res.body.empty();
      t_final_head = true;
      // Where the next request starts is unknown after a request httplib
      // could not parse or answered before routing it (414, 416), or one
      // whose body was never read (httplib_reads_body; our early refusals
      // skip it): the connection ends after this answer, and says so.
      bool reads_body = httplib_reads_body(req);
      if (!t_routed || (res.status == 400 && req.path.empty()) ||
          (!reads_body && (req.get_header_value<uint64_t>("Content-Length") > 0 ||
                           req.has_header("Transfer-Encoding"))))
        t_unread_body = true;
      if (t_unread_body) {
        res.headers.erase("Keep-Alive");
        res.headers.erase("Connection"); // set_header adds, it does not replace
        res.set_header("Connection", "close");
      } else if (cfg.keepalive_ms < 1000) {
        res.headers.erase("Keep-Alive"); // its timeout is in whole seconds
      }
    });
    svr.set_logger([this](const httplib::Request &req, const httplib::Response &res) {
      log_access(req, res);
    });

    svr.Get("/", [](const httplib::Request &, httplib::Response &res) {
      // Nothing but this page itself: it must work offline, and no script
      // could call out even if text were ever rendered unescaped.
      res.set_header(
          "Content-Security-Policy",
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
          "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'");
      res.set_content(fifogate_index_html, "text/html; charset=utf-8");
    });
    svr.Post("/process",
             [this](const httplib::Request &req, httplib::Response &res,
                    const httplib::ContentReader &reader) { process(req, res, reader); });
    allow_only("/process", "POST", "use POST /process with the text as the body");
    svr.Post("/check", [this](const httplib::Request &req, httplib::Response &res,
                              const httplib::ContentReader &reader) { check(req, res, reader); });
    allow_only("/check", "POST",
               "use POST /check with {\"text\": \"...\"} or the text as the body");
    svr.Get("/healthz",
            [this](const httplib::Request &req, httplib::Response &res) { healthz(req, res); });
    svr.Get("/languages",
            [this](const httplib::Request &, httplib::Response &res) { languages(res); });
    svr.Get("/version", [this](const httplib::Request &, httplib::Response &res) {
      res.set_content(dump(version_json(FIFOGATE_VERSION, live_workers())), "application/json");
    });
    svr.Get("/limits", [this](const httplib::Request &, httplib::Response &res) {
      res.set_content(dump(limits_json(cfg)), "application/json");
    });
    svr.Get("/metrics", [this](const httplib::Request &, httplib::Response &res) {
      size_t live = live_workers().size();
      res.set_content(metrics.exposition(live, FIFOGATE_VERSION, dispatcher->waiting()),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
    for (const char *path : {"/", "/healthz", "/languages", "/version", "/limits", "/metrics"})
      allow_only(path, "GET", std::string("use GET ") + path);
    svr.set_error_handler([this](const httplib::Request &req, httplib::Response &res) {
      answer_whole(req); // also for httplib's own 400, 414 and 416
      if (res.status == 404)
        text_error(res, 404, "no such path: " + req.path);
      else if (res.body.empty())
        text_error(res, res.status, "HTTP " + std::to_string(res.status));
    });
    svr.set_exception_handler(
        [this](const httplib::Request &req, httplib::Response &res, std::exception_ptr ep) {
          std::string what = "unknown exception";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception &e) {
            what = e.what();
          } catch (...) {
          }
          say("error: " + req.method + " " + printable(req.path) + ": " + what);
          text_error(res, 500, "internal error");
        });
  }

  // One line per request, after the answer went out: "req=<id> POST /check
  // 200 13ms in=20B out=410B outcome=ok exit=0 worker=host:pid". The
  // processor logs the same req=<id>, so one grep follows a request across both.
  void log_refused(int status, const std::string &reason, const RequestId &id) {
    metrics.request("(refused)", status, 0, 0, 0);
    say("req=" + id.hex() + " - - " + std::to_string(status) + " 0ms in=0B out=0B reason=\"" +
        reason + "\"");
  }

  void log_access(const httplib::Request &req, const httplib::Response &res) {
    auto &a = t_access;
    double secs = std::chrono::duration<double>(Clock::now() - a.start).count();
    int64_t in = std::max(a.bytes_in, static_cast<int64_t>(req.body.size()));
    int64_t out = static_cast<int64_t>(res.body.size());
    metrics.request(req.path, res.status, secs, in, out);
    std::string line = "req=" + a.id.hex() + " " + printable(req.method) + " " +
                       printable(req.path) + " " + std::to_string(res.status) + " " +
                       std::to_string(static_cast<int64_t>(secs * 1000)) +
                       "ms in=" + human_size(in) + " out=" + human_size(out) + a.extra;
    if (res.status >= 400 && !a.reason.empty())
      line += " reason=\"" + printable(a.reason) + "\"";
    if (!a.undelivered.empty())
      line += " undelivered=\"" + printable(a.undelivered) + "\"";
    say(line);
  }
};

WebServer::WebServer(Config cfg) : impl_(std::make_unique<Impl>()) {
  impl_->cfg = std::move(cfg);
  impl_->dispatcher = std::make_unique<Dispatcher>(impl_->cfg);
  impl_->routes();
}
WebServer::~WebServer() = default;

int http_healthcheck(int port) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(3, 0);
  auto res = cli.Get("/healthz");
  if (!res) {
    std::fprintf(stderr, "unhealthy: no HTTP answer on 127.0.0.1:%d\n", port);
    return 1;
  }
  std::printf("healthy: /healthz answered %d %s", res->status, res->body.c_str());
  return 0;
}

int WebServer::bind() {
  if (impl_->cfg.port == 0)
    impl_->port = impl_->svr.bind_to_any_port(impl_->cfg.host);
  else
    impl_->port = impl_->svr.bind_to_port(impl_->cfg.host, impl_->cfg.port) ? impl_->cfg.port : -1;
  return impl_->port;
}
bool WebServer::run() {
  return impl_->svr.listen_after_bind();
}
void WebServer::stop() {
  // Parked connections first: they would otherwise be resumed into a queue
  // that is shutting down.
  impl_->svr.stop_keep_alive();
  impl_->svr.stop();
}

} // namespace fifogate
