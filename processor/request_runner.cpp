#include "request_runner.hpp"
#include "body_intake.hpp"
#include "output_framing.hpp"
#include "request_child.hpp"
#include "request_command.hpp"
#include "request_failure.hpp"
#include "status_settling.hpp"
#include "stdout_relay.hpp"
#include "warm_command.hpp"
#include <cerrno>
#include <poll.h>

namespace fifogate {

namespace {

// While the body is due and nothing comes, the input is read this often to
// see an end of file that poll does not report (see take_early_input()).
constexpr Millis kInputEndProbe(100);

// The fds one turn of the relay waits on. An index of -1 (not polled) has no events.
class PollSet {
public:
  int add(int fd, short events) {
    p_[n_] = pollfd{fd, events, 0};
    return n_++;
  }
  int wait(const Deadline &wake) {
    return ::poll(p_, static_cast<nfds_t>(n_), wake.poll_timeout_ms());
  }
  short revents(int i) const { return i >= 0 ? p_[i].revents : 0; }

private:
  pollfd p_[6];
  int n_ = 0;
};

class Runner {
public:
  Runner(const Config &cfg, const Channel &ch, const frame::Record &begin, RequestInput in,
         std::string worker, WarmCommand *warm, const CommandFacts &facts)
      : cfg_(cfg), ch_(ch), facts_(facts), warm_(warm),
        options_(decode_begin_options(begin.payload)), id_(begin.id), start_(Clock::now()),
        deadline_(start_ + Millis(cfg.timeout_ms)),
        hard_deadline_(start_ + Millis(cfg.worker_hard_deadline_ms())),
        ispell_(cfg.protocol == Protocol::ispell),
        failure_(result_.status.message, [this](Outcome o) { on_failure(o); }),
        output_(id_, failure_), child_(failure_),
        intake_(cfg, ch, id_, in.reader, in.parser, failure_, child_),
        relay_(cfg, options_.stream, failure_, child_, intake_, output_) {
    result_.status.id = id_;
    result_.status.worker = std::move(worker);
    result_.status.content_type = cfg.content_type;
    result_.lang = options_.lang;
    result_.streamed = options_.stream;
  }

  RunResult run();

private:
  void fail(Outcome o, std::string message) { failure_.fail(o, std::move(message)); }
  void on_failure(Outcome o);
  std::optional<RequestCommand> choose_command();
  void start_command(const RequestCommand &command);
  void take_early_input();
  void relay_until_done();
  bool command_done();
  bool poll_and_relay();
  void settle_status();
  void deliver_status_and_output();

  const Config &cfg_;
  const Channel &ch_;
  const CommandFacts &facts_;
  WarmCommand *warm_; // warm mode: the command kept between requests
  BeginOptions options_;
  RequestId id_;
  Clock::time_point start_;
  Deadline deadline_, hard_deadline_;
  bool ispell_;
  RunResult result_;

