#include "processor_kinds.hpp"
#include "worker_info.hpp"
#include <algorithm>
#include <dirent.h>
#include <sys/stat.h>

namespace fifogate {

namespace {

constexpr auto kInfoRefresh = std::chrono::seconds(1);

// lstat: a kind's directory that is a symlink (to another kind's, say) is
// not a kind; its requests would reach the other kind's workers.
bool is_directory(const std::string &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

std::vector<WorkerInfo> ProcessorKind::live_workers() {
  auto infos = read_worker_infos(cfg_, dispatcher_.live_slots());
  for (auto &w : infos)
    w.name = cfg_.name; // the directory says which kind it serves
  return infos;
}

void ProcessorKind::refresh_locked() {
  auto now = Clock::now();
  // An info that says nothing yet (no live worker, or one still writing its
  // file) is read again at once: until it is, the kind's parameters are
  // unknown and the web can check none of them.
  if (exchange_cfg_ && !info_->protocol.empty() && now - info_read_ < kInfoRefresh)
    return;
  auto live = dispatcher_.live_slots();
  if (live.size() > 1)
    live.resize(1);
  auto infos = read_worker_infos(cfg_, live);
  auto fresh =
      std::make_shared<WorkerInfo>(infos.empty() ? WorkerInfo{} : std::move(infos.front()));
  if (!exchange_cfg_ || fresh->params != info_->params) {
    auto rules = parse_param_rules(fresh->params); // the worker checked it; a bad file gives none
    params_ = std::make_shared<const ParamRules>(rules ? std::move(*rules) : ParamRules{});
  }
  auto c = std::make_shared<Config>(cfg_);
  // The file is written by whoever can write the kind's directory: its
  // numbers only ever lower the web's own limits (a huge timeout would
  // overflow the exchange's deadline, and hold a thread as long).
  if (fresh->timeout_ms > 0)
    c->timeout_ms = std::min(c->timeout_ms, fresh->timeout_ms);
  if (fresh->max_output_bytes > 0)
    c->max_output_bytes = std::min(c->max_output_bytes, fresh->max_output_bytes);
  exchange_cfg_ = std::move(c);
  info_ = std::move(fresh);
  info_read_ = now;
}

ProcessorKind::Described ProcessorKind::described() {
  std::lock_guard<std::mutex> g(m_);
  refresh_locked();
  return {info_, params_};
}

WorkerInfo ProcessorKind::info() {
  return *described().info;
}

std::shared_ptr<const Config> ProcessorKind::exchange_config() {
  std::lock_guard<std::mutex> g(m_);
  refresh_locked();
  return exchange_cfg_;
}

ProcessorKinds::ProcessorKinds(const Config &cfg) : cfg_(cfg) {
  std::lock_guard<std::mutex> g(m_);
  default_ = add_locked(cfg.default_processor);
}

ProcessorKind *ProcessorKinds::add_locked(const std::string &name) {
  auto &slot = kinds_[name];
  if (!slot)
    slot = std::make_unique<ProcessorKind>(cfg_, name);
  return slot.get();
}

ProcessorKind *ProcessorKinds::find(const std::string &name) {
  if (!valid_kind_name(name))
    return nullptr;
  std::lock_guard<std::mutex> g(m_);
  if (auto it = kinds_.find(name); it != kinds_.end())
    return it->second.get();
  // Kinds are never dropped (their dispatchers may have requests queued), so
  // their number is bounded here.
  if (kinds_.size() >= kMaxKinds || !is_directory(cfg_.proc_dir + "/" + name))
    return nullptr;
  return add_locked(name);
}

std::vector<ProcessorKind *> ProcessorKinds::all() {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(cfg_.proc_dir.c_str())) {
    while (auto *e = ::readdir(d))
      if (valid_kind_name(e->d_name) && is_directory(cfg_.proc_dir + "/" + e->d_name))
        names.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::lock_guard<std::mutex> g(m_);
  for (const auto &n : names)
    if (kinds_.size() < kMaxKinds)
      add_locked(n);
  std::vector<ProcessorKind *> out;
  for (auto &[n, k] : kinds_)
    out.push_back(k.get());
  return out;
}

} // namespace fifogate
