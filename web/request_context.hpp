#pragma once
#include "fifogate/deadline.hpp"
#include "fifogate/log_fields.hpp"
#include "fifogate/request_id.hpp"
#include <cstdint>
#include <string>

namespace fifogate {

// One request's facts, from its complete head to its access-log line. The
// serving thread owns it; cpp-httplib hands its hooks and handlers only the
// Request and Response, so they reach it through current(), which a thread
// binds for the one request it serves (ScopedRequest).
struct RequestContext {
  Clock::time_point start;       // the head was complete (the access log's duration)
  Clock::time_point wait_from;   // the wait for a worker (PROC_WAIT_MS) counts from here:
                                 // the request was complete, queued for a thread
  bool read_from_socket = false; // the body was read by the serving thread, not the loop
  RequestId id = RequestId::random();
  int64_t bytes_in = 0;
  LogFields extra;          // " outcome=ok exit=0 worker=..." and the like
  std::string reason;       // why it failed, for statuses >= 400
  std::string undelivered;  // why the answer did not reach the client whole
  std::string read_failure; // why the body could not be read (timeout, rate, reset)
  std::string content_type; // the request's Content-Type as the client sent it
  std::string processor;    // the kind a work route went to
  LogFields cache;          // " cache=hit lines_cached=..." when the line cache answered
  bool unread_body =
      false;           // answered before the body was read: it stays unread, the connection ends
  bool routed = false; // httplib parsed the head and routed it (not its own 400/414/416)
  bool body_complete = false;   // no body, or all of it was read
  bool last = false;            // the connection's last request (keep-alive off, stopping)
  bool ends_connection = false; // decided with the answer's headers
  int client_socket = -1;       // the connection's socket, to see a client leave
  bool streaming = false;       // the answer streams: no WEB_SEND_TIMEOUT_MS for the whole

  // Filled just before the answer is written, for the log line written after it.
  bool answered = false;
  std::string method, path;
  int status = 0;
  int64_t bytes_out = 0;

  static RequestContext &current();
};

class ScopedRequest {
public:
  explicit ScopedRequest(RequestContext &c);
  ~ScopedRequest();
  ScopedRequest(const ScopedRequest &) = delete;
  ScopedRequest &operator=(const ScopedRequest &) = delete;
};

} // namespace fifogate
