#pragma once
#include "fifogate/config.hpp"
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

namespace fifogate {

// The HTTP edge: a connection loop that reads requests whole, a pool of
// threads that answer them through cpp-httplib (web_server_impl.hpp).
class WebServer {
public:
  explicit WebServer(Config cfg);
  ~WebServer();
  // A setting the web cannot use (WEB_TOKEN, WEB_CORS_ORIGINS); empty if none.
  const std::string &config_error() const { return config_error_; }
  // Binds HOST:PORT (PORT=0 picks a free port), or the Unix socket
  // WEB_SOCKET; returns the port (0 for the socket) or -1, with bind_error().
  int bind();
  const std::string &bind_error() const { return bind_error_; }
  // Serves until stop(); returns when in-flight requests are done.
  bool run();
  // From any thread, once or more.
  void stop();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
  std::string config_error_;
  std::string bind_error_;
  std::mutex stop_m_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
};

// GET /healthz on 127.0.0.1:PORT, or over WEB_SOCKET when set, with a short
// timeout: 0 when any HTTP answer comes back, 1 otherwise. Prints the status line.
int http_healthcheck(const Config &cfg);

} // namespace fifogate
