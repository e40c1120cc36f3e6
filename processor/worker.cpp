#include "worker.hpp"
#include "dictionary_identity.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/kind_file.hpp"
#include "fifogate/log.hpp"
#include "fifogate/log_fields.hpp"
#include "fifogate/worker_info.hpp"
#include "input_loop.hpp"
#include "stop_signal.hpp"
#include "warm_command.hpp"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fifogate {

namespace {

constexpr mode_t kMode = 0660; // owner and group: web and processor share a group

void say(const std::string &m) {
  log_line("processor", m);
}

// The worker cannot go on: says why and returns the exit code for that.
int fatal(const Error &e) {
  say("fatal: " + e.message());
  return 111;
}

std::string worker_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

// The shared directory and this kind's directory in it, made if missing
// (in Compose the kind's directory is its own volume, there already). A
// kind's directory is for its processors and the web only: 0770, and its
// files 0660.
Result<void> prepare_kind_dir(const Config &cfg) {
  for (const std::string &dir : {cfg.proc_dir, cfg.kind_dir()}) {
    if (::mkdir(dir.c_str(), 0770) == 0) {
      ::chmod(dir.c_str(),
              dir == cfg.proc_dir ? 0755 : 0770); // mkdir's mode is filtered by the umask
      continue;
    }
    struct stat st {};
    if (errno != EEXIST)
      return Error::sys("create directory " + dir);
    if (::stat(dir.c_str(), &st) != 0)
      return Error::sys("stat " + dir);
    if (!S_ISDIR(st.st_mode))
      return Error::logic(dir + " exists and is not a directory");
  }
  return {};
}

Result<void> prepare_paths(const Channel &ch) {
  for (const auto *p : {&ch.input_path, &ch.output_path, &ch.status_path})
    if (auto r = ensure_fifo(*p, kMode); !r)
      return r;
  for (const auto &p : {ch.lock_path, ch.owner_lock_path()}) {
    // Not through a symlink, and never a FIFO: see open_kind_file.
    auto fd = open_kind_file(p, O_RDWR | O_CREAT, kMode);
    if (!fd)
      return Error::sys("create lock file " + p, fd.error().code, fd.error().detail);
    ::fchmod(fd->get(), kMode); // O_CREAT's mode is filtered by the umask
  }
  return {};
}

// Claims the first slot whose life lock is free. While every slot is taken,
// waits as a standby: two workers on one set of FIFOs would mix their answers.
std::optional<std::pair<Channel, FileLock>> claim_slot(const Config &cfg, int stop_fd,
                                                       int &exit_code) {
  bool told = false;
  for (;;) {
    for (int k = 0; k < cfg.slots; ++k) {
      Channel ch = cfg.channel(k);
      auto got = FileLock::try_acquire(ch.owner_lock_path());
      if (!got) {
        exit_code = fatal(got.error());
        return std::nullopt;
      }
      if (*got) {
        ::fchmod((*got)->fd(), kMode);
        return std::make_pair(ch, std::move(**got));
      }
    }
    if (!told)
      say("all " + std::to_string(cfg.slots) +
          " slots (PROC_SLOTS) are taken; waiting for one to free up");
    told = true;
    if (stop_requested(stop_fd, 500)) {
      exit_code = 0;
      return std::nullopt;
    }
  }
}

// The kind's directory made, a free slot claimed, and that slot's FIFOs and
// lock files made if missing.
std::optional<std::pair<Channel, FileLock>> claim_prepared_slot(const Config &cfg, int stop_fd,
                                                                int &exit_code) {
  if (auto r = prepare_kind_dir(cfg); !r) {
    exit_code = fatal(r.error());
    return std::nullopt;
  }
  auto claimed = claim_slot(cfg, stop_fd, exit_code);
  if (!claimed)
    return std::nullopt;
  if (auto r = prepare_paths(claimed->first); !r) {
    exit_code = fatal(r.error());
    return std::nullopt;
  }
  return claimed;
}

const char *protocol_name(const Config &cfg) {
  return cfg.protocol == Protocol::ispell ? "ispell" : "raw";
}

WorkerInfo describe_worker(const Config &cfg, const CommandFacts &facts,
                           const std::string &worker) {
  WorkerInfo me;
  me.worker = worker;
  me.version = FIFOGATE_VERSION;
  me.langs = facts.dictionaries;
  me.name = cfg.name;
  me.command = cfg.command_line;
  me.protocol = protocol_name(cfg);
  me.mode = mode_name(cfg.mode);
  me.content_type = cfg.content_type;
  me.params = cfg.param_spec;
  for (const auto &h : cfg.pass_headers)
    me.pass_headers += (me.pass_headers.empty() ? "" : ",") + h;
  me.pass_request = cfg.pass_request;
  me.timeout_ms = cfg.timeout_ms;
  me.max_body_bytes = cfg.max_body_bytes;
  me.max_output_bytes = cfg.max_output_bytes;
  me.dict_id = dictionary_identity(cfg, facts);
  me.stream = stream_policy_name(cfg.stream);
  return me;
}

// What the web shows in GET /version and /languages; it lives in another
// container, so the life lock's file in the shared directory is how it learns.
void record_worker_info(const FileLock &owner, const WorkerInfo &me) {
  std::string info = encode_worker_info(me);
  if (::ftruncate(owner.fd(), 0) != 0 || ::pwrite(owner.fd(), info.data(), info.size(), 0) < 0)
    say("warning: cannot record worker info in " + owner.path());
}

// Logged, then told to whoever started the processor (--ready-fd).
void announce_ready(const Config &cfg, const CommandFacts &facts, const Channel &ch,
                    const std::string &worker, ReadySignal &ready) {
  LogFields f;
  f.add("worker", worker)
      .add("name", cfg.name)
      .quoted("command", cfg.command_line)
      .add("protocol", protocol_name(cfg))
      .add("mode", mode_name(cfg.mode));
  if (cfg.protocol == Protocol::ispell)
    f.add("checker", facts.checker == ispell::Checker::aspell ? "aspell" : "hunspell");
  f.add("slot", ch.slot).add("in", ch.input_path);
  say("ready:" + f.str());
  ready.send("ready slot=" + std::to_string(ch.slot));
}

// Warm mode: the command is started before the first request; one that does
// not start is retried per request. False when a stop signal cut it short.
bool start_warm_command(const Config &cfg, int stop_fd, std::optional<WarmCommand> &warm) {
  warm.emplace(cfg);
  if (auto r = warm->ensure_started(Deadline::in(Millis(10000)), stop_fd); !r) {
    if (stop_requested(stop_fd, 0)) {
      say("stop signal: exiting (while starting the warm command)");
      return false;
    }
    say("warning: " + r.error().message() + " (will retry per request)");
  }
  return true;
}

// Everything up to the first request, in this order: the command is learned,
// a slot claimed, the worker info recorded, the input FIFO opened, "ready"
// said, the warm command started. Nothing, with `exit_code` set, when the
// worker is to exit instead.
std::optional<ServedSlot> start_serving(const Config &cfg, int stop_fd, ReadySignal &ready,
                                        int &exit_code) {
  // Learned before the slot is claimed, so the worker info is complete as
  // soon as anyone can see this worker.
  CommandFacts facts = learn_command(cfg, stop_fd);
  if (stop_requested(stop_fd, 0)) {
    say("stop signal: exiting (while learning about the command)");
    exit_code = 0;
    return std::nullopt;
  }
  if (facts.dictionaries.empty() && cfg.protocol == Protocol::ispell)
    say("warning: no dictionaries listed for \"" + cfg.command_line +
        "\"; requests that name a lang will be refused");
  auto claimed = claim_prepared_slot(cfg, stop_fd, exit_code);
  if (!claimed)
    return std::nullopt;
  auto &[ch, owner] = *claimed;
  const std::string worker = worker_name();
  // Recorded before the input FIFO is opened: by the time this worker can
  // answer anything, the web can read what it serves.
  record_worker_info(owner, describe_worker(cfg, facts, worker));
  auto reader = FifoReader::open(ch.input_path);
  if (!reader) {
    exit_code = fatal(reader.error());
    return std::nullopt;
  }
  announce_ready(cfg, facts, ch, worker, ready);
  std::optional<ServedSlot> slot =
      ServedSlot{ch, std::move(owner), std::move(*reader), worker, std::move(facts), std::nullopt};
  if (cfg.mode == Mode::warm && !start_warm_command(cfg, stop_fd, slot->warm)) {
    exit_code = 0;
    return std::nullopt;
  }
  return slot;
}

} // namespace

int serve(const Config &cfg, int stop_fd, ReadySignal &ready) {
  int exit_code = 0;
  std::optional<ServedSlot> slot = start_serving(cfg, stop_fd, ready, exit_code);
  if (!slot)
    return exit_code;
  return InputLoop(cfg, stop_fd, *slot).run();
}

} // namespace fifogate
