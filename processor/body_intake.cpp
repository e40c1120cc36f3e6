#include "body_intake.hpp"
#include "fifogate/fd_io.hpp"
#include <cerrno>
#include <unistd.h>

namespace fifogate {

void BodyIntake::on_body(const std::string &bytes) {
  in_bytes_ += static_cast<int64_t>(bytes.size());
  if (in_bytes_ > cfg_.max_body_bytes)
    failure_.fail(Outcome::bad_input,
                  "body exceeds MAX_BODY_BYTES=" + std::to_string(cfg_.max_body_bytes));
  auto *c = child_.process();
  if (failure_.failed() || !c || !c->stdin_fd())
    return; // drained and dropped
  if (ispell_) {
    if (!utf8_.feed(bytes)) {
      failure_.fail(Outcome::bad_input, "request body is not UTF-8 text: " + utf8_.error());
      return;
    }
    escaper_.feed(bytes, to_child_);
  } else {
    to_child_ += bytes;
  }
}

void BodyIntake::on_body_end(const std::string &payload) {
  state_ = State::done;
  if (payload != std::to_string(in_bytes_)) {
    failure_.fail(Outcome::truncated, "body length mismatch: sender said " + payload + ", got " +
                                          std::to_string(in_bytes_));
    return;
  }
  if (ispell_ && !failure_.failed()) {
    if (!utf8_.finish()) {
      failure_.fail(Outcome::bad_input, "request body is not UTF-8 text: " + utf8_.error());
      return;
    }
    escaper_.finish(to_child_);
  }
  body_ended_ = true;
}

void BodyIntake::take_records() {
  while (state_ == State::receiving) {
    auto rec = parser_.next();
    if (!rec)
      break;
    if (rec->id != id_) {
      if (rec->kind == frame::Kind::begin) {
        // Our sender vanished mid-body (its lock is free again) and the next
        // request has begun: ours can never be completed.
        next_begin_ = std::move(*rec);
        state_ = State::broken;
        failure_.fail(Outcome::truncated, "body ended early: the sender went away");
      }
      continue; // a stray record of another request: never ours to use
    }
    if (rec->kind == frame::Kind::data)
      on_body(rec->payload);
    else if (rec->kind == frame::Kind::end)
      on_body_end(rec->payload);
  }
  if (state_ == State::receiving && parser_.corrupt()) {
    state_ = State::broken;
    failure_.fail(Outcome::truncated, "input FIFO carried bytes that are not records");
  }
}

void BodyIntake::read_input() {
  char buf[kReadChunk];
  for (int i = 0; i < 16 && state_ == State::receiving; ++i) {
    auto r = read_some(reader_.fd(), buf, sizeof buf);
    if (r.kind == ReadKind::data) {
      parser_.feed(buf, r.bytes);
      take_records();
      if (!failure_.failed() && to_child_.size() - to_child_pos_ >= kMaxPending)
        return;
      continue;
    }
    if (r.kind == ReadKind::eof) {
      // Every writer closed before the end record: the sender died or gave up.
      take_records();
      // A record cut short will never be finished; the next sender's must not
      // be read as its rest.
      parser_.drop_incomplete_tail();
      if (state_ == State::receiving) {
        state_ = State::broken;
        failure_.fail(Outcome::truncated, "body ended early: the sender closed the input FIFO");
      }
      if (auto rn = reader_.renew(); !rn)
        failure_.fail(Outcome::internal, rn.error().message());
    } else if (r.kind == ReadKind::error) {
      state_ = State::broken;
      failure_.fail(Outcome::internal, Error::sys("read " + ch_.input_path, r.err).message());
    }
    return;
  }
}

void BodyIntake::write_child_stdin() {
  auto &fd = child_.process()->stdin_fd();
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
    if (body_ended_ && !child_.warm())
      fd.reset(); // EOF for the command (a warm one keeps reading)
  }
}

} // namespace fifogate
