#include "http_status.hpp"

namespace fifogate {

HttpVerdict verdict_for_outcome(Outcome o) {
  switch (o) {
  case Outcome::ok:
    return {200, "ok"};
  case Outcome::failed:
    return {502, "the command failed"};
  case Outcome::timeout:
    return {504, "the command ran past PROC_TIMEOUT_MS and was killed"};
  case Outcome::spawn_failed:
    return {502, "the command could not be started"};
  case Outcome::bad_input:
    return {400, "the body was refused"};
  case Outcome::output_limit:
    return {502, "the command's output exceeded MAX_OUTPUT_BYTES"};
  case Outcome::truncated:
    return {500, "the worker received an incomplete body"};
  case Outcome::abandoned:
    return {500, "the worker lost track of the request"};
  case Outcome::internal:
    return {500, "the worker failed"};
  }
  return {500, "unknown outcome"};
}

HttpVerdict verdict_for(const ExchangeResult &r, const Config &cfg) {
  switch (r.error) {
  case ExchangeError::none:
    if (r.status)
      return verdict_for_outcome(r.status->outcome);
    return {500, "no status record"};
  case ExchangeError::busy:
    return {503,
            "all workers busy: no lock within PROC_WAIT_MS=" + std::to_string(cfg.wait_ms) + " ms",
            1};
  case ExchangeError::no_worker:
    return {503, "no worker is running", 1};
  case ExchangeError::worker_lost:
    return {502, "the worker exited during the request"};
  case ExchangeError::timeout:
    return {504, "no answer from the worker in time"};
  case ExchangeError::protocol:
    return {502, "garbled answer from the worker"};
  case ExchangeError::internal:
    return {500, "internal error"};
  case ExchangeError::client_gone:
    return {500, "the client went away"}; // logged; nobody is there to read it
  }
  return {500, "internal error"};
}

} // namespace fifogate
