#include "fifogate/worker_info.hpp"
#include "fifogate/key_value.hpp"
#include <charconv>

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

// A number up to `max` (what the processor's own configuration allows);
// anything else is 0, unknown: the file is not trusted.
int64_t number(std::string_view v, int64_t max) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && out >= 0 && out <= max ? out : 0;
}

} // namespace

std::string encode_worker_info(const WorkerInfo &info) {
  std::string out =
      "worker=" + one_line(info.worker) + "\nversion=" + one_line(info.version) + "\nlangs=";
  for (size_t i = 0; i < info.langs.size(); ++i)
    out += (i ? "," : "") + one_line(info.langs[i]);
  out += "\n";
  for (auto [key, value] :
       {std::pair{"name", &info.name}, std::pair{"command", &info.command},
        std::pair{"protocol", &info.protocol}, std::pair{"mode", &info.mode},
        std::pair{"content_type", &info.content_type}, std::pair{"params", &info.params},
        std::pair{"pass_headers", &info.pass_headers}, std::pair{"dict_id", &info.dict_id},
        std::pair{"stream", &info.stream}})
    if (!value->empty())
      out += std::string(key) + "=" + one_line(*value) + "\n";
  for (auto [key, value] :
       {std::pair{"timeout_ms", info.timeout_ms}, std::pair{"max_body_bytes", info.max_body_bytes},
        std::pair{"max_output_bytes", info.max_output_bytes}})
    if (value > 0)
      out += std::string(key) + "=" + std::to_string(value) + "\n";
  if (info.pass_request)
    out += "pass_request=1\n";
  return out;
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
    } else if (key == "name") {
      info.name = std::string(value);
    } else if (key == "command") {
      info.command = std::string(value);
    } else if (key == "protocol") {
      info.protocol = std::string(value);
    } else if (key == "mode") {
      info.mode = std::string(value);
    } else if (key == "content_type") {
      info.content_type = std::string(value);
    } else if (key == "params") {
      info.params = std::string(value);
    } else if (key == "stream") {
      info.stream = std::string(value);
    } else if (key == "dict_id") {
      info.dict_id = std::string(value);
    } else if (key == "pass_headers") {
      info.pass_headers = std::string(value);
    } else if (key == "pass_request") {
      info.pass_request = value == "1";
    } else if (key == "timeout_ms") {
      info.timeout_ms = number(value, kMaxInfoTimeoutMs);
    } else if (key == "max_body_bytes") {
      info.max_body_bytes = number(value, kMaxInfoByteLimit);
    } else if (key == "max_output_bytes") {
      info.max_output_bytes = number(value, kMaxInfoByteLimit);
    }
  });
  return info;
}

} // namespace fifogate
