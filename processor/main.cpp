#include "fifogate/config.hpp"
#include "fifogate/log.hpp"
#include "worker.hpp"
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {

const char *kUsage = R"(usage: fifogate-processor [--help | --version]

The worker: creates the FIFOs and lock file if missing, then runs PROC_COMMAND
once per request with its stdin fed from the input FIFO and its stdout relayed
to the output FIFO, and reports exit status and stderr on the status FIFO.
SIGTERM or SIGINT: finish the request in progress, then exit 0.
Exit codes: 0 stopped by signal, 100 bad usage or configuration, 111 system error.

)";

// fds 0-2 must be taken, or the first pipe we make could become "stdin".
void ensure_std_fds() {
  for (int fd = 0; fd < 3; ++fd)
    if (::fcntl(fd, F_GETFD) < 0)
      ::open("/dev/null", O_RDWR);
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::cout << kUsage << fifogate::config_help();
      return 0;
    }
    if (!std::strcmp(argv[i], "--version")) {
      std::cout << "fifogate-processor " FIFOGATE_VERSION "\n";
      return 0;
    }
    std::cerr << "fifogate-processor: unknown argument " << argv[i] << "\n" << kUsage;
    return 100;
  }
  ensure_std_fds();
  auto cfg = fifogate::config_from(fifogate::process_env());
  if (!cfg) {
    fifogate::log_line("processor", "fatal: " + cfg.error().message());
    return 100;
  }
  // Writes to a FIFO whose reader left must fail with EPIPE, not kill us.
  // (The command gets every signal back to default before exec.)
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  int sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    fifogate::log_line("processor", "fatal: signalfd failed");
    return 111;
  }
  return fifogate::serve(*cfg, sfd);
}
