#include "request_runner.hpp"
#include "child_process.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/ispell.hpp"
#include "fifogate/record_batcher.hpp"
#include "fifogate/utf8.hpp"
#include "request_command.hpp"
#include "warm_command.hpp"
#include <algorithm>
#include <deque>
#include <dirent.h>
#include <poll.h>

namespace fifogate {

namespace {

constexpr size_t kReadChunk = 65536;
// Stop reading a side when this much waits for the other: bounded memory,
// and the pipes push back on whoever is too fast.
constexpr size_t kMaxPending = 1 << 20;
// Output goes to the web in full records as it comes; the rest waits for the
// end record (one write): the web answers only once the command is done, so a
// partial record sent early would only cost a write and a wake-up of the web.
//
// aspell writes and flushes every output line (one per word), so reading
// each as it comes would wake the worker as often. In warm mode, while more
// than one answer block is still due and output streams in small pieces
// (reads less than this apart), it collects in the pipe for this long (the
// pipe holds 64 KiB, far more than aspell writes meanwhile). The last block
// is read the moment it comes, so a short answer is never delayed.
constexpr Millis kStdoutRest(1);
// A command started for one request is done only when it exits: its stdout
// is read then, or every this long while it runs (about seven wake-ups fewer
// for one sentence; aspell writes about 25 KB in this time on a large text,
// one line per word: read as it wrote, that was 1,900 wake-ups and 100 ms of
// CPU for a 1 MB body, against 260 and 14 ms)...
constexpr Millis kPerRequestRest(20);
// While the body is due and nothing comes, the input is read this often to
// see an end of file that poll does not report (see run()).
constexpr Millis kInputEndProbe(100);
// ...unless it writes at least this much in this time, half what the pipe
// holds: a fast producer is read as it writes (so it never waits on a full
// pipe), until a whole period passes with less.
constexpr size_t kFastProducer = 32768;

class Runner {
public:
  Runner(const Config &cfg, const Channel &ch, const frame::Record &begin, RequestInput in,
         std::string worker, WarmCommand *warm, const CommandFacts &facts)
      : cfg_(cfg), ch_(ch), in_(in), warm_(warm), facts_(facts),
        options_(decode_begin_options(begin.payload)), argv_(cfg.command), id_(begin.id),
        start_(Clock::now()), deadline_(start_ + Millis(cfg.timeout_ms)),
        hard_deadline_(start_ + Millis(cfg.worker_hard_deadline_ms())),
        ispell_(cfg.protocol == Protocol::ispell) {
    result_.status.id = id_;
    result_.status.worker = std::move(worker);
    result_.status.content_type = cfg.content_type;
    result_.lang = options_.lang;
    result_.streamed = options_.stream;
  }

  RunResult run();

private:
  void fail(Outcome o, std::string message);
  void choose_command();
  void take_input_records();
  void on_body(const std::string &bytes);
  void on_body_end(const std::string &payload);
  void read_input();
  void write_child_stdin();
  void read_child_stdout();
  void pace_per_request_stdout(Clock::time_point now, size_t bytes);
  void read_child_stderr();
  void emit_output(std::string_view bytes);
  void frame_unframed();
  void flush_output();
  void requester_gone();
  void finish_output();
  bool send_status(const std::string &encoded);
  bool stdin_wanted() const {
    return child_ && child_->stdin_fd() &&
           (to_child_pos_ < to_child_.size() || (body_ended_ && !warm_));
  }
  // Warm mode: every line sent has had its answer block (the sentinel's too).
  bool answer_complete() const {
    return body_ended_ && to_child_.empty() && !skipping_sentinel_ &&
           fixer_.blocks() == escaper_.answered_lines();
  }

  const Config &cfg_;
  const Channel &ch_;
  RequestInput in_;
  WarmCommand *warm_;
  const CommandFacts &facts_;
  BeginOptions options_;
  std::vector<std::string> argv_;          // the command this request runs when not warm
  std::map<std::string, std::string> env_; // and its variables
  RequestId id_;
  Clock::time_point start_;
  Deadline deadline_, hard_deadline_;
  bool ispell_;
  RunResult result_;
  std::optional<Outcome> forced_;

