#pragma once
#include "httplib.hpp"
#include <functional>
#include <string>

namespace fifogate {

// cpp-httplib as the parser, router and writer of one request at a time on a
// stream the web owns (RequestStream): its own accept loop, thread pool and
// socket reads are not used, the connection loop does them.
class EdgeServer : public httplib::Server {
public:
  // Binds host:port (0: a free port) with cpp-httplib's socket set-up
  // (SO_REUSEADDR, close-on-exec); returns the port or -1.
  int bind(const std::string &host, int port);
  int listen_fd() const { return svr_sock_; }
  // Listens on `fd` (a Unix socket the web made) instead; owns it from now.
  void adopt_listener(int fd) { svr_sock_ = fd; }
  void close_listener();
  // Parses, routes and answers the request at the front of `strm`. `setup`
  // sees the parsed head before any hook does.
  bool serve_one(httplib::Stream &strm, bool last, bool &closed,
                 const std::function<void(httplib::Request &)> &setup);
};

} // namespace fifogate
