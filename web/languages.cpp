#include "languages.hpp"
#include "fifogate/dictionary_name.hpp"
#include <algorithm>

namespace fifogate {

std::vector<std::string> installed_languages(const std::vector<WorkerInfo> &workers) {
  std::vector<std::string> out;
  for (const auto &w : workers)
    for (const auto &l : w.langs)
      if (valid_dictionary_name(l))
        out.push_back(l);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string> lang_problem(std::string_view lang,
                                        const std::vector<WorkerInfo> &workers) {
  if (!valid_dictionary_name(lang))
    return std::string("lang must be 1 to 32 letters, digits, '_' or '-', not starting with '-' "
                       "(see GET /languages)");
  auto langs = installed_languages(workers);
  if (langs.empty() || std::binary_search(langs.begin(), langs.end(), std::string(lang)))
    return std::nullopt;
  return "no dictionary \"" + std::string(lang) +
         "\" is installed on the workers (see GET /languages)";
}

} // namespace fifogate