  enum class InState { receiving, done, broken } in_state_ = InState::receiving;
  Utf8Validator utf8_;
  ispell::InputEscaper escaper_;
  std::string to_child_;
  size_t to_child_pos_ = 0;
  bool body_ended_ = false; // the escaper has seen the end; close stdin once flushed

  std::optional<ChildProcess> owned_; // per-request mode: this request's command
  ChildProcess *child_ = nullptr;     // the command being fed (owned_ or the warm one)
  std::optional<ChildProcess::Exit> warm_exit_;
  bool stdout_open_ = false, stderr_open_ = false;

  UniqueFd out_;
  bool detached_ = false; // nobody reads the output FIFO for us
  ispell::OutputFixer fixer_;
  std::string unframed_;                  // output not yet in a record
  RecordBatcher out_batch_;               // records waiting for room in the output FIFO
  bool check_exit_ = true;                // the pidfd fired (or there is none): look
  Clock::time_point stdout_rest_until_{}; // stdout is left alone until then
  Clock::time_point last_stdout_read_{};
  Clock::time_point rate_since_{}; // per-request mode: stdout bytes counted since then
  size_t rate_bytes_ = 0;
  bool fast_producer_ = false;
  bool skipping_sentinel_ = false;  // warm: the sentinel's answer block is still due
  bool sentinel_line_start_ = true; // ... and the next byte starts a line
  int64_t out_sent_ = 0;            // payload bytes framed for the web (after ispell fixing)
  bool status_sent_ = false;
};

void Runner::fail(Outcome o, std::string message) {
  if (forced_)
    return;
  forced_ = o;
  result_.status.message = std::move(message);
  to_child_.clear();
  to_child_pos_ = 0;
  if (warm_ && child_) {
    // Its state is unknown now (half a request fed, or worse): start afresh next time.
    warm_->retire(std::string(outcome_name(o)) + ": " + result_.status.message);
    child_ = nullptr;
    stdout_open_ = stderr_open_ = false;
  } else if (child_) {
    child_->kill_group();
    child_->stdin_fd().reset();
  }
}

// What the request runs, from options off the wire: checked again here
// (request_command.cpp), never through a shell.
void Runner::choose_command() {
  auto cmd = request_command(cfg_, options_, id_, facts_.dictionaries);
  if (auto *why = std::get_if<std::string>(&cmd)) {
    fail(Outcome::bad_input, *why);
    return;
  }
  auto &c = std::get<RequestCommand>(cmd);
  argv_ = std::move(c.argv);
  env_ = std::move(c.env);
  if (c.custom)
    warm_ = nullptr; // the warm command runs as configured: a fresh one runs instead
}

void Runner::on_body(const std::string &bytes) {
  result_.in_bytes += static_cast<int64_t>(bytes.size());
  if (result_.in_bytes > cfg_.max_body_bytes)
    fail(Outcome::bad_input, "body exceeds MAX_BODY_BYTES=" + std::to_string(cfg_.max_body_bytes));
  if (forced_ || !child_ || !child_->stdin_fd())
    return; // drained and dropped
  if (ispell_) {
    if (!utf8_.feed(bytes)) {
      fail(Outcome::bad_input, "request body is not UTF-8 text: " + utf8_.error());
      return;
    }
    escaper_.feed(bytes, to_child_);
  } else {
    to_child_ += bytes;
  }
}

void Runner::on_body_end(const std::string &payload) {
  in_state_ = InState::done;
  if (payload != std::to_string(result_.in_bytes)) {
    fail(Outcome::truncated, "body length mismatch: sender said " + payload + ", got " +
                                 std::to_string(result_.in_bytes));
    return;
  }
  if (ispell_ && !forced_) {
    if (!utf8_.finish()) {
      fail(Outcome::bad_input, "request body is not UTF-8 text: " + utf8_.error());
      return;
    }
    escaper_.finish(to_child_);
  }
  body_ended_ = true;
}

void Runner::take_input_records() {
  while (in_state_ == InState::receiving) {
    auto rec = in_.parser.next();
    if (!rec)
      break;
    if (rec->id != id_) {
      if (rec->kind == frame::Kind::begin) {
        // Our sender vanished mid-body (its lock is free again) and the next
        // request has begun: ours can never be completed.
        result_.next_begin = std::move(*rec);
        in_state_ = InState::broken;
        fail(Outcome::truncated, "body ended early: the sender went away");
      }
      continue; // a stray record of another request: never ours to use
    }
    if (rec->kind == frame::Kind::data)
      on_body(rec->payload);
    else if (rec->kind == frame::Kind::end)
      on_body_end(rec->payload);
  }
  if (in_state_ == InState::receiving && in_.parser.corrupt()) {
    in_state_ = InState::broken;
    fail(Outcome::truncated, "input FIFO carried bytes that are not records");
  }
}

void Runner::read_input() {
  char buf[kReadChunk];
  for (int i = 0; i < 16 && in_state_ == InState::receiving; ++i) {
    auto r = read_some(in_.reader.fd(), buf, sizeof buf);
    if (r.kind == ReadKind::data) {
      in_.parser.feed(buf, r.bytes);
      take_input_records();
      if (!forced_ && to_child_.size() - to_child_pos_ >= kMaxPending)
        return;
      continue;
    }
    if (r.kind == ReadKind::eof) {
      // Every writer closed before the end record: the sender died or gave up.
      take_input_records();
      // A record cut short will never be finished; the next sender's must not
      // be read as its rest.
      in_.parser.drop_incomplete_tail();
      if (in_state_ == InState::receiving) {
        in_state_ = InState::broken;
        fail(Outcome::truncated, "body ended early: the sender closed the input FIFO");
      }
      if (auto rn = in_.reader.renew(); !rn)
        fail(Outcome::internal, rn.error().message());
    } else if (r.kind == ReadKind::error) {
      in_state_ = InState::broken;
      fail(Outcome::internal, Error::sys("read " + ch_.input_path, r.err).message());
    }
    return;
  }
}

void Runner::write_child_stdin() {
  auto &fd = child_->stdin_fd();
  while (fd && to_child_pos_ < to_child_.size()) {
    ssize_t n =
        ::write(fd.get(), to_child_.data() + to_child_pos_, to_child_.size() - to_child_pos_);
    if (n > 0) {
      to_child_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    // EPIPE: the command closed its stdin. What it did with it is its exit status's business.
    fd.reset();
    to_child_.clear();
    to_child_pos_ = 0;
    return;
  }
  if (to_child_pos_ == to_child_.size()) {
    to_child_.clear();
    to_child_pos_ = 0;
    if (body_ended_ && !warm_)
      fd.reset(); // EOF for the command (a warm one keeps reading)
  }
}

void Runner::emit_output(std::string_view bytes) {
  out_sent_ += static_cast<int64_t>(bytes.size());
  if (detached_ || bytes.empty())
    return;
  unframed_.append(bytes);
  size_t full = unframed_.size() - unframed_.size() % frame::kMaxPayload;
  for (size_t off = 0; off < full; off += frame::kMaxPayload)
    out_batch_.add(frame::encode(frame::Kind::data, id_,
                                 std::string_view(unframed_).substr(off, frame::kMaxPayload)));
  unframed_.erase(0, full);
}

void Runner::frame_unframed() {
  if (unframed_.empty() || detached_)
    return;
  out_batch_.add(frame::encode(frame::Kind::data, id_, unframed_));
  unframed_.clear();
}

void Runner::read_child_stdout() {
  char buf[kReadChunk];
  auto r = read_some(child_->stdout_fd().get(), buf, sizeof buf);
  if (r.kind == ReadKind::would_block)
    return;
  if (r.kind != ReadKind::data) {
    if (warm_) {
      fail(Outcome::failed, "the warm command closed its output");
      return;
    }
    stdout_open_ = false;
    child_->stdout_fd().reset();
    if (ispell_ && !forced_) {
      std::string fixed;
      fixer_.finish(fixed);
      emit_output(fixed);
    }
    return;
  }
  if (forced_)
    return; // the answer is void; just keep the pipe from blocking the command
  std::string_view got(buf, r.bytes);
  if (skipping_sentinel_) {
    // The sentinel's one answer block: lines up to the first empty one.
    size_t i = 0;
    for (; i < got.size() && skipping_sentinel_; ++i) {
      if (sentinel_line_start_ && got[i] == '\n')
        skipping_sentinel_ = false;
      sentinel_line_start_ = got[i] == '\n';
    }
    got.remove_prefix(i);
    if (got.empty())
      return;
  }
  result_.out_bytes += static_cast<int64_t>(got.size());
  // A streamed answer is not held whole anywhere: the limit on what the web
  // holds does not apply, PROC_TIMEOUT_MS still does.
  if (!options_.stream && result_.out_bytes > cfg_.max_output_bytes) {
    fail(Outcome::output_limit,
         "output exceeds MAX_OUTPUT_BYTES=" + std::to_string(cfg_.max_output_bytes));
    return;
  }
  bool rest = false;
  if (ispell_) {
    std::string fixed;
    fixer_.feed(got, fixed);
    emit_output(fixed);
    size_t due = escaper_.answered_lines() - std::min(fixer_.blocks(), escaper_.answered_lines());
    rest = due > 1 || !body_ended_;
    if (warm_ &&
        (fixer_.blocks() > escaper_.answered_lines() ||
         (fixer_.blocks() == escaper_.answered_lines() && body_ended_ && fixer_.partial())))
      fail(Outcome::failed, "the warm command answered more than it was asked");
  } else {
    emit_output(got);
  }
  if (options_.stream)
    frame_unframed(); // the client reads as it comes: no waiting for a full record
  auto now = Clock::now();
  if (ispell_ && !warm_)
    pace_per_request_stdout(now, got.size());
  else if (rest && r.bytes < sizeof buf && now - last_stdout_read_ < kStdoutRest)
    stdout_rest_until_ = now + kStdoutRest;
  last_stdout_read_ = now;
}

void Runner::pace_per_request_stdout(Clock::time_point now, size_t bytes) {
  rate_bytes_ += bytes;
  if (now - rate_since_ >= kPerRequestRest) {
    fast_producer_ = rate_bytes_ >= kFastProducer;
    rate_bytes_ = 0;
    rate_since_ = now;
  } else if (rate_bytes_ >= kFastProducer) {
    fast_producer_ = true;
  }
  stdout_rest_until_ = fast_producer_ ? now : now + kPerRequestRest;
}

void Runner::read_child_stderr() {
  char buf[kReadChunk];
  auto r = read_some(child_->stderr_fd().get(), buf, sizeof buf);
  if (r.kind == ReadKind::would_block)
    return;
  if (r.kind != ReadKind::data) {
    stderr_open_ = false;
    child_->stderr_fd().reset();
    return;
  }
  auto &err = result_.status.stderr_text;
  size_t room = kMaxStderr - err.size();
  err.append(buf, std::min(room, r.bytes));
  if (r.bytes > room)
    result_.status.stderr_truncated = true;
}

void Runner::flush_output() {
  if (out_batch_.empty() || detached_)
    return;
  if (out_batch_.flush_some(out_.get()).ok())
    return;         // all written, or the pipe is full for now
  requester_gone(); // EPIPE
}

// The requester closed its end of the output FIFO: nobody will ever read this answer.
void Runner::requester_gone() {
  detached_ = true;
  out_batch_.clear();
  unframed_.clear();
  out_.reset();
  if (!status_sent_) // else the status is settled and sent; the log says undelivered
    fail(Outcome::abandoned, "the requester stopped reading the output");
}

void Runner::finish_output() {
  if (detached_ || !out_)
    return;
  frame_unframed();
  out_batch_.add(frame::encode(frame::Kind::end, id_, std::to_string(out_sent_)));
  while (!out_batch_.empty() && !detached_) {
    flush_output();
    if (out_batch_.empty() || detached_)
      break;
    int rev = poll_one(out_.get(), POLLOUT, hard_deadline_);
    if (rev <= 0) {
      detached_ = true;
      break;
    }
  }
  out_.reset();
}

bool Runner::send_status(const std::string &encoded) {
  auto fd = try_open_fifo_writer(ch_.status_path);
  if (!fd)
    return false; // ENXIO: nobody waits for this status any more
  // A reader that holds the status FIFO but never reads must not hold the worker.
  Deadline d = Deadline::in(Millis(2000)).earlier(hard_deadline_);
  bool first = true;
  std::string_view rest = encoded;
  while (first || !rest.empty()) {
    first = false;
    auto piece = rest.substr(0, frame::kMaxPayload);
    rest.remove_prefix(piece.size());
    auto rec = frame::encode(frame::Kind::status, id_, piece, rest.empty());
    if (!write_atomic(fd->get(), rec, d, "write " + ch_.status_path))
      return false;
  }
  return true;
}

RunResult Runner::run() {
  // The requester opened its output end before sending; if it is gone, so is the request.
  if (auto o = try_open_fifo_writer(ch_.output_path); o) {
    out_ = std::move(*o);
  } else {
    detached_ = true;
    fail(Outcome::abandoned, "nobody reads the output FIFO: " + o.error().message());
  }
  choose_command();
  if (!forced_ && warm_) {
    if (auto why = warm_->stray_output())
      warm_->retire(*why);
    if (auto r = warm_->ensure_started(Deadline::in(Millis(10000)).earlier(deadline_)); !r) {
      fail(Outcome::spawn_failed, r.error().message());
    } else {
      child_ = &warm_->child();
      stdout_open_ = stderr_open_ = true;
      // The banner is part of the answer, as a fresh command's stdout would
      // have it: it counts towards MAX_OUTPUT_BYTES like the rest.
      result_.out_bytes += static_cast<int64_t>(warm_->banner().size());
      emit_output(warm_->banner());
      // Answer blocks are counted to know when the answer is complete.
      escaper_ = ispell::InputEscaper(ispell::checker_from_banner(warm_->banner()));
      to_child_ = warm_->sentinel(); // goes first; its answer is not ours
      skipping_sentinel_ = !to_child_.empty();
    }
  } else if (!forced_) {
    // What the request's body is, for a command that reads more than one
    // kind (a warm command, started once, cannot be told).
    auto c = ChildProcess::spawn(argv_, env_);
    if (c) {
      owned_.emplace(std::move(*c));
      child_ = &*owned_;
      stdout_open_ = stderr_open_ = true;
      if (ispell_) {
        escaper_ = ispell::InputEscaper(facts_.checker);
        rate_since_ = Clock::now();
        stdout_rest_until_ = rate_since_ + kPerRequestRest; // its banner can wait too
      }
    } else {
      fail(Outcome::spawn_failed, c.error().message());
    }
  }
  take_input_records();
  // Linux reports POLLHUP to a FIFO's reader only for writers that opened
  // after it did. A sender that opened, wrote and closed while our input was
  // being renewed shows its end only to read(), so read before polling, and
  // look again whenever the poll below finds nothing while the body is due.
  if (in_state_ == InState::receiving)
    read_input();
  if (stdin_wanted())
    write_child_stdin(); // a small body fits the pipe: no poll needed to send it

  bool exited = !child_;
  for (;;) {
    if (check_exit_ && warm_ && child_) {
      if (auto e = child_->try_exit()) {
        warm_exit_ = e;
        fail(Outcome::failed, "the warm command exited mid-request");
      }
    } else if (check_exit_ && child_ && !exited) {
      exited = child_->try_exit().has_value();
    }
    check_exit_ = child_ && child_->exit_fd() < 0;
    bool child_finished = warm_ ? (!child_ || answer_complete())
                                : (!child_ || (exited && !stdout_open_ && !stderr_open_));
    if (child_finished && in_state_ != InState::receiving && (out_batch_.empty() || detached_))
      break; // finish_output() frames what is left with the end record: one write
    if (hard_deadline_.expired()) {
      fail(Outcome::timeout, "worker gave up: the request did not settle in time");
      break;
    }
    if (!forced_ && deadline_.expired())
      fail(Outcome::timeout, "command ran past PROC_TIMEOUT_MS=" + std::to_string(cfg_.timeout_ms) +
                                 " and was killed");

    pollfd p[6];
    int n = 0, i_in = -1, i_stdin = -1, i_stdout = -1, i_stderr = -1, i_exit = -1;
    auto add = [&](int fd, short ev) {
      p[n] = pollfd{fd, ev, 0};
      return n++;
    };
    if (in_state_ == InState::receiving && to_child_.size() - to_child_pos_ < kMaxPending)
      i_in = add(in_.reader.fd(), POLLIN);
    if (stdin_wanted())
      i_stdin = add(child_->stdin_fd().get(), POLLOUT);
    // Once the command has exited, everything left in the pipe is read now.
    bool stdout_resting = !(owned_ && exited) && Clock::now() < stdout_rest_until_;
    if (stdout_open_ && !stdout_resting && out_batch_.bytes() + unframed_.size() < kMaxPending)
      i_stdout = add(child_->stdout_fd().get(), POLLIN);
    if (stderr_open_)
      i_stderr = add(child_->stderr_fd().get(), POLLIN);
    // POLLOUT: room in the output FIFO, flushed after the poll. Polled with
    // no events too, for POLLERR: the requester closed its end (its client
    // went away, or it gave up) and the command need not run on.
    int i_out = -1;
    if (out_ && !detached_)
      i_out = add(out_.get(), out_batch_.empty() ? 0 : POLLOUT);
    if (child_ && (warm_ || !exited) && child_->exit_fd() >= 0)
      i_exit = add(child_->exit_fd(), POLLIN);

    Deadline wake = forced_ ? hard_deadline_ : deadline_.earlier(hard_deadline_);
    if (child_ && (warm_ || !exited) && child_->exit_fd() < 0)
      wake = wake.earlier(Deadline::in(Millis(5))); // no pidfd: look now and then
    if (stdout_open_ && stdout_resting)
      wake = wake.earlier(Deadline(stdout_rest_until_));
    if (i_in >= 0)
      wake = wake.earlier(Deadline::in(kInputEndProbe));
    int r = ::poll(p, static_cast<nfds_t>(n), wake.poll_timeout_ms());
    if (r < 0 && errno != EINTR) {
      fail(Outcome::internal, Error::sys("poll").message());
      break;
    }
    if (r > 0 && i_exit >= 0 && p[i_exit].revents)
      check_exit_ = true;
    if (r == 0 && i_in >= 0)
      read_input(); // an end that poll does not report (see above)
    if (r <= 0)
      continue;
    if (i_in >= 0 && p[i_in].revents)
      read_input();
    if (i_stdin >= 0 && p[i_stdin].revents)
      write_child_stdin();
    if (i_stdout >= 0 && p[i_stdout].revents)
      read_child_stdout();
    if (i_stderr >= 0 && p[i_stderr].revents)
      read_child_stderr();
    if (!out_batch_.empty())
      flush_output(); // full records are ready: no need to wait for POLLOUT first
    else if (i_out >= 0 && (p[i_out].revents & POLLERR))
      requester_gone();
    if (stdin_wanted())
      write_child_stdin(); // new input may have arrived
  }

  // Settle the status.
  auto &s = result_.status;
  std::optional<ChildProcess::Exit> ex = warm_exit_;
  if (owned_) {
    owned_->kill_group(); // no-op unless it outlived the hard deadline
    ex = owned_->try_exit();
    owned_.reset(); // reaps if still needed
  } else if (warm_ && child_ && !forced_) {
    // Whatever it said on stderr while answering belongs to this request.
    if (stderr_open_ && poll_one(child_->stderr_fd().get(), POLLIN, Deadline::in(Millis(0))) > 0)
      read_child_stderr();
  }
  child_ = nullptr;
  // When the request was void before the command finished (bad input, a sender
  // or reader that went away), the kill we sent is not the command's result.
  bool command_result_matters =
      !forced_ || *forced_ == Outcome::timeout || *forced_ == Outcome::output_limit;
  if (ex && command_result_matters) {
    s.exit_code = ex->exit_code;
    s.signal = ex->signal;
  }
  if (forced_) {
    s.outcome = *forced_;
  } else if (warm_) {
    s.outcome = Outcome::ok; // the command keeps running; its answer was complete
    s.exit_code = 0;
    warm_->served_one();
  } else if (ex && ex->exit_code == 0) {
    s.outcome = Outcome::ok;
  } else {
    s.outcome = Outcome::failed;
    if (ex && ex->signal)
      s.message = "command killed by signal " + std::to_string(ex->signal);
    else if (ex)
      s.message = "command exited with status " + std::to_string(ex->exit_code);
  }
  if (s.outcome == Outcome::ok && ispell_ && !warm_ && !fixer_.banner_seen()) {
    s.outcome = Outcome::failed;
    s.message = "no ispell banner in the output: is PROC_COMMAND an ispell-style checker?";
  } else if (s.outcome == Outcome::ok && ispell_ && !warm_ && escaper_.cut_lines() &&
             ispell::checker_from_banner(fixer_.banner()) != facts_.checker) {
    // The long lines were escaped for another checker: its answer is not ours to trust.
    s.outcome = Outcome::failed;
    s.message = "the command's banner (" + fixer_.banner() +
                ") is not the checker the worker found at start-up; a line over 8189 bytes "
                "was escaped for the other one: restart the worker";
  }
  s.duration_ms = std::chrono::duration_cast<Millis>(Clock::now() - start_).count();
  std::string status = encode_status(s);
  // A status of one record (any but a long stderr) goes first: it waits in
  // its FIFO while the end record wakes the web, which then finds it there
  // instead of sleeping once more. A longer one could fill that FIFO, which
  // the web reads only after the output: it goes last.
  if (status.size() <= frame::kMaxPayload) {
    status_sent_ = send_status(status);
    finish_output();
  } else {
    finish_output();
    status_sent_ = send_status(status);
  }
  result_.delivered = status_sent_ && !detached_;
  return std::move(result_);
}

} // namespace

RunResult run_request(const Config &cfg, const Channel &ch, const frame::Record &begin,
                      RequestInput in, const std::string &worker_name, WarmCommand *warm,
                      const CommandFacts &facts) {
  return Runner(cfg, ch, begin, in, worker_name, warm, facts).run();
}

static std::string program_name(const std::vector<std::string> &argv) {
  if (argv.empty())
    return {};
  auto slash = argv[0].rfind('/');
  return slash == std::string::npos ? argv[0] : argv[0].substr(slash + 1);
}

std::optional<std::vector<std::string>> command_with_lang(const std::vector<std::string> &argv,
                                                          const std::string &lang) {
  std::string prog = program_name(argv);
  std::vector<std::string> out = argv;
  if (prog == "aspell") {
    out.push_back("--master=" + lang);
  } else if (prog == "hunspell" || prog == "ispell") {
    out.push_back("-d");
    out.push_back(lang);
  } else {
    return std::nullopt;
  }
  return out;
}

// stdout of a short command, or nothing when it fails, takes too long or a
// stop signal comes (stop_fd, as in learn_command).
static std::optional<std::string> capture(const std::vector<std::string> &argv, Deadline deadline,
                                          int stop_fd) {
  auto c = ChildProcess::spawn(argv);
  if (!c)
    return std::nullopt;
  c->stdin_fd().reset();
  std::string out;
  char buf[4096];
  while (out.size() < (1 << 20)) {
    if (poll_one(c->stdout_fd().get(), POLLIN, deadline, stop_fd) <= 0)
      return std::nullopt;
    auto r = read_some(c->stdout_fd().get(), buf, sizeof buf);
    if (r.kind == ReadKind::data)
      out.append(buf, r.bytes);
    else if (r.kind != ReadKind::would_block)
      break;
  }
  while (!c->try_exit()) {
    // Without a pidfd (fd -1, which poll skips) this is a 5 ms nap.
    if (deadline.expired() ||
        poll_one(c->exit_fd(), POLLIN, Deadline::in(Millis(5)).earlier(deadline), stop_fd) ==
            kStopRequested)
      return std::nullopt; // the destructor kills it
  }
  auto e = c->try_exit();
  if (e->exit_code != 0)
    return std::nullopt;
  return out;
}

static std::vector<std::string> hunspell_dictionaries() {
  std::vector<std::string> out;
  for (const char *dir :
       {"/usr/share/hunspell", "/usr/share/myspell", "/usr/share/myspell/dicts"}) {
    DIR *d = ::opendir(dir);
    if (!d)
      continue;
    while (const dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".dic") == 0)
        out.push_back(name.substr(0, name.size() - 4));
    }
    ::closedir(d);
  }
  return out;
}

