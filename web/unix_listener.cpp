#include "unix_listener.hpp"
#include <cerrno>
#include <charconv>
#include <cstring>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace fifogate {

namespace {

Result<sockaddr_un> address_of(const std::string &path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path)
    return Error::logic("WEB_SOCKET=" + path + ": a socket path is 1 to " +
                        std::to_string(sizeof a.sun_path - 1) + " bytes");
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

// True when a server accepts connections at `a`.
bool answered(const sockaddr_un &a) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return s && ::connect(s.get(), reinterpret_cast<const sockaddr *>(&a), sizeof a) == 0;
}

} // namespace

Result<gid_t> group_id(const std::string &name) {
  gid_t gid = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), gid);
  if (ec == std::errc() && p == name.data() + name.size() && !name.empty())
    return gid;
  group g{};
  group *found = nullptr;
  std::vector<char> buf(16384);
  int rc = ::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
  if (rc != 0 || !found)
    return Error::logic("WEB_SOCKET_GROUP=" + name + ": no such group");
  return found->gr_gid;
}

Result<UnixListener> listen_unix(const std::string &path, mode_t mode,
                                 const std::optional<gid_t> &group) {
  auto addr = address_of(path);
  if (!addr)
    return addr.error();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return Error::logic("WEB_SOCKET=" + path + " exists and is not a socket; not replacing it");
    if (answered(*addr))
      return Error::logic("WEB_SOCKET=" + path +
                          ": another server is listening there (stop it, or choose another path)");
    // Nothing answers: a web that ended without removing it.
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Error::sys("remove the stale socket " + path);
  }
  UnixListener l;
  l.fd = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd)
    return Error::sys("socket(AF_UNIX) for " + path);
  // Made unreachable to all, then given its mode: no moment with the umask's.
  mode_t old = ::umask(0777);
  int rc = ::bind(l.fd.get(), reinterpret_cast<const sockaddr *>(&*addr), sizeof *addr);
  int bind_errno = errno;
  ::umask(old);
  if (rc != 0)
    return Error::sys("bind " + path, bind_errno);
  auto undo = [&](Error e) {
    ::unlink(path.c_str());
    return e;
  };
  if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
    return undo(Error::sys("chown " + path + " to group " + std::to_string(*group)));
  if (::chmod(path.c_str(), mode) != 0)
    return undo(Error::sys("chmod " + path));
  if (::listen(l.fd.get(), SOMAXCONN) != 0)
    return undo(Error::sys("listen on " + path));
  if (::lstat(path.c_str(), &st) == 0) {
    l.dev = st.st_dev;
    l.ino = st.st_ino;
  }
  return l;
}

void remove_unix_socket(const std::string &path, const UnixListener &l) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == l.dev &&
      st.st_ino == l.ino)
    ::unlink(path.c_str());
}

} // namespace fifogate
