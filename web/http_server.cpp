#include "http_server.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/log.hpp"
#include "request_stream.hpp"
#include "web_server_impl.hpp"
#include <condition_variable>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

namespace fifogate {

namespace {

constexpr int kMaxRequestsPerConnection = 1000;
// A client that sends its next request at once (a script in a loop) is
// served on the thread that answered it, without the detour through the
// connection loop, when no other request could use the thread.
constexpr Millis kKeepAliveLinger{5};
constexpr Millis kCloseLinger{1000};

// Connections hold file descriptors: the soft limit is raised to the hard one,
// and a tenth is kept for FIFOs, locks and the like.
size_t connection_budget(int64_t configured) {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return static_cast<size_t>(configured);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur == RLIM_INFINITY)
    return static_cast<size_t>(configured);
  size_t usable = static_cast<size_t>(rl.rlim_cur) - std::min<size_t>(rl.rlim_cur, 64);
  usable -= usable / 10;
  return std::max<size_t>(1, std::min(usable, static_cast<size_t>(configured)));
}

EdgeLimits limits_from(const Config &cfg) {
  EdgeLimits l;
  l.keepalive = Millis(cfg.keepalive_ms);
  l.head_timeout = Millis(cfg.head_timeout_ms);
  l.body_timeout = Millis(cfg.body_timeout_ms);
  l.body_min_rate = cfg.body_min_rate;
  l.max_connections = connection_budget(cfg.max_connections);
  l.buffered_body = std::min<size_t>(l.buffered_body, static_cast<size_t>(cfg.max_body_bytes));
  l.body_wanted = [](std::string_view method, std::string_view path) {
    return takes_body(method, path);
  };
  return l;
}

// Before any hook sees the request.
void prepare(httplib::Request &req) {
  // Every answer is whole: httplib would cut it to a requested Range (a
  // 10-byte aspell answer still marked 200); RFC 9110 lets a server ignore it.
  req.ranges.clear();
  // No Content-Length and no Transfer-Encoding: no body (RFC 9112 §6.3);
  // httplib would read one until the client closes.
  bool has_body =
      req.has_header("Transfer-Encoding") || req.get_header_value_u64("Content-Length") > 0;
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
    req.set_header("Content-Length", "0");
  // A body on a method that takes none (a GET with a Content-Length) is
  // never read: the request is answered as if it had none, and the
  // connection ends after the answer. (Body methods on routes that take no
  // body are refused before routing.)
  bool body_method = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                     req.method == "DELETE" || req.method == "PRI";
  if (has_body && !body_method) {
    RequestContext::current().unread_body = true;
    req.headers.erase("Transfer-Encoding");
    req.headers.erase("Content-Length");
    req.set_header("Content-Length", "0");
  }
}

} // namespace

WebServer::Impl::Impl(Config c)
    : cfg(std::move(c)), limits(limits_from(cfg)),
      line_cache(static_cast<size_t>(cfg.cache_bytes)) {}

void WebServer::Impl::serve(ConnectionPtr c) {
  for (;;) {
    RequestContext ctx;
    ctx.start = c->head_done;
    ctx.wait_from = c->ready_at;
    ctx.client_socket = c->sock.get();
    bool last = cfg.keepalive_ms <= 0 || stopping || c->served + 1 >= kMaxRequestsPerConnection;
    ctx.last = last;
    bool closed = false, ok = false, failed = false;
    {
      ScopedRequest bound(ctx);
      RequestStream strm(*c, limits, Millis(cfg.send_timeout_ms), ctx);
      ok = svr.serve_one(strm, last, closed, prepare);
      failed = strm.failed();
    } // the stream leaves what this request did not use in c->buf
    if (ctx.answered)
      log_access(ctx);
    ++c->served;
    c->head_length = 0;
    c->framing = Framing{};
    bool keep = ok && ctx.answered && !closed && !last && !stopping && !failed &&
                !ctx.unread_body && !ctx.ends_connection;
    if (!keep) {
      // Unread bytes at close would reset the connection, and with it the
      // answer the client has not read yet: the loop drops them for a moment.
      ::shutdown(c->sock.get(), SHUT_WR);
      if (failed || (c->buf.empty() && !ctx.unread_body))
        return; // closed by c's destructor
      c->buf.clear();
      c->closing_until = Clock::now() + kCloseLinger;
      return loop->give_back(std::move(c));
    }
    if (c->buf.empty() && pool->has_spare_thread() &&
        poll_one(c->sock.get(), POLLIN, Deadline::in(kKeepAliveLinger)) > 0) {
      char buf[16384];
      ssize_t n = ::recv(c->sock.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        c->request_start = Clock::now();
        c->buf.append(buf, static_cast<size_t>(n));
      }
    }
    if (!c->buf.empty()) {
      auto now = Clock::now();
      if (assess(*c, limits, now).kind == Readiness::ready) {
        c->ready_at = now;
        continue; // the next request is here whole: served on this thread
      }
    }
    // Waiting for the next request (or the rest of it, or a refusal the loop
    // answers) costs the loop a descriptor, not this thread.
    return loop->give_back(std::move(c));
  }
}

