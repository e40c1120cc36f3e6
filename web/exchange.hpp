#pragma once
#include "fifogate/begin_options.hpp"
#include "fifogate/config.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/request_id.hpp"
#include "fifogate/status_record.hpp"
#include "reader_threads.hpp"
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fifogate {

class OutputPipe;

// How an exchange with the worker ended, before looking at the command's outcome.
enum class ExchangeError {
  none,        // the worker answered: see status
  busy,        // the request lock was not free within PROC_WAIT_MS
  no_worker,   // nobody had the input FIFO open within PROC_WAIT_MS
  worker_lost, // the worker exited or was replaced during the request
  timeout,     // no complete answer within PROC_TIMEOUT_MS + grace
  protocol,    // the worker's answer did not add up
  internal,    // a local failure (fd limit, bad path...)
  client_gone, // a streamed answer's client went away: the exchange was dropped
};
const char *exchange_error_name(ExchangeError e);

struct ExchangeResult {
  ExchangeError error = ExchangeError::internal;
  std::string detail; // for humans and logs, with context
  std::string output; // the command's stdout, byte for byte
  std::optional<StatusRecord> status;
  std::string worker;  // who served it, when known
  int slot = -1;       // the slot it was served on, once one was claimed
  int64_t wait_ms = 0; // time spent waiting for the lock and worker
};

// What the worker is told besides the body, in the begin record's payload:
// "len=<N>" first, then one "key=value" line per option that is set.
// What the request asks of the command besides its body (begin_options.hpp).
using RequestOptions = BeginOptions;

// One request over a slot's FIFOs; the caller holds the slot's request lock
// throughout. Open output and status read ends -> start the output reader
// thread (one of `readers`) -> write the body records -> close the input
// (EOF) -> wait for the reader -> read the status record. Every step has a
// deadline; nothing hangs. `wait` bounds waiting for the worker to open its
// end of the input FIFO. With `stream`, the output goes there as it comes
// (none of it in the result) and is not capped by MAX_OUTPUT_BYTES; when the
// pipe's consumer goes away the exchange ends (client_gone) and closing the
// output FIFO tells the worker to end the command.
ExchangeResult exchange(const Config &cfg, ReaderThreads &readers, const Channel &ch,
                        const Deadline &wait, const RequestId &id, std::string_view body,
                        const RequestOptions &opts = {}, OutputPipe *stream = nullptr);

} // namespace fifogate
