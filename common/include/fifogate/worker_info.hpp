#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// What a worker publishes about itself in its life-lock file in the shared
// directory (the web and the processors may run in different containers, so
// the files are the only thing both see): "key=value" lines,
//   worker=<host:pid>  version=<ver>  langs=<dict>,<dict>,...
//   name=<kind>  command=<PROC_COMMAND>  protocol=ispell|raw
//   mode=per-request|warm  content_type=<PROC_CONTENT_TYPE>
//   timeout_ms=<n>  max_body_bytes=<n>  max_output_bytes=<n>
//   params=<PROC_PARAMS>  pass_headers=<name>,<name>  pass_request=0|1
//   stream=allow|never|always  (PROC_STREAM)
//   dict_id=<hex>  (ispell commands whose answers only the installed
//                   dictionaries decide: the web may cache them by line)
// Unknown keys are skipped, so a newer worker can add some; a number that
// does not parse stays 0 (unknown).
struct WorkerInfo {
  int slot = 0; // not in the file: which slot's file it was
  std::string worker;
  std::string version;
  std::vector<std::string> langs; // the dictionaries installed where it runs
  std::string name, command, protocol, mode, content_type;
  std::string stream;       // PROC_STREAM; empty: a worker that does not say (allow)
  std::string params;       // PROC_PARAMS as written
  std::string pass_headers; // PROC_PASS_HEADERS, lower case, comma-separated
  bool pass_request = false;
  // Same for two workers: the same answer to the same line. Empty: do not cache.
  std::string dict_id;
  int64_t timeout_ms = 0, max_body_bytes = 0, max_output_bytes = 0;
};

// The largest numbers parse_worker_info takes, as PROC_TIMEOUT_MS and
// MAX_*_BYTES allow them; a larger one is 0 (unknown).
constexpr int64_t kMaxInfoTimeoutMs = 24 * 3600 * 1000;
constexpr int64_t kMaxInfoByteLimit = int64_t(1) << 40;

std::string encode_worker_info(const WorkerInfo &info);
WorkerInfo parse_worker_info(int slot, std::string_view text);

} // namespace fifogate
