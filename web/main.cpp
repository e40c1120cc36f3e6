#include "fifogate/cli.hpp"
#include "fifogate/config.hpp"
#include "fifogate/log.hpp"
#include "http_server.hpp"
#include <csignal>
#include <cstring>
#include <iostream>
#include <malloc.h>
#include <pthread.h>
#include <thread>

namespace {

const char *kUsage = R"(usage: fifogate-web [--help | --version | --healthcheck | --ready-fd N]

The HTTP front end: GET / serves the spell-check page; POST /process hands the body
to the worker over the FIFOs and answers with the command's stdout.
SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0.
Exit codes: 0 stopped by signal, 100 bad usage or configuration, 111 system error.
--healthcheck: GET /healthz on 127.0.0.1:PORT (or WEB_SOCKET); exit 0 when the server answers
(it reports 503 there while no worker runs: that is the processor's health).
--ready-fd N: once listening, write "listening on <url>" and a newline to file
descriptor N, then close it (for a supervisor or a test to wait on).

)";

} // namespace

int main(int argc, char **argv) {
  auto cli = fifogate::parse_cli(argc, argv, "fifogate-web", kUsage);
  if (cli.action == fifogate::CliAction::exit)
    return cli.exit_code;
  bool check = cli.action == fifogate::CliAction::healthcheck;
  auto cfg = fifogate::config_from(fifogate::process_env());
  if (!cfg) {
    fifogate::log_line("web", "fatal: " + cfg.error().message());
    return 100;
  }
  if (check)
    return fifogate::http_healthcheck(*cfg);
  std::signal(SIGPIPE, SIG_IGN);
  // Request threads come and go; glibc's default of one malloc arena per thread
  // keeps each one's freed memory. Two arenas keep the resident size flat.
  mallopt(M_ARENA_MAX, 2);
  // Block the stop signals in every thread; one thread waits for them and
  // calls stop() (never from a signal handler).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  fifogate::WebServer server(*cfg);
  if (!server.config_error().empty()) {
    fifogate::log_line("web", "fatal: " + server.config_error());
    return 100;
  }
  int port = server.bind();
  if (port < 0) {
    fifogate::log_line("web", "fatal: " + server.bind_error());
    return 111;
  }
  std::string where = cfg->web_socket.empty()
                          ? "http://" + cfg->host + ":" + std::to_string(port) + "/"
                          : "unix:" + cfg->web_socket;
  fifogate::log_line("web", "listening on " + where + " (processors: " + cfg->proc_dir +
                                "/<name>, default " + cfg->default_processor + ")");
  cli.ready.send("listening on " + where);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    fifogate::log_line("web",
                       std::string("signal ") + strsignal(sig) + ": finishing requests in flight");
    server.stop();
  });
  bool ok = server.run();
  if (waiter.joinable()) {
    // run() ended without a signal (listen failed): wake the waiter and leave.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  }
  fifogate::log_line("web", "stopped");
  return ok ? 0 : 111;
}
