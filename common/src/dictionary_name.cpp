#include "fifogate/dictionary_name.hpp"
#include <algorithm>

namespace fifogate {

bool valid_dictionary_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || name[0] == '-')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

} // namespace fifogate
