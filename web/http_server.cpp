#include "http_server.hpp"
#include "dispatcher.hpp"
#include "exchange.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/log.hpp"
#include "http_status.hpp"
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <httplib.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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

thread_local bool t_overloaded = false; // set while the acceptor rejects a connection
thread_local bool t_unread_body = false; // the response went out before the body was read

void say(const std::string &m) { log_line("web", m); }

// A socket stream with per-call timeouts and one budget for the whole request,
// so a client trickling a byte every few seconds cannot hold a thread forever.
class GuardedStream : public httplib::Stream {
public:
  explicit GuardedStream(int sock)
      : sock_(sock), budget_(Deadline::in(kHeadTimeout + kBodyTimeout)) {}

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
  ssize_t write(const char *ptr, size_t size) override {
    if (poll_one(sock_, POLLOUT, Deadline::in(kIoTimeout)) <= 0)
      return -1;
    for (;;) {
      ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      return n;
    }
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
  char buf_[4096];
  size_t pos_ = 0, len_ = 0;
};

void send_raw(int sock, int status, const char *reason, const std::string &body) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n";
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
      size_t lines = static_cast<size_t>(std::count(head.begin(), head.begin() + static_cast<long>(end), '\n'));
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
private:
  bool process_and_close_socket(socket_t sock) override {
    if (t_overloaded) {
      send_raw(sock, 503, "Service Unavailable", "fifogate: too many connections waiting\n");
      linger_close(sock);
      ::close(sock);
      return true;
    }
    int head = check_request_head(sock);
    if (head == 431)
      send_raw(sock, 431, "Request Header Fields Too Large",
               "fifogate: request head over 64 KiB or 100 header lines\n");
    bool ok = false;
    if (head == 0) {
      GuardedStream strm(sock);
      bool closed = false;
      t_unread_body = false;
      ok = process_request(strm, /*close_connection=*/true, closed, nullptr);
    }
    if (head == 431 || t_unread_body)
      linger_close(sock);
    else
      ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }
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
  void shutdown() override {
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

bool wants_json(const httplib::Request &req) {
  return req.get_header_value("Accept").find("application/json") != std::string::npos;
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
  GuardedServer svr;
  std::unique_ptr<Dispatcher> dispatcher;
  int port = -1;

  void text_error(httplib::Response &res, int status, const std::string &msg) {
    res.status = status;
    res.set_content("fifogate: " + msg + "\n", "text/plain; charset=utf-8");
  }

  void answer(const httplib::Request &req, httplib::Response &res, const RequestId &id,
              const ExchangeResult &r, const HttpVerdict &v) {
    res.status = v.status;
    res.set_header("X-Request-Id", id.hex());
    if (v.retry_after_s > 0)
      res.set_header("Retry-After", std::to_string(v.retry_after_s));
    const StatusRecord *s = r.status ? &*r.status : nullptr;
    if (s) {
      res.set_header("X-Outcome", outcome_name(s->outcome));
      if (s->exit_code >= 0)
        res.set_header("X-Exit-Code", std::to_string(s->exit_code));
      if (s->signal)
        res.set_header("X-Signal", std::to_string(s->signal));
    }
    std::string detail = s && !s->message.empty() ? s->message : r.detail;
    if (wants_json(req)) {
      nlohmann::json j;
      j["request_id"] = id.hex();
      j["exit_code"] = s && s->exit_code >= 0 ? nlohmann::json(s->exit_code) : nlohmann::json();
      j["signal"] = s && s->signal ? nlohmann::json(s->signal) : nlohmann::json();
      j["outcome"] = s ? outcome_name(s->outcome) : exchange_error_name(r.error);
      j["stdout"] = v.status == 200 || s ? r.output : std::string();
      j["stderr"] = s ? s->stderr_text : std::string();
      j["stderr_truncated"] = s ? s->stderr_truncated : false;
      j["duration_ms"] = s ? s->duration_ms : 0;
      if (v.status != 200)
        j["error"] = v.reason + (detail.empty() ? "" : ": " + detail);
      res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      "application/json");
      return;
    }
    if (v.status == 200) {
      res.set_content(r.output, "text/plain; charset=utf-8");
      return;
    }
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

  ExchangeResult dispatch(const RequestId &id, std::string_view body) {
    auto t0 = Clock::now();
    Deadline wait = Deadline::in(Millis(cfg.wait_ms));
    auto claim = dispatcher->claim(wait);
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
    auto r = exchange(cfg, claim->channel(), wait, id, body);
    r.wait_ms += std::chrono::duration_cast<Millis>(Clock::now() - t0).count();
    return r;
  }

  void process(const httplib::Request &req, httplib::Response &res,
               const httplib::ContentReader &reader) {
    auto t0 = Clock::now();
    RequestId id = RequestId::random();
    std::string body;
    bool too_big = false;
    size_t cap = static_cast<size_t>(cfg.max_body_bytes);
    if (auto cl = req.get_header_value<uint64_t>("Content-Length"); cl > 0 && cl <= cap)
      body.reserve(static_cast<size_t>(cl));
    bool read_ok = reader([&](const char *data, size_t len) {
      if (body.size() + len > cap) {
        too_big = true;
        return false; // stops reading: a chunked body cannot get past the limit
      }
      body.append(data, len);
      return true;
    });
    ExchangeResult r;
    HttpVerdict v{200, ""};
    if (too_big) {
      t_unread_body = true;
      v = {413, "body over MAX_BODY_BYTES=" + std::to_string(cfg.max_body_bytes) + " bytes"};
      r.error = ExchangeError::internal;
    } else if (!read_ok) {
      t_unread_body = true;
      v = {400, "could not read the request body"};
      r.error = ExchangeError::internal;
    } else {
      r = dispatch(id, body);
      v = verdict_for(r, cfg);
    }
    if (too_big || !read_ok) {
      res.set_header("X-Request-Id", id.hex());
      text_error(res, v.status, v.reason);
    } else {
      answer(req, res, id, r, v);
    }
    auto ms = std::chrono::duration_cast<Millis>(Clock::now() - t0).count();
    std::string line = "req=" + id.hex() + " POST /process " + std::to_string(v.status) + " " +
                       std::to_string(ms) + "ms in=" + human_size(static_cast<int64_t>(body.size())) +
                       " out=" + human_size(static_cast<int64_t>(r.output.size()));
    if (r.status)
      line += " outcome=" + std::string(outcome_name(r.status->outcome)) +
              " exit=" + std::to_string(r.status->exit_code);
    if (!r.worker.empty())
      line += " worker=" + r.worker;
    if (v.status != 200)
      line += " reason=\"" + v.reason + (r.detail.empty() ? "" : ": " + r.detail) + "\"";
    say(line);
  }

  void routes() {
    svr.new_task_queue = [this] {
      return new BoundedPool(static_cast<size_t>(cfg.web_threads), static_cast<size_t>(cfg.web_queue));
    };
    svr.set_payload_max_length(static_cast<size_t>(cfg.max_body_bytes));
    svr.set_keep_alive_max_count(1);
    // Refuse before the body is read: httplib would inflate a gzip body without
    // limit and would read an oversized Content-Length body only to skip it.
    auto early_refusal = [this](const httplib::Request &req, httplib::Response &res) {
      auto enc = req.get_header_value("Content-Encoding");
      if (!enc.empty() && enc != "identity") {
        t_unread_body = true;
        text_error(res, 415, "Content-Encoding " + enc + " is not accepted; send the body as is");
        return true;
      }
      if (req.get_header_value<uint64_t>("Content-Length") > static_cast<uint64_t>(cfg.max_body_bytes)) {
        t_unread_body = true;
        text_error(res, 413, "body over MAX_BODY_BYTES=" + std::to_string(cfg.max_body_bytes) + " bytes");
        return true;
      }
      return false;
    };
    svr.set_pre_routing_handler([early_refusal](const httplib::Request &req, httplib::Response &res) {
      return early_refusal(req, res) ? httplib::Server::HandlerResponse::Handled
                                     : httplib::Server::HandlerResponse::Unhandled;
    });
    svr.set_expect_100_continue_handler([early_refusal](const httplib::Request &req, httplib::Response &res) {
      return early_refusal(req, res) ? res.status : 100;
    });
    svr.Get("/", [](const httplib::Request &, httplib::Response &res) {
      res.set_content(fifogate_index_html, "text/html; charset=utf-8");
    });
    svr.Post("/process", [this](const httplib::Request &req, httplib::Response &res,
                                const httplib::ContentReader &reader) { process(req, res, reader); });
    auto not_allowed = [this](const httplib::Request &, httplib::Response &res) {
      res.set_header("Allow", "POST");
      text_error(res, 405, "use POST /process with the text as the body");
    };
    svr.Get("/process", not_allowed);
    svr.Put("/process", not_allowed);
    svr.Patch("/process", not_allowed);
    svr.Delete("/process", not_allowed);
    svr.Get("/healthz", [this](const httplib::Request &, httplib::Response &res) {
      auto live = dispatcher->live_slots();
      if (!live.empty()) {
        res.set_content("ok: " + std::to_string(live.size()) + " worker(s)\n", "text/plain; charset=utf-8");
      } else {
        text_error(res, 503, "no worker is running");
        res.set_header("Retry-After", "1");
      }
    });
    svr.set_error_handler([this](const httplib::Request &req, httplib::Response &res) {
      if (res.status == 404)
        text_error(res, 404, "no such path: " + req.path);
      else if (res.body.empty())
        text_error(res, res.status, "HTTP " + std::to_string(res.status));
    });
    svr.set_exception_handler([this](const httplib::Request &req, httplib::Response &res,
                                     std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception &e) {
        what = e.what();
      } catch (...) {
      }
      say("error: " + req.method + " " + req.path + ": " + what);
      text_error(res, 500, "internal error");
    });
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
bool WebServer::run() { return impl_->svr.listen_after_bind(); }
void WebServer::stop() { impl_->svr.stop(); }

} // namespace fifogate
