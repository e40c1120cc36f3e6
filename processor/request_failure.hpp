#pragma once
#include "fifogate/status_record.hpp"
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace fifogate {

// How one request failed, if it did. The first failure decides the outcome
// and the message; later ones change nothing, as they are mostly echoes of
// the first (a killed command's closed pipes, the drain of a refused body).
// Every part of the request reports here and asks here whether its work
// still counts.
class RequestFailure {
public:
  // `message` is where the first failure's message goes (the status's own);
  // `on_first` stops what that failure makes pointless, before fail() returns.
  RequestFailure(std::string &message, std::function<void(Outcome)> on_first)
      : message_(message), on_first_(std::move(on_first)) {}

  void fail(Outcome o, std::string message) {
    if (outcome_)
      return;
    outcome_ = o;
    message_ = std::move(message);
    on_first_(o);
  }
  bool failed() const { return outcome_.has_value(); }
  const std::optional<Outcome> &outcome() const { return outcome_; }
  const std::string &message() const { return message_; }

private:
  std::string &message_;
  std::function<void(Outcome)> on_first_;
  std::optional<Outcome> outcome_;
};

} // namespace fifogate
