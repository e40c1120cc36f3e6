#include "edge_server.hpp"
#include <unistd.h>

namespace fifogate {

int EdgeServer::bind(const std::string &host, int port) {
  if (port == 0)
    return bind_to_any_port(host);
  return bind_to_port(host, port) ? port : -1;
}

void EdgeServer::close_listener() {
  int fd = svr_sock_.exchange(INVALID_SOCKET);
  if (fd != INVALID_SOCKET)
    ::close(fd);
}

bool EdgeServer::serve_one(httplib::Stream &strm, bool last, bool &closed,
                           const std::function<void(httplib::Request &)> &setup) {
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
  strm.get_remote_ip_and_port(remote_ip, remote_port);
  strm.get_local_ip_and_port(local_ip, local_port);
  return process_request(strm, remote_ip, remote_port, local_ip, local_port, last, closed, setup);
}

} // namespace fifogate
