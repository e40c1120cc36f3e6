#pragma once
#include "fifogate/request_id.hpp"
#include <string>

namespace fifogate {

// The answer given to a connection before cpp-httplib parsed anything (a head
// too large, framing RFC 9112 rejects, a timeout, too many connections): plain
// text naming the reason, the request id its log line shows, and
// "Connection: close". Sent without blocking, as far as the socket takes it.
void send_raw_answer(int sock, int status, const std::string &reason, const RequestId &id);

// The standard reason phrase of the statuses the web answers with.
const char *reason_phrase(int status);

} // namespace fifogate
