// fifogate-loadgen: a closed-loop load generator that checks every answer.
//
//   fifogate-loadgen http  PORT BODY EXPECTED CONCURRENCY SECONDS
//       POST BODY to 127.0.0.1:PORT/process over keep-alive connections (as
//       wrk does), one per concurrent client; FIFOGATE_LOADGEN_CLOSE=1 opens
//       a new connection per request instead.
//   fifogate-loadgen floor BODY EXPECTED CONCURRENCY SECONDS
//       run `aspell -a < BODY` directly, no server: the per-request floor.
//
// Prints one line: "rps=… p50_ms=… p99_ms=… ok=… bad=…", where bad counts
// failed requests and answers whose body differs from EXPECTED.
#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char **environ;
using Clock = std::chrono::steady_clock;

static std::string slurp(const char *path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

static int connect_to(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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

// The whole request. The server reads the whole body before it answers, so
// sending it all first cannot deadlock (an early 413 just makes send fail).
static bool send_request(int s, const std::string &req) {
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = ::send(s, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

static bool answer_is(const std::string &got, size_t head_end, const std::string &expected) {
  return got.compare(0, 12, "HTTP/1.1 200") == 0 && got.size() - head_end - 4 == expected.size() &&
         got.compare(head_end + 4, std::string::npos, expected) == 0;
}

// Reads one answer: up to its Content-Length, or to EOF when it has none.
// `reusable` tells whether the connection may carry another request.
static bool read_answer(int s, const std::string &expected, bool &reusable) {
  std::string got;
  got.reserve(expected.size() + 512);
  char buf[65536];
  reusable = false;
  for (;;) {
    ssize_t n = ::recv(s, buf, sizeof buf, 0);
    if (n > 0)
      got.append(buf, static_cast<size_t>(n));
    auto end = got.find("\r\n\r\n");
    if (n <= 0)
      return end != std::string::npos && answer_is(got, end, expected);
    if (end == std::string::npos)
      continue;
    auto cl = got.find("\r\nContent-Length: ");
    if (cl == std::string::npos || cl > end)
      continue; // no length: the answer ends with the connection
    size_t len = std::strtoull(got.c_str() + cl + 18, nullptr, 10);
    if (got.size() < end + 4 + len)
      continue;
    reusable = got.find("\r\nConnection: close\r\n") > end;
    return got.size() == end + 4 + len && answer_is(got, end, expected);
  }
}

// One request on this thread's kept-alive connection (opened on first use,
// and again after the server closes it).
static bool http_keep_alive(int port, const std::string &req, const std::string &expected) {
  thread_local int s = -1;
  if (s < 0 && (s = connect_to(port)) < 0)
    return false;
  bool reusable = false;
  bool good = send_request(s, req) && read_answer(s, expected, reusable);
  if (!good || !reusable) {
    ::close(s);
    s = -1;
  }
  return good;
}

static bool http_once(int port, const std::string &req, const std::string &expected) {
  int s = connect_to(port);
  if (s < 0)
    return false;
  send_request(s, req); // a 413 may come before all is sent: read it anyway
  bool reusable = false;
  bool good = read_answer(s, expected, reusable);
  ::close(s);
  return good;
}

static bool floor_once(const char *body_path, const std::string &expected) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, body_path, O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  char *argv[] = {const_cast<char *>("aspell"), const_cast<char *>("-a"), nullptr};
  pid_t pid;
  int rc = posix_spawnp(&pid, "aspell", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return false;
  }
  std::string got;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 && got == expected;
}

int main(int argc, char **argv) {
  bool http = argc == 7 && !std::strcmp(argv[1], "http");
  bool floor = argc == 6 && !std::strcmp(argv[1], "floor");
  if (!http && !floor) {
    std::fprintf(stderr, "usage: fifogate-loadgen http PORT BODY EXPECTED C SECONDS\n"
                         "       fifogate-loadgen floor BODY EXPECTED C SECONDS\n");
    return 100;
  }
  int argi = http ? 3 : 2;
  int port = http ? std::atoi(argv[2]) : 0;
  const char *body_path = argv[argi];
  std::string body = slurp(body_path), expected = slurp(argv[argi + 1]);
  int c = std::atoi(argv[argi + 2]);
  double secs = std::atof(argv[argi + 3]);
  // The floor's aspell runs in the locale fifogate gives its command (and the
  // reference answers were made in), whatever this shell's is.
  if (floor)
    ::setenv("LC_ALL", "C.UTF-8", 1);
  const char *close_env = std::getenv("FIFOGATE_LOADGEN_CLOSE");
  bool close_each = close_env && *close_env && std::strcmp(close_env, "0") != 0;
  std::string req = "POST /process HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                    "Content-Length: " +
                    std::to_string(body.size()) + "\r\n" +
                    (close_each ? "Connection: close\r\n" : "") + "\r\n" + body;

  auto stop_at = Clock::now() +
                 std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
  std::mutex m;
  std::vector<double> lat;
  std::atomic<long> ok{0}, bad{0};
  std::vector<std::thread> ts;
  auto t0 = Clock::now();
  for (int i = 0; i < c; ++i)
    ts.emplace_back([&] {
      std::vector<double> mine;
      while (Clock::now() < stop_at) {
        auto s = Clock::now();
        bool good = !http        ? floor_once(body_path, expected)
                    : close_each ? http_once(port, req, expected)
                                 : http_keep_alive(port, req, expected);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        (good ? ok : bad)++;
      }
      std::lock_guard<std::mutex> g(m);
      lat.insert(lat.end(), mine.begin(), mine.end());
    });
  for (auto &t : ts)
    t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, size_t(p * double(lat.size())))];
  };
  // CPU per request of the load generator itself and of the commands it ran
  // (the floor's aspell): on a machine this small the client's share matters.
  auto cpu_ms = [](int who) {
    rusage ru{};
    ::getrusage(who, &ru);
    auto ms = [](const timeval &t) { return double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3; };
    return ms(ru.ru_utime) + ms(ru.ru_stime);
  };
  double n = std::max(1.0, double(ok + bad));
  std::printf("rps=%.1f p50_ms=%.2f p99_ms=%.2f ok=%ld bad=%ld client_cpu_ms=%.3f "
              "child_cpu_ms=%.3f\n",
              double(ok + bad) / elapsed, pct(0.50), pct(0.99), ok.load(), bad.load(),
              cpu_ms(RUSAGE_SELF) / n, cpu_ms(RUSAGE_CHILDREN) / n);
  return bad > 0 ? 1 : 0;
}
