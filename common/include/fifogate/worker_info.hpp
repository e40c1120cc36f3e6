#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// What a worker publishes about itself in its life-lock file in the shared
// directory (the web and the processors may run in different containers, so
// the files are the only thing both see): "key=value" lines,
//   worker=<host:pid>\nversion=<ver>\nlangs=<dict>,<dict>,...\n
// Unknown keys are skipped, so a newer worker can add some.
struct WorkerInfo {
  int slot = 0; // not in the file: which slot's file it was
  std::string worker;
  std::string version;
  std::vector<std::string> langs; // the dictionaries installed where it runs
};

std::string encode_worker_info(const WorkerInfo &info);
WorkerInfo parse_worker_info(int slot, std::string_view text);

} // namespace fifogate
