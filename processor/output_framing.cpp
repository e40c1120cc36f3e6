#include "output_framing.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/frame.hpp"
#include <poll.h>

namespace fifogate {

void OutputFraming::open(const std::string &output_path) {
  if (auto o = try_open_fifo_writer(output_path); o) {
    out_ = std::move(*o);
  } else {
    detached_ = true;
    failure_.fail(Outcome::abandoned, "nobody reads the output FIFO: " + o.error().message());
  }
}

short OutputFraming::events() const {
  return out_batch_.empty() ? 0 : POLLOUT;
}

void OutputFraming::emit(std::string_view bytes) {
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

void OutputFraming::frame_now() {
  if (unframed_.empty() || detached_)
    return;
  out_batch_.add(frame::encode(frame::Kind::data, id_, unframed_));
  unframed_.clear();
}

void OutputFraming::flush() {
  if (out_batch_.empty() || detached_)
    return;
  if (out_batch_.flush_some(out_.get()).ok())
    return;         // all written, or the pipe is full for now
  requester_gone(); // EPIPE
}

void OutputFraming::requester_gone() {
  detached_ = true;
  out_batch_.clear();
  unframed_.clear();
  out_.reset();
  if (!status_sent_) // else the status is settled and sent; the log says undelivered
    failure_.fail(Outcome::abandoned, "the requester stopped reading the output");
}

void OutputFraming::finish(const Deadline &until, bool status_sent) {
  status_sent_ = status_sent;
  if (detached_ || !out_)
    return;
  frame_now();
  out_batch_.add(frame::encode(frame::Kind::end, id_, std::to_string(out_sent_)));
  while (!out_batch_.empty() && !detached_) {
    flush();
    if (out_batch_.empty() || detached_)
      break;
    int rev = poll_one(out_.get(), POLLOUT, until);
    if (rev <= 0) {
      detached_ = true;
      break;
    }
  }
  out_.reset();
}

} // namespace fifogate
