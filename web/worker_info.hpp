#pragma once
#include "fifogate/config.hpp"
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// What a worker publishes about itself in its life-lock file in the shared
// directory (the web and the processors may run in different containers, so
// the files are the only thing both see): "key=value" lines.
//   worker=<host:pid>   version=<ver>   langs=<dict>,<dict>,...
struct WorkerInfo {
  int slot = 0;
  std::string worker;
  std::string version;
  std::vector<std::string> langs; // the dictionaries installed where it runs
};

WorkerInfo parse_worker_info(int slot, std::string_view text);

// The info of each of `slots` (the live ones, from the dispatcher). A file
// that cannot be read gives an entry with empty fields: the worker is live,
// it just has not said who it is yet.
std::vector<WorkerInfo> read_worker_infos(const Config &cfg, const std::vector<int> &slots);

} // namespace fifogate
