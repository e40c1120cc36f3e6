#pragma once
#include "body_intake.hpp"
#include "fifogate/config.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/ispell.hpp"
#include "output_framing.hpp"
#include "request_child.hpp"
#include "request_failure.hpp"
#include <string_view>

namespace fifogate {

// The command's stdout on its way to the output framing:
//   (warm: the sentinel's answer skipped) -> (ispell: offsets back) -> OutputFraming,
// paced so that a command writing a line at a time does not wake the worker
// as often, and counted against MAX_OUTPUT_BYTES (a streamed answer excepted).
class StdoutRelay {
public:
  StdoutRelay(const Config &cfg, bool stream, RequestFailure &failure, RequestChild &child,
              const BodyIntake &intake, OutputFraming &output)
      : cfg_(cfg), stream_(stream), ispell_(cfg.protocol == Protocol::ispell), failure_(failure),
        child_(child), intake_(intake), output_(output) {}

  // Warm mode: the banner the command printed when it started, part of this answer.
  void relay_banner(const std::string &banner);
  // Warm mode: the command's first answer block is the sentinel's, not ours.
  void skip_sentinel_answer(bool skip) { skipping_sentinel_ = skip; }
  // Per-request ispell mode: the command has just started (its banner can wait too).
  void start_pacing();

  void read();

  // stdout is left alone until rest_until(), unless the command has exited.
  bool resting() const { return Clock::now() < stdout_rest_until_; }
  Clock::time_point rest_until() const { return stdout_rest_until_; }
  // Warm mode: every line sent has had its answer block (the sentinel's too).
  bool answer_complete() const {
    return intake_.body_ended() && intake_.all_sent() && !skipping_sentinel_ &&
           fixer_.blocks() == intake_.escaper().answered_lines();
  }
  const ispell::OutputFixer &fixer() const { return fixer_; }
  int64_t out_bytes() const { return out_bytes_; } // stdout bytes relayed

private:
  void pace_per_request(Clock::time_point now, size_t bytes);

  const Config &cfg_;
  bool stream_; // the web streams this answer to its client
  bool ispell_;
  RequestFailure &failure_;
  RequestChild &child_;
  const BodyIntake &intake_;
  OutputFraming &output_;

  ispell::OutputFixer fixer_;
  int64_t out_bytes_ = 0;
  Clock::time_point stdout_rest_until_{}; // stdout is left alone until then
  Clock::time_point last_stdout_read_{};
  Clock::time_point rate_since_{}; // per-request mode: stdout bytes counted since then
  size_t rate_bytes_ = 0;
  bool fast_producer_ = false;
  bool skipping_sentinel_ = false;  // warm: the sentinel's answer block is still due
  bool sentinel_line_start_ = true; // ... and the next byte starts a line
};

} // namespace fifogate
