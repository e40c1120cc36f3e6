#include "worker_info.hpp"
#include "fifogate/unique_fd.hpp"
#include <fcntl.h>
#include <unistd.h>

namespace fifogate {

namespace {

// Far above a real file (a few hundred bytes); bounds what a bad file costs.
constexpr size_t kMaxInfoBytes = 64 * 1024;

std::string read_info_file(const std::string &path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string out;
  if (!fd)
    return out;
  char buf[4096];
  while (out.size() < kMaxInfoBytes) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

} // namespace

std::vector<WorkerInfo> read_worker_infos(const Config &cfg, const std::vector<int> &slots) {
  std::vector<WorkerInfo> out;
  out.reserve(slots.size());
  for (int k : slots)
    out.push_back(parse_worker_info(k, read_info_file(cfg.channel(k).owner_lock_path())));
  return out;
}

} // namespace fifogate
