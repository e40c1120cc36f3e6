#include "exchange.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/kind_file.hpp"
#include "fifogate/log.hpp"
#include "fifogate/record_batcher.hpp"
#include "fifogate/worker_info.hpp"
#include "output_pipe.hpp"
#include <atomic>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <unistd.h>

namespace fifogate {

const char *exchange_error_name(ExchangeError e) {
  switch (e) {
  case ExchangeError::none:
    return "none";
  case ExchangeError::busy:
    return "busy";
  case ExchangeError::no_worker:
    return "no_worker";
  case ExchangeError::worker_lost:
    return "worker_lost";
  case ExchangeError::timeout:
    return "timeout";
  case ExchangeError::protocol:
    return "protocol";
  case ExchangeError::internal:
    return "internal";
  case ExchangeError::client_gone:
    return "client_gone";
  }
  return "internal";
}

namespace {

// How often a waiting reader checks that the worker is still the same one.
constexpr Millis kLivenessTick(50);

// What the file holds (the first 512 bytes); empty when it is not there.
Result<std::string> read_small_file(const std::string &path) {
  return read_kind_file(path, 512);
}

// The worker serving this request, identified by its life lock and the name
// it wrote there. Gone or replaced means our request is lost with it.
class WorkerWatch {
public:
  explicit WorkerWatch(std::string owner_path) : path_(std::move(owner_path)) {
    if (auto id = read_small_file(path_))
      identity_ = std::move(*id);
  }
  // False when the worker is gone or replaced. A look that cannot be taken
  // (the web out of file descriptors) is an error: it says nothing of the
  // worker, and the caller's deadline still bounds the wait.
  Result<bool> alive() const {
    auto locked = is_locked(path_);
    if (!locked)
      return locked.error();
    if (!*locked)
      return false;
    if (!identity_)
      return true; // unknown from the start: the lock is all there is to go by
    auto now = read_small_file(path_);
    if (!now)
      return now.error();
    return *now == *identity_;
  }
  std::string name() const {
    if (!identity_)
      return {};
    return parse_worker_info(0, *identity_).worker;
  }

private:
  std::string path_;
  std::optional<std::string> identity_; // none: it could not be read
};

struct Failure {
  ExchangeError error;
  std::string detail;
};

// Reads records of kind `kind` for `id` from a FIFO until one flagged last
// arrives; everything else (a late worker's answer to a request that gave up)
// is dropped. End of file is not the end: the worker may not have opened its
// end yet, or a stale writer just left, so the reader renews and waits on.
class RecordReader {
public:
  // `stream`: a streamed answer's pipe, whose client may leave while the
  // command says nothing; then the wait ends (client_gone).
  RecordReader(FifoReader &reader, const RequestId &id, const WorkerWatch &watch,
               const std::atomic<bool> &cancel, const OutputPipe *stream = nullptr)
      : reader_(reader), id_(id), watch_(watch), cancel_(cancel), stream_(stream) {}

