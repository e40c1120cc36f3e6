#pragma once
#include "exchange.hpp"
#include <string>

namespace fifogate {

// The one table from "how the exchange ended" to an HTTP answer.
// docs/design.md repeats it; tests check it row by row.
struct HttpVerdict {
  int status;
  std::string reason;    // one line for the client and the log
  int retry_after_s = 0; // > 0: send Retry-After
};

HttpVerdict verdict_for(const ExchangeResult &r, const Config &cfg);
HttpVerdict verdict_for_outcome(Outcome o);

} // namespace fifogate
