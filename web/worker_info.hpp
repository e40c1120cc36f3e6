#pragma once
#include "fifogate/config.hpp"
#include "fifogate/worker_info.hpp"
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// The info of each of `slots` (the live ones, from the dispatcher). A file
// that cannot be read gives an entry with empty fields: the worker is live,
// it just has not said who it is yet.
std::vector<WorkerInfo> read_worker_infos(const Config &cfg, const std::vector<int> &slots);

} // namespace fifogate
