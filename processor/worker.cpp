#include "worker.hpp"
#include "dictionary_identity.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/kind_file.hpp"
#include "fifogate/log.hpp"
#include "fifogate/log_fields.hpp"
#include "fifogate/worker_info.hpp"
#include "request_runner.hpp"
#include "warm_command.hpp"
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fifogate {

namespace {

constexpr mode_t kMode = 0660; // owner and group: web and processor share a group
// After a stop signal, how long a sender that holds the input FIFO open may
// send nothing before the worker gives up on it (the web writes a body it has
// already read whole, so a pause this long means it is stuck).
constexpr Millis kStopGrace(2000);

void say(const std::string &m) {
  log_line("processor", m);
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

// True when a stop signal is pending. poll does not consume it: every later
// look (and the main loop's poll) sees it too.
bool stop_requested(int stop_fd, int timeout_ms) {
  pollfd p{stop_fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

void log_result(const RunResult &r) {
  const auto &s = r.status;
  LogFields f;
  f.add("outcome", outcome_name(s.outcome)).add("exit", s.exit_code);
  if (s.signal)
    f.add("signal", s.signal);
  if (!r.lang.empty())
    f.add("lang", r.lang);
  if (r.streamed)
    f.add("stream", "1");
  f.add("in", std::to_string(r.in_bytes) + "B").add("out", std::to_string(r.out_bytes) + "B");
  std::string line = "req=" + s.id.hex() + f.str() + " " + std::to_string(s.duration_ms) + "ms";
  if (!r.delivered)
    line += " answer=undelivered";
  if (!s.message.empty())
    line += LogFields().quoted("msg", s.message).str();
  say(line);
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
        say("fatal: " + got.error().message());
        exit_code = 111;
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

} // namespace

int serve(const Config &cfg, int stop_fd, ReadySignal &ready) {
  int exit_code = 0;
  // Listed before the slot is claimed, so the info below is complete as soon
  // as anyone can see this worker.
  const CommandFacts facts = learn_command(cfg, stop_fd);
  if (stop_requested(stop_fd, 0)) {
    say("stop signal: exiting (while learning about the command)");
    return 0;
  }
  const std::vector<std::string> &dictionaries = facts.dictionaries;
  if (dictionaries.empty() && cfg.protocol == Protocol::ispell)
    say("warning: no dictionaries listed for \"" + cfg.command_line +
        "\"; requests that name a lang will be refused");
  if (auto r = prepare_kind_dir(cfg); !r) {
    say("fatal: " + r.error().message());
    return 111;
  }
  auto claimed = claim_slot(cfg, stop_fd, exit_code);
  if (!claimed)
    return exit_code;
  const Channel ch = claimed->first;
  std::optional<FileLock> owner = std::move(claimed->second);
  if (auto r = prepare_paths(ch); !r) {
    say("fatal: " + r.error().message());
    return 111;
  }
  std::string name = worker_name();
  // What the web shows in GET /version and /languages; it lives in another
  // container, so this file in the shared directory is how it learns.
  WorkerInfo me;
  me.worker = name;
  me.version = FIFOGATE_VERSION;
  me.langs = dictionaries;
  me.name = cfg.name;
  me.command = cfg.command_line;
  me.protocol = cfg.protocol == Protocol::ispell ? "ispell" : "raw";
  me.mode = cfg.mode == Mode::warm ? "warm" : "per-request";
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
  std::string info = encode_worker_info(me);
  if (::ftruncate(owner->fd(), 0) != 0 || ::pwrite(owner->fd(), info.data(), info.size(), 0) < 0)
    say("warning: cannot record worker info in " + ch.owner_lock_path());

  auto reader = FifoReader::open(ch.input_path);
  if (!reader) {
    say("fatal: " + reader.error().message());
    return 111;
  }
  LogFields ready_fields;
  ready_fields.add("worker", name)
      .add("name", cfg.name)
      .quoted("command", cfg.command_line)
      .add("protocol", cfg.protocol == Protocol::ispell ? "ispell" : "raw")
      .add("mode", cfg.mode == Mode::warm ? "warm" : "per-request");
  if (cfg.protocol == Protocol::ispell)
    ready_fields.add("checker", facts.checker == ispell::Checker::aspell ? "aspell" : "hunspell");
  ready_fields.add("slot", ch.slot).add("in", ch.input_path);
  say("ready:" + ready_fields.str());
  ready.send("ready slot=" + std::to_string(ch.slot));

  std::optional<WarmCommand> warm;
  if (cfg.mode == Mode::warm) {
    warm.emplace(cfg);
    if (auto r = warm->ensure_started(Deadline::in(Millis(10000)), stop_fd); !r) {
      if (stop_requested(stop_fd, 0)) {
        say("stop signal: exiting (while starting the warm command)");
        return 0;
      }
      say("warning: " + r.error().message() + " (will retry per request)");
    }
  }
  frame::Parser parser;
  bool discarding = false; // after garbage: drop bytes until that writer leaves
  uint64_t stray = 0;
  // After a stop signal: the input FIFO's name is gone, so no new sender can
  // open it (ENOENT: the web tries another worker), and those that opened it
  // already are served until the last one has left.
  bool stopping = false;
  auto last_input = Clock::now();
  for (;;) {
    std::optional<frame::Record> begin;
    while (!begin) {
      auto rec = parser.next();
      if (!rec)
        break;
      if (rec->kind == frame::Kind::begin)
        begin = std::move(rec);
      else
        ++stray; // leftovers of a request that was given up
    }
    while (begin) {
      RunResult r = run_request(cfg, ch, *begin, RequestInput{*reader, parser}, name,
                                warm ? &*warm : nullptr, facts);
      log_result(r);
      begin = std::move(r.next_begin);
      last_input = Clock::now(); // a stopping worker's grace runs from here
    }
    if (warm && !warm->running()) // restart now, not on the next request's time
      if (auto rs = warm->ensure_started(Deadline::in(Millis(10000)), stop_fd);
          !rs && !stop_requested(stop_fd, 0)) // a stop is seen by the poll below
        say("warning: " + rs.error().message());
    if (parser.corrupt()) {
      say("input FIFO carried bytes that are not records; dropping them until the writer leaves");
      parser.reset();
      discarding = true;
    }
    if (parser.has_whole_record())
      continue; // another request's records are waiting
    if (stray) {
      say("dropped " + std::to_string(stray) + " stray record(s) of abandoned requests");
      stray = 0;
    }

    // Linux reports POLLHUP to a FIFO's reader only for writers that opened
    // after it did, so while stopping every tick reads to see the end.
    pollfd p[2] = {{reader->fd(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    int n = ::poll(p, stopping ? 1 : 2, stopping ? 100 : -1);
    if (n < 0 && errno != EINTR) {
      say("fatal: " + Error::sys("poll").message());
      return 111;
    }
    if (!stopping && p[1].revents) {
      stopping = true;
      last_input = Clock::now();
      if (::unlink(ch.input_path.c_str()) != 0 && errno != ENOENT) {
        say("stop signal: exiting (" + Error::sys("unlink " + ch.input_path).message() + ")");
        return 0;
      }
      say("stop signal: taking no new requests; serving those already sent");
      continue;
    }
    if (!p[0].revents && !stopping)
      continue;
    char buf[65536];
    auto r = read_some(reader->fd(), buf, sizeof buf);
    if (stopping && r.kind == ReadKind::would_block) {
      if (Clock::now() - last_input < kStopGrace)
        continue;
      say("stop signal: a sender kept the input open without sending for " +
          std::to_string(kStopGrace.count()) + " ms; exiting");
      return 0;
    }
    if (stopping && r.kind == ReadKind::eof) {
      // Whole records were all served before this poll: only a sender that
      // left mid-record can have left anything.
      if (size_t cut = parser.drop_incomplete_tail())
        say("dropped " + std::to_string(cut) + " bytes of an incomplete record: its writer left");
      say("stop signal: the last sender has left; exiting");
      return 0;
    }
    if (r.kind == ReadKind::data) {
      last_input = Clock::now();
      if (!discarding)
        parser.feed(buf, r.bytes);
    } else if (r.kind == ReadKind::eof) {
      discarding = false;
      if (size_t cut = parser.drop_incomplete_tail())
        say("dropped " + std::to_string(cut) + " bytes of an incomplete record: its writer left");
      if (auto rn = reader->renew(); !rn) {
        say("fatal: " + rn.error().message());
        return 111;
      }
    } else if (r.kind == ReadKind::error) {
      say("fatal: " + Error::sys("read " + ch.input_path, r.err).message());
      return 111;
    }
  }
}

} // namespace fifogate