  RequestFailure failure_;
  OutputFraming output_;
  RequestChild child_;
  BodyIntake intake_;
  StdoutRelay relay_;
};

// The first failure: nothing more goes to the command, which is given up.
void Runner::on_failure(Outcome o) {
  intake_.drop_pending();
  child_.abandon(o, failure_.message());
}

// What the request runs, from options off the wire: checked again here
// (request_command.cpp), never through a shell.
std::optional<RequestCommand> Runner::choose_command() {
  auto cmd = request_command(cfg_, options_, id_, facts_.dictionaries);
  if (auto *why = std::get_if<std::string>(&cmd)) {
    fail(Outcome::bad_input, *why);
    return std::nullopt;
  }
  return std::move(std::get<RequestCommand>(cmd));
}

void Runner::start_command(const RequestCommand &command) {
  // The warm command runs as configured: a fresh one runs instead of a custom one.
  if (warm_ && !command.custom) {
    if (auto r = child_.start_warm(*warm_, Deadline::in(Millis(10000)).earlier(deadline_)); !r) {
      fail(Outcome::spawn_failed, r.error().message());
      return;
    }
    relay_.relay_banner(warm_->banner());
    // Answer blocks are counted to know when the answer is complete.
    intake_.escape_for(ispell::checker_from_banner(warm_->banner()));
    intake_.send_first(warm_->sentinel()); // goes first; its answer is not ours
    relay_.skip_sentinel_answer(!warm_->sentinel().empty());
    return;
  }
  // What the request's body is, for a command that reads more than one
  // kind (a warm command, started once, cannot be told).
  if (auto r = child_.spawn(command.argv, command.env); !r) {
    fail(Outcome::spawn_failed, r.error().message());
    return;
  }
  if (ispell_) {
    intake_.escape_for(facts_.checker);
    relay_.start_pacing(); // its banner can wait too
  }
}

void Runner::take_early_input() {
  intake_.take_records();
  // Linux reports POLLHUP to a FIFO's reader only for writers that opened
  // after it did. A sender that opened, wrote and closed while our input was
  // being renewed shows its end only to read(), so read before polling, and
  // look again whenever the poll below finds nothing while the body is due.
  if (intake_.receiving())
    intake_.read_input();
  if (intake_.stdin_wanted())
    intake_.write_child_stdin(); // a small body fits the pipe: no poll needed to send it
}

bool Runner::command_done() {
  if (!child_.process())
    return true;
  if (child_.warm())
    return relay_.answer_complete();
  return child_.exited() && !child_.stdout_open() && !child_.stderr_open();
}

void Runner::relay_until_done() {
  for (;;) {
    child_.look_for_exit();
    if (command_done() && !intake_.receiving() && output_.drained())
      break; // finish() frames what is left with the end record: one write
    if (hard_deadline_.expired()) {
      fail(Outcome::timeout, "worker gave up: the request did not settle in time");
      break;
    }
    if (!failure_.failed() && deadline_.expired())
      fail(Outcome::timeout, "command ran past PROC_TIMEOUT_MS=" + std::to_string(cfg_.timeout_ms) +
                                 " and was killed");
    if (!poll_and_relay())
      break;
  }
}

// One wait for whatever can move the request on, and the moves. False when
// the wait itself failed.
bool Runner::poll_and_relay() {
  PollSet ps;
  int i_in = -1, i_stdin = -1, i_stdout = -1, i_stderr = -1, i_out = -1, i_exit = -1;
  if (intake_.wants_input())
    i_in = ps.add(intake_.fd(), POLLIN);
  if (intake_.stdin_wanted())
    i_stdin = ps.add(child_.process()->stdin_fd().get(), POLLOUT);
  // Once the command has exited, everything left in the pipe is read now.
  bool stdout_resting = !child_.owned_exited() && relay_.resting();
  if (child_.stdout_open() && !stdout_resting && output_.has_room())
    i_stdout = ps.add(child_.process()->stdout_fd().get(), POLLIN);
  if (child_.stderr_open())
    i_stderr = ps.add(child_.process()->stderr_fd().get(), POLLIN);
  // POLLOUT: room in the output FIFO, flushed after the poll. Polled with
  // no events too, for POLLERR: the requester closed its end (its client
  // went away, or it gave up) and the command need not run on.
  if (output_.poll_fd() >= 0)
    i_out = ps.add(output_.poll_fd(), output_.events());
  if (child_.exit_due() && child_.exit_fd() >= 0)
    i_exit = ps.add(child_.exit_fd(), POLLIN);

  Deadline wake = failure_.failed() ? hard_deadline_ : deadline_.earlier(hard_deadline_);
  if (child_.exit_due() && child_.exit_fd() < 0)
    wake = wake.earlier(Deadline::in(Millis(5))); // no pidfd: look now and then
  if (child_.stdout_open() && stdout_resting)
    wake = wake.earlier(Deadline(relay_.rest_until()));
  if (i_in >= 0)
    wake = wake.earlier(Deadline::in(kInputEndProbe));
  int r = ps.wait(wake);
  if (r < 0 && errno != EINTR) {
    fail(Outcome::internal, Error::sys("poll").message());
    return false;
  }
  if (r > 0 && ps.revents(i_exit))
    child_.exit_signalled();
  if (r == 0 && i_in >= 0)
    intake_.read_input(); // an end that poll does not report (see take_early_input())
  if (r <= 0)
    return true;
  // Each step may fail the request, and a warm command given up then is
  // gone: the steps after it in this turn must not reach for it.
  if (ps.revents(i_in))
    intake_.read_input();
  if (ps.revents(i_stdin) && child_.process())
    intake_.write_child_stdin();
  if (ps.revents(i_stdout) && child_.process())
    relay_.read();
  if (ps.revents(i_stderr) && child_.process())
    child_.read_stderr();
  if (output_.pending())
    output_.flush(); // full records are ready: no need to wait for POLLOUT first
  else if (ps.revents(i_out) & POLLERR)
    output_.requester_gone();
  if (intake_.stdin_wanted())
    intake_.write_child_stdin(); // new input may have arrived
  return true;
}

void Runner::settle_status() {
  auto &s = result_.status;
  auto exit = child_.release(failure_.failed());
  s.stderr_text = child_.take_stderr();
  s.stderr_truncated = child_.stderr_truncated();
  CommandEnd end;
  end.failure = failure_.outcome();
  end.exit = exit;
  end.warm = child_.warm();
  end.check_banner = ispell_ && !child_.warm();
  end.fixer = &relay_.fixer();
  end.cut_lines = intake_.escaper().cut_lines();
  end.checker = facts_.checker;
  fifogate::settle_status(s, end);
  if (!failure_.failed() && child_.warm())
    child_.warm_command()->served_one();
  s.duration_ms = std::chrono::duration_cast<Millis>(Clock::now() - start_).count();
}

void Runner::deliver_status_and_output() {
  std::string status = encode_status(result_.status);
  // A status of one record (any but a long stderr) goes first: it waits in
  // its FIFO while the end record wakes the web, which then finds it there
  // instead of sleeping once more. A longer one could fill that FIFO, which
  // the web reads only after the output: it goes last.
  bool status_sent = false;
  if (status.size() <= frame::kMaxPayload) {
    status_sent = send_status(ch_.status_path, id_, status, hard_deadline_);
    output_.finish(hard_deadline_, status_sent);
  } else {
    output_.finish(hard_deadline_, status_sent);
    status_sent = send_status(ch_.status_path, id_, status, hard_deadline_);
  }
  result_.delivered = status_sent && !output_.detached();
}

RunResult Runner::run() {
  output_.open(ch_.output_path);
  auto command = choose_command();
  if (command && !failure_.failed())
    start_command(*command);
  take_early_input();
  relay_until_done();
  settle_status();
  deliver_status_and_output();
  result_.in_bytes = intake_.in_bytes();
  result_.out_bytes = relay_.out_bytes();
  result_.next_begin = intake_.take_next_begin();
  return std::move(result_);
}

} // namespace

RunResult run_request(const Config &cfg, const Channel &ch, const frame::Record &begin,
                      RequestInput in, const std::string &worker_name, WarmCommand *warm,
                      const CommandFacts &facts) {
  return Runner(cfg, ch, begin, in, worker_name, warm, facts).run();
}

} // namespace fifogate
