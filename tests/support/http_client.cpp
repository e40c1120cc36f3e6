#include "http_client.hpp"
#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace fgtest {

using namespace std::chrono;

std::string HttpAnswer::header(const std::string &name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

static HttpAnswer parse_http(const std::string &raw) {
  HttpAnswer a;
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0)
    return a;
  std::istringstream head(raw.substr(0, end));
  std::string line;
  std::getline(head, line);
  a.status = std::atoi(line.c_str() + 9);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    auto c = line.find(':');
    if (c == std::string::npos)
      continue;
    std::string k = line.substr(0, c), v = line.substr(c + 1);
    for (auto &ch : k)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    while (!v.empty() && v[0] == ' ')
      v.erase(0, 1);
    a.headers[k] = v;
  }
  a.body = raw.substr(end + 4);
  return a;
}

// Bytes of the first whole response in `got` (head and Content-Length body),
// or 0 while it is incomplete.
static size_t complete_response(const std::string &got) {
  auto end = got.find("\r\n\r\n");
  if (end == std::string::npos)
    return 0;
  std::string head = got.substr(0, end + 2);
  for (auto &ch : head)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto cl = head.find("\r\ncontent-length:");
  if (cl == std::string::npos)
    return 0; // read to EOF
  size_t len = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
  return got.size() >= end + 4 + len ? end + 4 + len : 0;
}

int connect_loopback(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    ::close(s);
    return -1;
  }
  return s;
}

// Sends `request` (if any) and reads until a whole response, EOF or timeout.
static std::string exchange_on(int s, const std::string &request, milliseconds timeout,
                               std::string &extra) {
  auto end = steady_clock::now() + timeout;
  auto left = [&] {
    return static_cast<int>(
        std::max<long>(0, duration_cast<milliseconds>(end - steady_clock::now()).count()));
  };
  size_t sent = 0;
  std::string got = std::move(extra);
  extra.clear();
  char buf[65536];
  bool write_done = request.empty();
  for (;;) {
    if (size_t whole = complete_response(got); whole > 0) {
      extra = got.substr(whole);
      got.resize(whole);
      break;
    }
    pollfd p{s, static_cast<short>(POLLIN | (write_done ? 0 : POLLOUT)), 0};
    if (::poll(&p, 1, left()) <= 0)
      break;
    if (p.revents & POLLIN) {
      ssize_t n = ::recv(s, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      got.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (p.revents & POLLOUT) {
      ssize_t n = ::send(s, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        write_done = true; // the server stopped reading: collect its answer
        continue;
      }
      sent += static_cast<size_t>(n);
      write_done = sent == request.size();
      continue;
    }
    if (p.revents & (POLLHUP | POLLERR))
      break;
  }
  return got;
}

HttpAnswer http_raw(int port, const std::string &request, milliseconds timeout) {
  int s = connect_loopback(port);
  if (s < 0)
    return {};
  std::string extra;
  auto got = exchange_on(s, request, timeout, extra);
  ::close(s);
  return parse_http(got);
}

HttpConnection::HttpConnection(int port) : fd_(connect_loopback(port)) {}
HttpConnection::~HttpConnection() {
  if (fd_ >= 0)
    ::close(fd_);
}
HttpAnswer HttpConnection::request(const std::string &raw, milliseconds timeout) {
  if (fd_ < 0)
    return {};
  return parse_http(exchange_on(fd_, raw, timeout, extra_));
}
bool HttpConnection::closed_by_server(milliseconds timeout) {
  if (fd_ < 0)
    return true;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) <= 0;
}

HttpAnswer http_post(int port, const std::string &path, const std::string &body,
                     const std::map<std::string, std::string> &headers, milliseconds timeout) {
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  bool has_len = false;
  for (auto &[k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (k == "Content-Length" || k == "Transfer-Encoding")
      has_len = true;
  }
  if (!has_len)
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "Connection: close\r\n\r\n" + body;
  return http_raw(port, req, timeout);
}

HttpAnswer http_get(int port, const std::string &path) {
  return http_raw(port,
                  "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

} // namespace fgtest
