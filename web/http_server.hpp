#pragma once
#include "fifogate/config.hpp"
#include <memory>

namespace fifogate {

// The HTTP edge. Only http_server.cpp includes httplib.h.
class WebServer {
public:
  explicit WebServer(Config cfg);
  ~WebServer();
  // Binds HOST:PORT (PORT=0 picks a free port); returns the port or -1.
  int bind();
  // Serves until stop(); returns when in-flight requests are done.
  bool run();
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// GET /healthz on 127.0.0.1:port with a short timeout: 0 when any HTTP answer
// comes back, 1 otherwise. Prints the status line.
int http_healthcheck(int port);

} // namespace fifogate
