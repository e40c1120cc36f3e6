#pragma once
#include "exchange.hpp"
#include "fifogate/deadline.hpp"
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace fifogate {

// The bytes of a streamed answer between the thread that reads them from the
// worker and the thread that sends them to the client. It holds at most about
// `capacity` bytes: a producer ahead of its client waits, stops reading the
// output FIFO, and so the worker and then the command wait too. Memory stays
// bounded whatever the output's size.
class OutputPipe {
public:
  explicit OutputPipe(size_t capacity) : capacity_(capacity) {}

  // Producer. Waits for room; false when the consumer has gone (close) or
  // `deadline` passed first, and `gone` says which.
  bool put(std::string_view bytes, const Deadline &deadline, bool &gone);
  // Producer: nothing more comes; how the exchange ended.
  void finish(ExchangeResult r);

  enum class Take { bytes, end, nothing };
  // Consumer: moves every byte held into `out` (bytes), or says the output
  // is complete and taken (end), or nothing arrived by `until` (nothing).
  Take take(std::string &out, const Deadline &until);
  // Consumer: waits until a byte is held or the exchange ended, not past `until`.
  void wait_for_output(const Deadline &until);
  // Consumer: waits until the exchange ended, not past `until`.
  void wait_for_end(const Deadline &until);
  bool has_bytes() const;
  bool ended() const;
  bool closed() const;
  // After take() said end: how the exchange ended.
  ExchangeResult &result() { return *result_; }
  // Consumer: gone. The producer's put() fails from now on.
  void close();

private:
  size_t capacity_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::string held_;
  std::optional<ExchangeResult> result_;
  bool closed_ = false;
};

} // namespace fifogate
