#pragma once
#include "fifogate/deadline.hpp"
#include "fifogate/record_batcher.hpp"
#include "fifogate/request_id.hpp"
#include "fifogate/unique_fd.hpp"
#include "relay_limits.hpp"
#include "request_failure.hpp"
#include <string>
#include <string_view>

namespace fifogate {

// The answer on its way out: bytes -> data records -> the output FIFO, then
// the end record with the byte count.
//
// Output goes to the web in full records as it comes; the rest waits for the
// end record (one write): the web answers only once the command is done, so a
// partial record sent early would only cost a write and a wake-up of the web.
// A streamed answer is framed as it comes instead (frame_now()).
class OutputFraming {
public:
  OutputFraming(const RequestId &id, RequestFailure &failure) : id_(id), failure_(failure) {}

  // The requester opened its output end before sending; if it is gone, so is
  // the request.
  void open(const std::string &output_path);

  // Bytes of the answer: framed once a record's worth is in.
  void emit(std::string_view bytes);
  // Frames what is in now, however little.
  void frame_now();
  // Writes what the output FIFO takes now.
  void flush();
  // The requester closed its end of the output FIFO: nobody will ever read this answer.
  void requester_gone();
  // Frames what is left with the end record and writes it all, waiting for
  // room until `until`. `status_sent`: the status went first, so a requester
  // gone by now leaves it as it is (the log says undelivered).
  void finish(const Deadline &until, bool status_sent);

  // The fd to poll, or -1: POLLOUT while records wait (events()), else no
  // events, for POLLERR: the requester closed its end.
  int poll_fd() const { return out_ && !detached_ ? out_.get() : -1; }
  short events() const;
  // Records wait for room in the output FIFO.
  bool pending() const { return !out_batch_.empty(); }
  // Nothing is left to write now, or nobody would read it.
  bool drained() const { return out_batch_.empty() || detached_; }
  // Less than kMaxPending waits: the command's stdout may be read on.
  bool has_room() const { return out_batch_.bytes() + unframed_.size() < kMaxPending; }
  bool detached() const { return detached_; }

private:
  RequestId id_;
  RequestFailure &failure_;
  UniqueFd out_;
  bool detached_ = false;   // nobody reads the output FIFO for us
  std::string unframed_;    // output not yet in a record
  RecordBatcher out_batch_; // records waiting for room in the output FIFO
  int64_t out_sent_ = 0;    // payload bytes framed for the web (after ispell fixing)
  bool status_sent_ = false;
};

} // namespace fifogate
