#include "stream_client.hpp"
#include "stack.hpp"
#include <algorithm>
#include <cctype>
#include <dirent.h>
#include <fstream>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace fgtest {

namespace {

std::string lower(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  return s.substr(i);
}

// "Name: value" lines up to an empty line, into `out`.
void parse_fields(const std::string &block, std::map<std::string, std::string> &out) {
  size_t at = 0;
  while (at < block.size()) {
    size_t eol = block.find("\r\n", at);
    if (eol == std::string::npos)
      eol = block.size();
    std::string line = block.substr(at, eol - at);
    at = eol + 2;
    auto colon = line.find(':');
    if (colon != std::string::npos)
      out[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
  }
}

} // namespace

StreamClient::StreamClient(int port, const std::string &request) {
  fd_ = connect_loopback(port);
  if (fd_ < 0)
    return;
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    sent += static_cast<size_t>(n);
  }
  sent_at = Clock::now();
}

StreamClient::~StreamClient() {
  close();
}

void StreamClient::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool StreamClient::fill(Clock::time_point until) {
  if (fd_ < 0)
    return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  pollfd p{fd_, POLLIN, 0};
  if (left.count() < 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
    timed_out_ = true;
    return false;
  }
  char tmp[65536];
  ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
  if (n <= 0)
    return false;
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

std::string StreamClient::header(const std::string &name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool StreamClient::chunked() const {
  return lower(header("Transfer-Encoding")).find("chunked") != std::string::npos;
}

bool StreamClient::read_head(std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(until))
      return false;
  std::string head = buf_.substr(0, end + 2);
  buf_.erase(0, end + 4);
  size_t eol = head.find("\r\n");
  std::string line = head.substr(0, eol);
  if (line.size() > 12)
    status = std::atoi(line.substr(9, 3).c_str());
  parse_fields(head.substr(eol + 2), headers);
  if (!chunked())
    remaining_ =
        headers.count("content-length") ? std::atoll(header("Content-Length").c_str()) : -1;
  return true;
}

std::optional<std::string> StreamClient::next(std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  timed_out_ = false;
  if (ended_)
    return std::nullopt;
  if (!chunked()) {
    while (buf_.empty() && remaining_ != 0)
      if (!fill(until)) {
        if (!timed_out_)
          ended_ = true; // closed: the end of a body without a length
        return std::nullopt;
      }
    size_t n =
        remaining_ < 0 ? buf_.size() : std::min(buf_.size(), static_cast<size_t>(remaining_));
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    if (remaining_ >= 0)
      remaining_ -= static_cast<long long>(n);
    if (remaining_ == 0)
      ended_ = true;
    if (out.empty())
      return std::nullopt;
    return out;
  }
  std::string out;
  for (;;) {
    if (in_chunk_) {
      size_t n = std::min(buf_.size(), static_cast<size_t>(chunk_left_));
      out += buf_.substr(0, n);
      buf_.erase(0, n);
      chunk_left_ -= static_cast<long long>(n);
      if (chunk_left_ > 0) {
        if (!out.empty())
          return out;
        if (!fill(until))
          return std::nullopt;
        continue;
      }
      while (buf_.size() < 2)
        if (!fill(until))
          return out.empty() ? std::nullopt : std::optional<std::string>(out);
      buf_.erase(0, 2); // CRLF after the data
      in_chunk_ = false;
      if (buf_.empty() && !out.empty())
        return out;
      continue;
    }
    size_t eol = buf_.find("\r\n");
    if (eol == std::string::npos) {
      if (!out.empty())
        return out;
      if (!fill(until))
        return std::nullopt;
      continue;
    }
    long long size = std::stoll(buf_.substr(0, eol), nullptr, 16);
    if (size == 0) {
      // The last chunk: trailers up to an empty line.
      size_t end;
      while ((end = buf_.find("\r\n\r\n", eol)) == std::string::npos &&
             buf_.compare(eol, 4, "\r\n\r\n") != 0)
        if (!fill(until))
          return out.empty() ? std::nullopt : std::optional<std::string>(out);
      parse_fields(buf_.substr(eol + 2, end - eol), trailers);
      buf_.erase(0, end + 4);
      ended_ = true;
      return out.empty() ? std::nullopt : std::optional<std::string>(out);
    }
    buf_.erase(0, eol + 2);
    chunk_left_ = size;
    in_chunk_ = true;
  }
}

std::string StreamClient::rest(std::chrono::milliseconds timeout) {
  auto until = Clock::now() + timeout;
  std::string all;
  while (!ended_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0)
      break;
    auto piece = next(left);
    if (piece)
      all += *piece;
    else if (timed_out_ || fd_ < 0)
      break;
  }
  return all;
}

std::vector<int> pids_with_cmdline(const std::string &needle) {
  std::vector<int> out;
  DIR *d = ::opendir("/proc");
  if (!d)
    return out;
  while (auto *e = ::readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0])))
      continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(needle) != std::string::npos) {
      int pid = std::atoi(e->d_name);
      if (is_alive(pid))
        out.push_back(pid);
    }
  }
  ::closedir(d);
  return out;
}

static long status_kib(int pid, const std::string &field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::atol(line.substr(field.size() + 1).c_str());
  return -1;
}

long peak_rss_kib(int pid) {
  return status_kib(pid, "VmHWM");
}
long rss_kib(int pid) {
  return status_kib(pid, "VmRSS");
}

} // namespace fgtest
