#include "raw_answer.hpp"
#include <sys/socket.h>

namespace fifogate {

const char *reason_phrase(int status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 408:
    return "Request Timeout";
  case 413:
    return "Content Too Large";
  case 431:
    return "Request Header Fields Too Large";
  case 501:
    return "Not Implemented";
  case 503:
    return "Service Unavailable";
  default:
    return "Error";
  }
}

void send_raw_answer(int sock, int status, const std::string &reason, const RequestId &id) {
  std::string body = "fifogate: " + reason + "\n";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                  "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n" +
                  "X-Request-Id: " + id.hex() + "\r\n";
  if (status == 503)
    r += "Retry-After: 1\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ssize_t ignored = ::send(sock, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
}

} // namespace fifogate
