#pragma once
// A plain HTTP/1.1 client over 127.0.0.1, written by hand so that tests can
// send anything, malformed requests included, and see exactly what comes back.
#include <chrono>
#include <map>
#include <string>

namespace fgtest {

struct HttpAnswer {
  int status = 0;                             // 0: no HTTP answer (connection failed or reset)
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;
  std::string header(const std::string &name) const;
};

// A TCP connection to 127.0.0.1:port (close-on-exec), or -1.
int connect_loopback(int port);
// One HTTP/1.1 request over a fresh connection, by hand (so tests can send
// anything, including malformed requests). Times out after `timeout`.
HttpAnswer http_raw(int port, const std::string &request,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));
// One client connection kept open across requests (keep-alive).
class HttpConnection {
public:
  explicit HttpConnection(int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection &) = delete;
  HttpConnection &operator=(const HttpConnection &) = delete;
  // Sends `raw` and reads one whole response (by Content-Length).
  HttpAnswer request(const std::string &raw,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // True once the server has closed its end (within `timeout`).
  bool closed_by_server(std::chrono::milliseconds timeout);
  int fd() const { return fd_; }

private:
  int fd_;
  std::string extra_; // bytes after the last response (a pipelined answer)
};

HttpAnswer http_post(int port, const std::string &path, const std::string &body,
                     const std::map<std::string, std::string> &headers = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
HttpAnswer http_get(int port, const std::string &path);

} // namespace fgtest
