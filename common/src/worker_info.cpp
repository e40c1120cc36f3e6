#include "fifogate/worker_info.hpp"
#include "fifogate/key_value.hpp"

namespace fifogate {

namespace {

// A value stays on its line: a newline in it would start another key.
std::string one_line(std::string_view v) {
  std::string out(v);
  for (char &c : out)
    if (c == '\n' || c == '\r')
      c = ' ';
  return out;
}

} // namespace

std::string encode_worker_info(const WorkerInfo &info) {
  std::string out =
      "worker=" + one_line(info.worker) + "\nversion=" + one_line(info.version) + "\nlangs=";
  for (size_t i = 0; i < info.langs.size(); ++i)
    out += (i ? "," : "") + one_line(info.langs[i]);
  return out + "\n";
}

WorkerInfo parse_worker_info(int slot, std::string_view text) {
  WorkerInfo info;
  info.slot = slot;
  for_each_key_value(text, [&](std::string_view key, std::string_view value) {
    if (key == "worker") {
      info.worker = std::string(value);
    } else if (key == "version") {
      info.version = std::string(value);
    } else if (key == "langs") {
      while (!value.empty()) {
        size_t comma = value.find(',');
        if (comma != 0)
          info.langs.emplace_back(value.substr(0, comma));
        value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
      }
    }
  });
  return info;
}

} // namespace fifogate
