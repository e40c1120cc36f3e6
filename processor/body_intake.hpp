#pragma once
#include "fifogate/config.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/ispell.hpp"
#include "fifogate/utf8.hpp"
#include "relay_limits.hpp"
#include "request_child.hpp"
#include "request_failure.hpp"
#include <optional>
#include <string>

namespace fifogate {

// A request's body on its way in:
//   input FIFO records -> (ispell: UTF-8 checked, '^' per line) -> the command's stdin pipe.
// Records of other requests are dropped; a begin record of another one ends
// this body (its sender went away) and is kept for the worker.
class BodyIntake {
public:
  BodyIntake(const Config &cfg, const Channel &ch, const RequestId &id, FifoReader &reader,
             frame::Parser &parser, RequestFailure &failure, RequestChild &child)
      : cfg_(cfg), ch_(ch), id_(id), reader_(reader), parser_(parser), failure_(failure),
        child_(child), ispell_(cfg.protocol == Protocol::ispell) {}

  // Handles the records already parsed; read_input() reads more first.
  void take_records();
  void read_input();
  void write_child_stdin();

  int fd() const { return reader_.fd(); }
  bool receiving() const { return state_ == State::receiving; }
  // Still receiving, and not so far ahead of the command that the input
  // should wait in its FIFO.
  bool wants_input() const { return receiving() && to_child_.size() - to_child_pos_ < kMaxPending; }
  bool stdin_wanted() const {
    auto *c = child_.process();
    return c && c->stdin_fd() &&
           (to_child_pos_ < to_child_.size() || (body_ended_ && !child_.warm()));
  }
  // The request failed: what waits for the command's stdin never goes.
  void drop_pending() {
    to_child_.clear();
    to_child_pos_ = 0;
  }

  // ispell: lines are escaped and cut for this checker, and counted.
  void escape_for(ispell::Checker checker) { escaper_ = ispell::InputEscaper(checker); }
  // Goes to the command before the body.
  void send_first(std::string line) { to_child_ = std::move(line); }

  bool body_ended() const { return body_ended_; }
  bool all_sent() const { return to_child_.empty(); }
  const ispell::InputEscaper &escaper() const { return escaper_; }
  int64_t in_bytes() const { return in_bytes_; }
  std::optional<frame::Record> take_next_begin() { return std::move(next_begin_); }

private:
  void on_body(const std::string &bytes);
  void on_body_end(const std::string &payload);

  const Config &cfg_;
  const Channel &ch_;
  RequestId id_;
  FifoReader &reader_;    // the input FIFO, already open
  frame::Parser &parser_; // records already read from it
  RequestFailure &failure_;
  RequestChild &child_;
  bool ispell_;

  enum class State { receiving, done, broken } state_ = State::receiving;
  Utf8Validator utf8_;
  ispell::InputEscaper escaper_;
  std::string to_child_;
  size_t to_child_pos_ = 0;
  bool body_ended_ = false; // the escaper has seen the end; close stdin once flushed
  int64_t in_bytes_ = 0;
  // A begin record of another request that came while this body was due.
  std::optional<frame::Record> next_begin_;
};

} // namespace fifogate
