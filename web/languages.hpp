#pragma once
#include "fifogate/dictionary_name.hpp"
#include "worker_info.hpp"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// The dictionaries installed on the live workers, sorted, each once.
std::vector<std::string> installed_languages(const std::vector<WorkerInfo> &workers);

// Why `lang` cannot be used, or nothing when it can. When no live worker has
// published its dictionaries (none runs, or one is just starting) a well-formed
// name is let through: the request then fails for the missing worker (503),
// the real problem, or the worker checks the name against its own list.
std::optional<std::string> lang_problem(std::string_view lang,
                                        const std::vector<WorkerInfo> &workers);

} // namespace fifogate
