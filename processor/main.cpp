#include "fifogate/cli.hpp"
#include "fifogate/config.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/kind_file.hpp"
#include "fifogate/log.hpp"
#include "fifogate/worker_info.hpp"
#include "worker.hpp"
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const char *kUsage =
    R"(usage: fifogate-processor [--help | --version | --healthcheck | --ready-fd N]

The worker: creates the FIFOs and lock file if missing, then runs PROC_COMMAND
once per request with its stdin fed from the input FIFO and its stdout relayed
to the output FIFO, and reports exit status and stderr on the status FIFO.
SIGTERM or SIGINT: finish the request in progress, then exit 0.
Exit codes: 0 stopped by signal, 100 bad usage or configuration, 111 system error.
--healthcheck: exit 0 when a processor of this host holds a slot whose FIFOs exist.
--ready-fd N: once serving a slot, write "ready" and a newline to file descriptor
N, then close it (for a supervisor or a test to wait on).

)";

// The host name a worker's life-lock file names it by ("worker=HOST:PID").
std::string host_of_owner(const std::string &owner_path) {
  auto text = fifogate::read_kind_file(owner_path, 64 * 1024);
  std::string worker = fifogate::parse_worker_info(0, text ? *text : std::string()).worker;
  auto colon = worker.rfind(':');
  return colon == std::string::npos ? std::string() : worker.substr(0, colon);
}

// Healthy when a processor of this host (in Compose: of this container) holds
// a slot and its FIFOs are there. Another container's worker does not make
// this one healthy; a standby (all slots taken) is not serving.
int healthcheck(const fifogate::Config &cfg) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  int live = 0, mine = 0;
  for (int k = 0; k < cfg.slots; ++k) {
    auto ch = cfg.channel(k);
    auto held = fifogate::is_locked(ch.owner_lock_path());
    struct stat st {};
    if (!held.ok() || !*held || ::stat(ch.input_path.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode))
      continue;
    ++live;
    if (host_of_owner(ch.owner_lock_path()) == host)
      ++mine;
  }
  if (mine == 0) {
    std::cerr << "unhealthy: no processor of this host (" << host << ") serves any of the "
              << cfg.slots << " slots of kind " << cfg.name << " in " << cfg.kind_dir()
              << (live ? " (" + std::to_string(live) +
                             " served from elsewhere: this one is a standby, or still starting)"
                       : std::string())
              << "\n";
    return 1;
  }
  std::cout << "healthy: " << mine << " worker(s) of this host, " << live << " in all\n";
  return 0;
}

// fds 0-2 must be taken, or the first pipe we make could become "stdin".
void ensure_std_fds() {
  for (int fd = 0; fd < 3; ++fd)
    if (::fcntl(fd, F_GETFD) < 0)
      ::open("/dev/null", O_RDWR);
}

} // namespace

int main(int argc, char **argv) {
  auto cli = fifogate::parse_cli(argc, argv, "fifogate-processor", kUsage);
  if (cli.action == fifogate::CliAction::exit)
    return cli.exit_code;
  bool check = cli.action == fifogate::CliAction::healthcheck;
  ensure_std_fds();
  auto cfg = fifogate::config_from(fifogate::process_env());
  if (!cfg) {
    fifogate::log_line("processor", "fatal: " + cfg.error().message());
    return 100;
  }
  if (check)
    return healthcheck(*cfg);
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
  return fifogate::serve(*cfg, sfd, cli.ready);
}
