#include "worker_info.hpp"
#include "fifogate/kind_file.hpp"

namespace fifogate {

namespace {

// Far above a real file (a few hundred bytes); bounds what a bad file costs.
constexpr size_t kMaxInfoBytes = 64 * 1024;

// Never blocks: the file is opened as open_kind_file does, and a FIFO or a
// symlink in its place reads as empty (the dispatcher, which looks at the
// same file for the lock, logs it).
std::string read_info_file(const std::string &path) {
  auto text = read_kind_file(path, kMaxInfoBytes);
  return text ? std::move(*text) : std::string();
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
