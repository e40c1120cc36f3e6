#pragma once
#include "connection.hpp"
#include "httplib.hpp"
#include "request_context.hpp"

namespace fifogate {

// False once the client has closed or reset the connection (bytes it sent
// and nobody read yet, such as a pipelined request, leave it connected).
bool client_connected(int sock);

// cpp-httplib's view of one connection while a thread serves one request on
// it: reads come first from what the connection loop already read, then from
// the socket under the body's deadlines and minimum rate; writes go out whole
// within the send timeout or the connection is given up. What the request did
// not use stays in the connection for the next one (pipelining).
class RequestStream : public httplib::Stream {
public:
  RequestStream(Connection &c, const EdgeLimits &limits, Millis send_timeout, RequestContext &ctx);
  ~RequestStream() override; // leaves the unused bytes in c.buf

  bool is_readable() const override;
  bool wait_readable() const override;
  bool wait_writable() const override;
  ssize_t read(char *ptr, size_t size) override;
  ssize_t write(const char *ptr, size_t size) override;
  void get_remote_ip_and_port(std::string &ip, int &port) const override;
  void get_local_ip_and_port(std::string &ip, int &port) const override;
  bool is_peer_alive() const override { return client_connected(c_.sock.get()); }
  socket_t socket() const override { return c_.sock.get(); }
  time_t duration() const override { return 0; }

  // A write gave up: the rest of this answer will never arrive whole.
  bool failed() const { return failed_; }

private:
  Deadline read_deadline() const;
  bool rate_too_low();
  ssize_t give_up(const std::string &why, size_t sent, size_t size);

  Connection &c_;
  const EdgeLimits &limits_;
  Millis send_timeout_;
  RequestContext &ctx_;
  size_t pos_ = 0;                               // how much of c_.buf this request has used
  bool interim_ = false;                         // the last write was a 1xx head ("100 Continue")
  Deadline answer_deadline_ = Deadline::never(); // from the final answer's first write
  bool failed_ = false;
};

} // namespace fifogate