static std::vector<std::string> installed_dictionaries(const Config &cfg, int stop_fd) {
  std::string prog = program_name(cfg.command);
  std::vector<std::string> names;
  if (cfg.protocol != Protocol::ispell) {
    return names;
  } else if (prog == "aspell") {
    // The configured options may move the dictionary directory: keep them, drop the -a.
    std::vector<std::string> argv;
    for (const auto &a : cfg.command)
      if (a != "-a" && a != "pipe")
        argv.push_back(a);
    argv.insert(argv.end(), {"dump", "dicts"});
    auto out = capture(argv, Deadline::in(Millis(10000)), stop_fd);
    std::string_view rest = out ? std::string_view(*out) : std::string_view();
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      names.emplace_back(rest.substr(0, nl));
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
  } else if (prog == "hunspell") {
    names = hunspell_dictionaries();
  }
  names.erase(std::remove_if(names.begin(), names.end(),
                             [](const std::string &n) { return !valid_dictionary_name(n); }),
              names.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// The first line a command prints with no input (its banner), or nothing.
// It need not exit: it is killed once that line is in.
static std::optional<std::string> first_line(const std::vector<std::string> &argv,
                                             Deadline deadline, int stop_fd) {
  auto c = ChildProcess::spawn(argv);
  if (!c)
    return std::nullopt;
  c->stdin_fd().reset();
  auto out = read_line(c->stdout_fd().get(), deadline, stop_fd);
  if (!out)
    return std::nullopt;
  return out->substr(0, out->find('\n'));
}

static ispell::Checker checker_of(const Config &cfg, int stop_fd, std::string &banner_out) {
  auto banner = first_line(cfg.command, Deadline::in(Millis(10000)), stop_fd);
  if (banner && banner->rfind("@(#)", 0) == 0) {
    banner_out = *banner;
    return ispell::checker_from_banner(*banner);
  }
  return program_name(cfg.command) == "aspell" ? ispell::Checker::aspell
                                               : ispell::Checker::hunspell;
}

CommandFacts learn_command(const Config &cfg, int stop_fd) {
  CommandFacts f;
  if (cfg.protocol != Protocol::ispell)
    return f;
  f.dictionaries = installed_dictionaries(cfg, stop_fd);
  if (stop_fd >= 0 && poll_one(stop_fd, POLLIN, Deadline::in(Millis(0))) > 0)
    return f; // stopping: no point starting the command again
  f.checker = checker_of(cfg, stop_fd, f.banner);
  return f;
}

} // namespace fifogate
