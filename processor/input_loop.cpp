#include "input_loop.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/log.hpp"
#include "fifogate/log_fields.hpp"
#include "request_runner.hpp"
#include "stop_signal.hpp"
#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace fifogate {

namespace {

// After a stop signal, how long a sender that holds the input FIFO open may
// send nothing before the worker gives up on it (the web writes a body it has
// already read whole, so a pause this long means it is stuck).
constexpr Millis kStopGrace(2000);

void say(const std::string &m) {
  log_line("processor", m);
}

// The worker cannot go on: says why and returns the exit code for that.
int fatal(const Error &e) {
  say("fatal: " + e.message());
  return 111;
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

} // namespace

int InputLoop::run() {
  for (;;) {
    serve_waiting_requests();
    restart_warm_command();
    if (parser_.corrupt())
      discard_until_writer_leaves();
    if (parser_.has_whole_record())
      continue; // another request's records are waiting
    report_stray_records();

    Result<Wake> woken = wait_for_input();
    if (!woken)
      return fatal(woken.error());
    std::optional<int> exit_code;
    if (*woken == Wake::stop_signal)
      exit_code = on_stop_signal();
    else if (*woken == Wake::input)
      exit_code = read_input();
    if (exit_code)
      return *exit_code;
  }
}

// Runs the requests whose records have been read, one at a time. A request
// can end by handing over the begin record of the next one: its sender gave
// up and a new request started.
void InputLoop::serve_waiting_requests() {
  std::optional<frame::Record> begin = next_begin();
  while (begin) {
    RunResult r = run_request(cfg_, slot_.channel, *begin, RequestInput{slot_.reader, parser_},
                              slot_.worker, slot_.warm ? &*slot_.warm : nullptr, slot_.facts);
    log_result(r);
    begin = std::move(r.next_begin);
    last_input_ = Clock::now(); // a stopping worker's grace runs from here
  }
}

// The first begin record among those read; the records before it are
// leftovers of a request that was given up, counted as stray.
std::optional<frame::Record> InputLoop::next_begin() {
  while (std::optional<frame::Record> rec = parser_.next()) {
    if (rec->kind == frame::Kind::begin)
      return rec;
    ++stray_;
  }
  return std::nullopt;
}

// A warm command that ended is restarted now, not on the next request's time.
void InputLoop::restart_warm_command() {
  std::optional<WarmCommand> &warm = slot_.warm;
  if (!warm || warm->running())
    return;
  if (auto r = warm->ensure_started(Deadline::in(Millis(10000)), stop_fd_);
      !r && !stop_requested(stop_fd_, 0)) // a stop is seen by wait_for_input
    say("warning: " + r.error().message());
}

// Bytes that are not records: nothing more from that writer can be trusted.
void InputLoop::discard_until_writer_leaves() {
  say("input FIFO carried bytes that are not records; dropping them until the writer leaves");
  parser_.reset();
  discarding_ = true;
}

void InputLoop::report_stray_records() {
  if (!stray_)
    return;
  say("dropped " + std::to_string(stray_) + " stray record(s) of abandoned requests");
  stray_ = 0;
}

// Waits for the input FIFO or a stop signal. Linux reports POLLHUP to a
// FIFO's reader only for writers that opened after it did, so while stopping
// every tick reads to see the end.
Result<InputLoop::Wake> InputLoop::wait_for_input() {
  pollfd p[2] = {{slot_.reader.fd(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  int n = ::poll(p, stopping_ ? 1 : 2, stopping_ ? 100 : -1);
  if (n < 0 && errno != EINTR)
    return Error::sys("poll");
  if (!stopping_ && p[1].revents)
    return Wake::stop_signal;
  if (!p[0].revents && !stopping_)
    return Wake::idle;
  return Wake::input;
}

// The input FIFO's name goes, so no new sender can open it; those that
// opened it already are served until the last one has left.
std::optional<int> InputLoop::on_stop_signal() {
  stopping_ = true;
  last_input_ = Clock::now();
  const std::string &path = slot_.channel.input_path;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    say("stop signal: exiting (" + Error::sys("unlink " + path).message() + ")");
    return 0;
  }
  say("stop signal: taking no new requests; serving those already sent");
  return std::nullopt;
}

std::optional<int> InputLoop::read_input() {
  char buf[65536];
  ReadResult r = read_some(slot_.reader.fd(), buf, sizeof buf);
  switch (r.kind) {
  case ReadKind::data:
    last_input_ = Clock::now();
    if (!discarding_)
      parser_.feed(buf, r.bytes);
    return std::nullopt;
  case ReadKind::would_block:
    if (stopping_)
      return exit_when_grace_is_over();
    return std::nullopt;
  case ReadKind::eof:
    if (stopping_)
      return on_last_sender_left();
    return on_writer_left();
  case ReadKind::error:
    return fatal(Error::sys("read " + slot_.channel.input_path, r.err));
  }
  return std::nullopt;
}

// While stopping, a sender that keeps the input FIFO open without sending
// is given kStopGrace, then left behind.
std::optional<int> InputLoop::exit_when_grace_is_over() {
  if (Clock::now() - last_input_ < kStopGrace)
    return std::nullopt;
  say("stop signal: a sender kept the input open without sending for " +
      std::to_string(kStopGrace.count()) + " ms; exiting");
  return 0;
}

// The writer left: the next one starts on a clean stream, read from a fresh
// fd (see FifoReader::renew).
std::optional<int> InputLoop::on_writer_left() {
  discarding_ = false;
  drop_incomplete_record();
  if (auto r = slot_.reader.renew(); !r)
    return fatal(r.error());
  return std::nullopt;
}

int InputLoop::on_last_sender_left() {
  // Whole records were all served before this poll: only a sender that left
  // mid-record can have left anything.
  drop_incomplete_record();
  say("stop signal: the last sender has left; exiting");
  return 0;
}

void InputLoop::drop_incomplete_record() {
  if (size_t cut = parser_.drop_incomplete_tail())
    say("dropped " + std::to_string(cut) + " bytes of an incomplete record: its writer left");
}

} // namespace fifogate
