#pragma once
#include "fifogate/error.hpp"
#include "fifogate/params.hpp"
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

enum class Protocol { raw, ispell };
enum class Mode { per_request, warm };
// Whether a kind's answers may stream (PROC_STREAM): on request, never, or always.
enum class StreamPolicy { allow, never, always };
const char *stream_policy_name(StreamPolicy p);

// One worker slot's FIFOs and locks, in its kind's directory
// (PROC_DIR/<name>/). Slot 0 is in, out, status, lock; slot k > 0 appends
// ".k" to each, so they sit side by side and `docker compose up --scale
// spell=N` needs no extra setup.
struct Channel {
  int slot = 0;
  std::string input_path, output_path, status_path, lock_path;
  // The worker's life lock: held by the processor serving this slot.
  std::string owner_lock_path() const { return lock_path + ".worker"; }
};

// Settings shared by web and processor, read from the environment under the
// same names on both sides (so one compose anchor configures both).
struct Config {
  // The shared directory: one subdirectory per processor kind, named by
  // the kind (PROC_NAME), holding that kind's FIFOs and locks.
  std::string proc_dir = "/run/fifogate";
  std::string name = "default";              // processor: the kind it serves
  std::string default_processor = "default"; // web: the kind POST /process and /check use
  std::string content_type;                  // processor: its answers' type; empty = by content
  std::string param_spec;                    // processor: PROC_PARAMS as written
  ParamRules params;                         // ... parsed
  std::vector<std::string> pass_headers;     // processor: headers the command gets, lower case
  bool pass_request = false; // processor: the command gets method, path, query, request id
  std::string command_line = "aspell -a";
  std::vector<std::string> command = {"aspell", "-a"};
  Protocol protocol = Protocol::ispell;
  int64_t timeout_ms = 30000; // the command's deadline (worker side)
  int64_t wait_ms = 5000;     // web: how long to wait for the lock and for a worker
  std::string host = "0.0.0.0";
  int port = 4567;
  int64_t max_body_bytes = 16 * 1024 * 1024;
  int64_t max_output_bytes = 64 * 1024 * 1024;
  int web_threads = 16;
  int64_t max_connections = 10000;  // web: open connections at once (then 503 at accept)
  int64_t head_timeout_ms = 10000;  // web: a request's whole head, from its first byte
  int64_t body_timeout_ms = 120000; // web: a request's whole body
  int64_t body_min_rate = 1024;     // web: bytes/s a body keeps up after head_timeout_ms
  std::string web_token;            // web: Authorization: Bearer <token> for work routes
  std::string cors_origins;         // web: origins whose pages may call the API
  std::string form_field = "text";  // web: the form field that is the text; empty = raw forms
  int64_t send_timeout_ms = 120000; // web: a client must take a whole answer within this
  std::string web_socket;           // web: a Unix socket to listen on instead of HOST:PORT
  int64_t web_socket_mode = 0660;   // web: its file's mode
  std::string web_socket_group;     // web: its file's group (name or number); empty = the web's
  int64_t cache_bytes = 16 * 1024 * 1024; // web: the line cache's bound; 0 = no cache
  int64_t v2_max_text_length = 100000;    // web: /v2/check's longest text, in characters
  int64_t keepalive_ms = 5000; // web: idle keep-alive connections are closed after this; 0 = off
  int slots = 16;              // worker slots a processor may claim / the web looks at
  Mode mode = Mode::per_request;
  int64_t warm_max_requests = 1000;          // warm mode: restart the command after this many
  StreamPolicy stream = StreamPolicy::allow; // processor: may its answers stream
  int64_t stream_grace_ms = 100; // web: a streamed answer starts no sooner (a fast failure
                                 // still gets its own status code)

  // This kind's directory, and the same settings for another kind (the web
  // keeps one per kind it serves).
  std::string kind_dir() const { return proc_dir + "/" + name; }
  Config for_kind(const std::string &kind) const;
  Channel channel(int slot) const;
  // Slot 0's life lock (the only one when a single processor runs).
  std::string owner_lock_path() const { return channel(0).owner_lock_path(); }
  // The deadlines of one request, the one rule web and worker share: the
  // command gets timeout_ms; the web waits for the whole exchange 2 s
  // longer (the worker's status comes after the command's end); the worker
  // drops the request a second after the web has given up on it.
  int64_t web_exchange_ms() const { return timeout_ms + kWebGraceMs; }
  int64_t worker_hard_deadline_ms() const { return web_exchange_ms() + 1000; }
  static constexpr int64_t kWebGraceMs = 2000;
};

// A kind's name: 1 to 64 of A-Z a-z 0-9 _ - (it is a directory and a URL segment).
bool valid_kind_name(std::string_view name);

using EnvLookup = std::function<std::optional<std::string>(const std::string &)>;
EnvLookup process_env();

// Reads every variable; the first bad one is an error naming it.
Result<Config> config_from(const EnvLookup &env);

// Splits a command line into argv without a shell: whitespace separates
// words, '...' and "..." quote, backslash escapes the next character.
Result<std::vector<std::string>> split_command(const std::string &line);

// "auto" picks ispell for aspell/hunspell/ispell run with -a.
bool looks_like_ispell(const std::vector<std::string> &argv);

// What PROC_PROTOCOL is unless set: decided by the command.
constexpr const char *kAutoProtocol = "auto";
const char *mode_name(Mode m);
std::string octal_mode(int64_t mode); // "0660"

// A variable the configuration reads: its name, its default as --help and
// the README's table show it ("unset" when there is none), and what it does.
struct SettingDoc {
  std::string name, default_text, help;
};
// Every variable, in --help's order. The defaults are taken from Config{}
// (and the constants above), the ones parsing starts from, so neither
// --help nor the README (a test compares its table) can drift from them.
std::vector<SettingDoc> setting_docs();

// The environment section of --help, shared by both binaries.
std::string config_help();

} // namespace fifogate
