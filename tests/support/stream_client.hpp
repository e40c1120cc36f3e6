#pragma once
// A client that reads an HTTP answer as it arrives: the head, then each piece
// of a chunked body with the time it came, then the trailers.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fgtest {

class StreamClient {
public:
  using Clock = std::chrono::steady_clock;
  // Connects to 127.0.0.1:port and sends `request` whole.
  StreamClient(int port, const std::string &request);
  ~StreamClient();
  StreamClient(const StreamClient &) = delete;
  StreamClient &operator=(const StreamClient &) = delete;

  // Reads the status line and headers; false when they did not come in time.
  bool read_head(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  int status = 0;
  std::map<std::string, std::string> headers; // lower-case names
  std::string header(const std::string &name) const;
  bool chunked() const;

  // The body bytes that arrive next (at least one), or nothing once the body
  // is complete or when none came within `timeout` (then timed_out()).
  std::optional<std::string> next(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Everything up to the end of the body.
  std::string rest(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool ended() const { return ended_; }
  bool timed_out() const { return timed_out_; }
  std::map<std::string, std::string> trailers; // lower-case names
  Clock::time_point sent_at;                   // when the request went out

  void close(); // the client goes away
  int fd() const { return fd_; }

private:
  bool fill(Clock::time_point until); // reads more into buf_; false on timeout or close
  int fd_ = -1;
  std::string buf_;
  bool ended_ = false, timed_out_ = false;
  long long remaining_ = -1; // Content-Length body: bytes still due
  long long chunk_left_ = 0; // chunked: bytes of the current chunk still due
  bool in_chunk_ = false;
};

// The process ids whose command line holds `needle` (from /proc).
std::vector<int> pids_with_cmdline(const std::string &needle);
// A process's peak resident memory (VmHWM), in KiB; -1 if unknown.
long peak_rss_kib(int pid);
long rss_kib(int pid);

} // namespace fgtest
