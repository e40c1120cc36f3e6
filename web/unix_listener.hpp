#pragma once
// WEB_SOCKET: the web listens on a Unix domain socket instead of TCP, for a
// reverse proxy on the same host or in the same Pod; the file's mode and
// group decide who may connect.
#include "fifogate/error.hpp"
#include "fifogate/unique_fd.hpp"
#include <optional>
#include <string>
#include <sys/types.h>

namespace fifogate {

// A listening socket at `path`, made with `mode` and, if set, `group`. A
// socket file no server answers on (left by a web that crashed) is
// replaced; one a server answers on, or a file that is not a socket, is an
// error that says so.
struct UnixListener {
  UniqueFd fd;
  dev_t dev = 0; // the file made, so only it is removed at the end
  ino_t ino = 0;
};
Result<UnixListener> listen_unix(const std::string &path, mode_t mode,
                                 const std::optional<gid_t> &group);

// Removes the socket file at `path` if it is still the one `l` made.
void remove_unix_socket(const std::string &path, const UnixListener &l);

// A group name or number, as WEB_SOCKET_GROUP gives it.
Result<gid_t> group_id(const std::string &name_or_number);

} // namespace fifogate