WebServer::WebServer(Config cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {
  auto access = access_policy(impl_->cfg.web_token, impl_->cfg.cors_origins);
  if (access)
    impl_->access = *access;
  else
    config_error_ = access.error().message();
  impl_->kinds = std::make_unique<ProcessorKinds>(impl_->cfg);
  impl_->routes();
}
WebServer::~WebServer() {
  stop();
}

int WebServer::bind() {
  auto &d = *impl_;
  if (d.cfg.web_socket.empty()) {
    int port = d.svr.bind(d.cfg.host, d.cfg.port);
    if (port < 0)
      bind_error_ = "cannot listen on " + d.cfg.host + ":" + std::to_string(d.cfg.port);
    return port;
  }
  std::optional<gid_t> group;
  if (!d.cfg.web_socket_group.empty()) {
    auto g = group_id(d.cfg.web_socket_group);
    if (!g) {
      bind_error_ = g.error().message();
      return -1;
    }
    group = *g;
  }
  auto l = listen_unix(d.cfg.web_socket, static_cast<mode_t>(d.cfg.web_socket_mode), group);
  if (!l) {
    bind_error_ = l.error().message();
    return -1;
  }
  d.svr.adopt_listener(l->fd.release());
  d.unix_listener = std::move(*l);
  return 0;
}

bool WebServer::run() {
  auto &d = *impl_;
  d.pool = std::make_unique<ServingPool>(static_cast<size_t>(d.cfg.web_threads),
                                         [&d](ConnectionPtr c) { d.serve(std::move(c)); });
  d.loop = std::make_unique<ConnectionLoop>(
      d.svr.listen_fd(), d.limits, [&d](ConnectionPtr c) { d.pool->enqueue(std::move(c)); },
      [&d](int status, const std::string &reason, const RequestId &id) {
        d.log_refused(status, reason, id);
      });
  d.loop->start();
  {
    std::unique_lock<std::mutex> l(stop_m_);
    stop_cv_.wait(l, [&] { return stop_requested_; });
  }
  // Held connections are closed and nothing new is accepted; requests
  // already complete are answered (with "Connection: close"), then the
  // threads end.
  d.stopping = true;
  d.loop->stop();
  d.pool->shutdown();
  d.svr.close_listener();
  if (d.unix_listener)
    remove_unix_socket(d.cfg.web_socket, *d.unix_listener);
  return true;
}

void WebServer::stop() {
  std::lock_guard<std::mutex> g(stop_m_);
  stop_requested_ = true;
  stop_cv_.notify_all();
}

int http_healthcheck(const Config &cfg) {
  bool unix_socket = !cfg.web_socket.empty();
  httplib::Client cli(unix_socket ? cfg.web_socket : std::string("127.0.0.1"), cfg.port);
  if (unix_socket)
    cli.set_address_family(AF_UNIX);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(3, 0);
  auto res = cli.Get("/healthz");
  if (!res) {
    std::fprintf(stderr, "unhealthy: no HTTP answer on %s\n",
                 unix_socket ? cfg.web_socket.c_str()
                             : ("127.0.0.1:" + std::to_string(cfg.port)).c_str());
    return 1;
  }
  std::printf("healthy: /healthz answered %d %s", res->status, res->body.c_str());
  return 0;
}

} // namespace fifogate
