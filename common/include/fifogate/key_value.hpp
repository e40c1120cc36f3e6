#pragma once
#include <string_view>

namespace fifogate {

// Calls fn(key, value) for each "key=value" line of `text`, in order. Lines
// without '=' are skipped: the lenient reading of the begin options and the
// worker-info file, where a newer writer may add what an older reader does
// not know. (The status record is read strictly, in status_record.cpp.)
template <class F> void for_each_key_value(std::string_view text, F &&fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t eq = line.find('=');
    if (eq != std::string_view::npos)
      fn(line.substr(0, eq), line.substr(eq + 1));
  }
}

} // namespace fifogate
