#pragma once
#include "dispatcher.hpp"
#include "fifogate/config.hpp"
#include "fifogate/worker_info.hpp"
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fifogate {

// One processor kind as the web serves it: its own slots in its own
// directory (PROC_DIR/<name>/), its own dispatcher and queue.
class ProcessorKind {
public:
  ProcessorKind(const Config &web_cfg, const std::string &name)
      : cfg_(web_cfg.for_kind(name)), dispatcher_(cfg_) {}
  const std::string &name() const { return cfg_.name; }
  // The web's settings with this kind's directory.
  const Config &cfg() const { return cfg_; }
  Dispatcher &dispatcher() { return dispatcher_; }
  // The info files of the live slots.
  std::vector<WorkerInfo> live_workers();
  // The kind as its workers describe themselves (the first live slot's
  // file), read again at most once a second; empty with no live worker.
  WorkerInfo info();
  // The settings one exchange goes by: the command's deadline is the
  // kind's own, and the output is held up to the kind's cap, never past
  // the web's MAX_OUTPUT_BYTES.
  // Rebuilt when the kind's info is read again, not copied per request.
  std::shared_ptr<const Config> exchange_config();
  // The parameters the kind declares (its PROC_PARAMS), with info().
  struct Described {
    std::shared_ptr<const WorkerInfo> info;
    std::shared_ptr<const ParamRules> params;
  };
  Described described();

private:
  const Config cfg_;
  Dispatcher dispatcher_;
  std::mutex m_;
  void refresh_locked(); // m_ held
  std::shared_ptr<const WorkerInfo> info_ = std::make_shared<WorkerInfo>();
  std::shared_ptr<const ParamRules> params_ = std::make_shared<ParamRules>();
  std::shared_ptr<const Config> exchange_cfg_;
  Clock::time_point info_read_{};
};

// The kinds in PROC_DIR: every subdirectory whose name is a kind name.
// Adding a kind is making its directory (its processor does so); the web
// finds it on the first request that names it. The default kind
// (WEB_DEFAULT_PROCESSOR) is always known, with or without a directory.
class ProcessorKinds {
public:
  explicit ProcessorKinds(const Config &cfg);
  // The kind `name`, or nullptr when there is no such directory.
  ProcessorKind *find(const std::string &name);
  ProcessorKind &default_kind() { return *default_; }
  // Every kind, the directory read again first, by name.
  std::vector<ProcessorKind *> all();
  static constexpr size_t kMaxKinds = 256;

private:
  ProcessorKind *add_locked(const std::string &name);
  const Config &cfg_;
  std::mutex m_;
  std::map<std::string, std::unique_ptr<ProcessorKind>> kinds_;
  ProcessorKind *default_ = nullptr;
};

} // namespace fifogate
