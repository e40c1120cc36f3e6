#include "stdout_relay.hpp"
#include "fifogate/fd_io.hpp"
#include "relay_limits.hpp"
#include <algorithm>
#include <string>

namespace fifogate {

namespace {

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
// ...unless it writes at least this much in this time, half what the pipe
// holds: a fast producer is read as it writes (so it never waits on a full
// pipe), until a whole period passes with less.
constexpr size_t kFastProducer = 32768;

} // namespace

void StdoutRelay::relay_banner(const std::string &banner) {
  // The banner is part of the answer, as a fresh command's stdout would
  // have it: it counts towards MAX_OUTPUT_BYTES like the rest.
  out_bytes_ += static_cast<int64_t>(banner.size());
  output_.emit(banner);
}

void StdoutRelay::start_pacing() {
  rate_since_ = Clock::now();
  stdout_rest_until_ = rate_since_ + kPerRequestRest;
}

void StdoutRelay::read() {
  char buf[kReadChunk];
  auto r = read_some(child_.process()->stdout_fd().get(), buf, sizeof buf);
  if (r.kind == ReadKind::would_block)
    return;
  if (r.kind != ReadKind::data) {
    if (child_.warm()) {
      failure_.fail(Outcome::failed, "the warm command closed its output");
      return;
    }
    child_.close_stdout();
    if (ispell_ && !failure_.failed()) {
      std::string fixed;
      fixer_.finish(fixed);
      output_.emit(fixed);
    }
    return;
  }
  if (failure_.failed())
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
  out_bytes_ += static_cast<int64_t>(got.size());
  // A streamed answer is not held whole anywhere: the limit on what the web
  // holds does not apply, PROC_TIMEOUT_MS still does.
  if (!stream_ && out_bytes_ > cfg_.max_output_bytes) {
    failure_.fail(Outcome::output_limit,
                  "output exceeds MAX_OUTPUT_BYTES=" + std::to_string(cfg_.max_output_bytes));
    return;
  }
  bool rest = false;
  if (ispell_) {
    std::string fixed;
    fixer_.feed(got, fixed);
    output_.emit(fixed);
    const auto &escaper = intake_.escaper();
    size_t due = escaper.answered_lines() - std::min(fixer_.blocks(), escaper.answered_lines());
    rest = due > 1 || !intake_.body_ended();
    if (child_.warm() &&
        (fixer_.blocks() > escaper.answered_lines() ||
         (fixer_.blocks() == escaper.answered_lines() && intake_.body_ended() && fixer_.partial())))
      failure_.fail(Outcome::failed, "the warm command answered more than it was asked");
  } else {
    output_.emit(got);
  }
  if (stream_)
    output_.frame_now(); // the client reads as it comes: no waiting for a full record
  auto now = Clock::now();
  if (ispell_ && !child_.warm())
    pace_per_request(now, got.size());
  else if (rest && r.bytes < sizeof buf && now - last_stdout_read_ < kStdoutRest)
    stdout_rest_until_ = now + kStdoutRest;
  last_stdout_read_ = now;
}

void StdoutRelay::pace_per_request(Clock::time_point now, size_t bytes) {
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

} // namespace fifogate