  // Calls on_record for each of our records until `done` returns true.
  template <class OnRecord>
  std::optional<Failure> run(const Deadline &deadline, const std::string &what,
                             OnRecord on_record) {
    char buf[65536];
    auto next_check = Clock::now() + kLivenessTick;
    for (;;) {
      while (auto rec = parser_.next()) {
        if (rec->id != id_)
          continue;
        if (auto f = on_record(*rec); f)
          return f->error == ExchangeError::none ? std::nullopt : f;
      }
      if (parser_.corrupt()) {
        // Not from our worker (its records are whole writes): dropped, and
        // our records are still awaited, within the deadline.
        size_t dropped = parser_.resync();
        if (junk_ == 0)
          log_line("web",
                   "req=" + id_.hex() + " " + what + ": dropping bytes that are not records");
        junk_ += dropped;
        continue;
      }
      if (cancel_.load())
        return Failure{ExchangeError::worker_lost, what + ": cancelled"};
      if (stream_ && stream_->closed())
        return Failure{ExchangeError::client_gone, "the client went away"};
      if (deadline.expired())
        return Failure{ExchangeError::timeout, what + ": no answer before the deadline"};
      if (Clock::now() >= next_check) {
        auto alive = watch_.alive();
        if (alive.ok() && !*alive)
          return Failure{ExchangeError::worker_lost, what + ": the worker exited mid-request"};
        if (!alive.ok() && !warned_) {
          log_line("web", "cannot check that the worker is alive (" + alive.error().message() +
                              "); waiting for its answer until the deadline");
          warned_ = true;
        }
        next_check = Clock::now() + kLivenessTick;
      }
      Deadline tick = deadline.earlier(Deadline(next_check));
      int rev = poll_one(reader_.fd(), POLLIN, tick);
      if (rev < 0)
        return Failure{ExchangeError::internal, Error::sys("poll " + what).message()};
      if (rev == 0)
        continue;
      auto r = read_some(reader_.fd(), buf, sizeof buf);
      if (r.kind == ReadKind::data) {
        parser_.feed(buf, r.bytes);
      } else if (r.kind == ReadKind::eof) {
        if (auto rn = reader_.renew(); !rn)
          return Failure{ExchangeError::internal, rn.error().message()};
        next_check = Clock::now(); // a writer left: was it our worker dying?
      } else if (r.kind == ReadKind::error) {
        return Failure{ExchangeError::internal, Error::sys("read " + what, r.err).message()};
      }
    }
  }

private:
  FifoReader &reader_;
  RequestId id_;
  const WorkerWatch &watch_;
  const std::atomic<bool> &cancel_;
  const OutputPipe *stream_;
  frame::Parser parser_;
  bool warned_ = false; // one log line per request for failed liveness checks
  size_t junk_ = 0;     // bytes dropped that were not records
};

// `stop`: the answer is no longer wanted (a streamed answer's client left);
// looked at between waits.
std::optional<Failure> send_body(int fd, const RequestId &id, std::string_view body,
                                 const RequestOptions &opts, const Deadline &deadline,
                                 const std::string &path, const std::atomic<bool> &stop) {
  // Records go out packed (BEGIN, DATA and END of a small body in one write),
  // produced as the pipe takes them so a large body is not copied twice.
  RecordBatcher batch;
  RequestOptions begin = opts;
  begin.body_len = body.size();
  batch.add(frame::encode(frame::Kind::begin, id, encode_begin_options(begin)));
  const std::string total = std::to_string(body.size());
  bool ended = false;
  for (;;) {
    while (!ended && batch.bytes() < 65536) {
      if (body.empty()) {
        batch.add(frame::encode(frame::Kind::end, id, total));
        ended = true;
        break;
      }
      auto piece = body.substr(0, frame::kMaxPayload);
      body.remove_prefix(piece.size());
      batch.add(frame::encode(frame::Kind::data, id, piece));
    }
    auto r = batch.flush_some(fd);
    if (!r) {
      if (r.error().code == EPIPE)
        return Failure{ExchangeError::worker_lost, "write " + path + ": EPIPE: the worker exited"};
      return Failure{ExchangeError::internal, "write " + path + ": " + r.error().message()};
    }
    if (*r && ended)
      return std::nullopt;
    if (*r)
      continue;
    if (stop.load())
      return Failure{ExchangeError::client_gone, "write " + path + ": the client went away"};
    int rev = poll_one(fd, POLLOUT, deadline.earlier(Deadline::in(kLivenessTick)));
    if (rev == 0 && deadline.expired())
      return Failure{ExchangeError::timeout, "write " + path + ": the worker stopped reading"};
    if (rev == 0)
      continue;
    if (rev < 0)
      return Failure{ExchangeError::internal, Error::sys("poll " + path).message()};
  }
}

} // namespace

ExchangeResult exchange(const Config &cfg, ReaderThreads &readers, const Channel &ch,
                        const Deadline &wait, const RequestId &id, std::string_view body,
                        const RequestOptions &opts, OutputPipe *stream) {
  ExchangeResult res;
  auto t0 = Clock::now();
  auto fail = [&](ExchangeError e, std::string detail) {
    res.error = e;
    res.detail = std::move(detail);
    return res;
  };

  // Read ends first: the worker opens its write ends without waiting, and
  // takes "no reader" to mean we are gone.
  // A FIFO that is not there: no worker ever served this slot. A symlink or
  // a file in its place was put there by someone in the kind's group: the
  // answer cannot be had (502), and no other kind's FIFO is opened instead.
  // Anything else (EMFILE, EACCES) is ours.
  auto local_or_absent = [](const Error &e) {
    return e.code == ENOENT     ? ExchangeError::no_worker
           : not_a_kind_file(e) ? ExchangeError::protocol
                                : ExchangeError::internal;
  };
  auto out = FifoReader::open(ch.output_path);
  if (!out)
    return fail(local_or_absent(out.error()), out.error().message());
  auto status = FifoReader::open(ch.status_path);
  if (!status)
    return fail(local_or_absent(status.error()), status.error().message());
  // A live worker always has the input open (it opens a new read end before
  // it closes the old one), except while it starts: that is waited for, but
  // not a worker whose life lock is free: it is dead, and the caller can try
  // another.
  auto in = open_fifo_writer(ch.input_path, wait, [&] {
    auto alive = is_locked(ch.owner_lock_path());
    return alive.ok() && !*alive;
  });
  res.wait_ms = std::chrono::duration_cast<Millis>(Clock::now() - t0).count();
  if (!in) {
    int code = in.error().code;
    if (code == ENXIO || code == ENOENT)
      return fail(ExchangeError::no_worker, in.error().message());
    return fail(local_or_absent(in.error()), in.error().message());
  }
  WorkerWatch watch(ch.owner_lock_path());
  res.worker = watch.name();
  Deadline deadline = Deadline::in(Millis(cfg.web_exchange_ms()));
  std::atomic<bool> cancel{false};

  // The output reader starts before the first body byte is written: a command
  // that answers while it reads would otherwise fill the output pipe and stall
  // with our body half sent.
  std::optional<Failure> out_failure;
  std::atomic<bool> client_gone{false};
  auto reader = readers.start([&] {
    RecordReader rr(*out, id, watch, cancel, stream);
    size_t cap = static_cast<size_t>(cfg.max_output_bytes);
    uint64_t got = 0;
    auto take = [&](const std::string &bytes) -> std::optional<Failure> {
      got += bytes.size();
      if (!stream) {
        if (got > cap)
          return Failure{ExchangeError::protocol, "output over the cap"};
        res.output += bytes;
        return std::nullopt;
      }
      bool gone = false;
      if (stream->put(bytes, deadline, gone))
        return std::nullopt;
      if (!gone)
        return Failure{ExchangeError::timeout, "the client took too little of the output before "
                                               "the deadline"};
      return Failure{ExchangeError::client_gone, "the client went away"};
    };
    auto failed = rr.run(deadline, "read " + ch.output_path,
                         [&](const frame::Record &rec) -> std::optional<Failure> {
                           if (rec.kind == frame::Kind::data)
                             return take(rec.payload);
                           if (rec.kind != frame::Kind::end)
                             return std::nullopt;
                           if (rec.payload != std::to_string(got))
                             return Failure{ExchangeError::protocol,
                                            "output length mismatch: worker sent " + rec.payload +
                                                ", got " + std::to_string(got)};
                           return Failure{ExchangeError::none, {}};
                         });
    if (failed && failed->error == ExchangeError::client_gone)
      client_gone = true; // the body need not be sent on
    out_failure = std::move(failed);
  });
  std::optional<Failure> send_failure =
      send_body(in->get(), id, body, opts, deadline, ch.input_path, client_gone);
  in->reset(); // EOF: the body is complete (or abandoned)
  if (send_failure)
    cancel = true;
  reader.wait();
  if (send_failure)
    return fail(send_failure->error, send_failure->detail);
  if (out_failure)
    return fail(out_failure->error, out_failure->detail);

  std::string status_text;
  RecordReader sr(*status, id, watch, cancel);
  auto st_failure = sr.run(deadline, "read " + ch.status_path,
                           [&](const frame::Record &rec) -> std::optional<Failure> {
                             if (rec.kind != frame::Kind::status)
                               return std::nullopt;
                             status_text += rec.payload;
                             if (status_text.size() > kMaxStderr + 4096)
                               return Failure{ExchangeError::protocol, "status record too long"};
                             if (rec.last)
                               return Failure{ExchangeError::none, {}};
                             return std::nullopt;
                           });
  if (st_failure)
    return fail(st_failure->error, st_failure->detail);
  auto decoded = decode_status(status_text);
  if (!decoded)
    return fail(ExchangeError::protocol, decoded.error().message());
  if (decoded->id != id)
    return fail(ExchangeError::protocol, "status record for another request");
  res.status = std::move(*decoded);
  res.error = ExchangeError::none;
  return res;
}

} // namespace fifogate
