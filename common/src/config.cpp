#include "fifogate/config.hpp"
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace fifogate {

Channel Config::channel(int slot) const {
  std::string suffix = slot == 0 ? "" : "." + std::to_string(slot);
  std::string d = kind_dir() + "/";
  return Channel{slot, d + "in" + suffix, d + "out" + suffix, d + "status" + suffix,
                 d + "lock" + suffix};
}

Config Config::for_kind(const std::string &kind) const {
  Config c = *this;
  c.name = kind;
  return c;
}

const char *stream_policy_name(StreamPolicy p) {
  switch (p) {
  case StreamPolicy::allow:
    return "allow";
  case StreamPolicy::never:
    return "never";
  case StreamPolicy::always:
    return "always";
  }
  return "allow";
}

const char *mode_name(Mode m) {
  return m == Mode::warm ? "warm" : "per-request";
}

std::string octal_mode(int64_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04llo", static_cast<unsigned long long>(mode));
  return buf;
}

bool valid_kind_name(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (unsigned char ch : name)
    if (!std::isalnum(ch) && ch != '_' && ch != '-')
      return false;
  return true;
}

EnvLookup process_env() {
  return [](const std::string &name) -> std::optional<std::string> {
    const char *v = std::getenv(name.c_str());
    if (!v)
      return std::nullopt;
    return std::string(v);
  };
}

Result<std::vector<std::string>> split_command(const std::string &line) {
  std::vector<std::string> argv;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= line.size())
        return Error::logic("PROC_COMMAND: trailing backslash");
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word)
        argv.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote)
    return Error::logic("PROC_COMMAND: unterminated quote");
  if (in_word)
    argv.push_back(std::move(word));
  if (argv.empty())
    return Error::logic("PROC_COMMAND: empty command");
  return argv;
}

bool looks_like_ispell(const std::vector<std::string> &argv) {
  if (argv.empty())
    return false;
  auto slash = argv[0].rfind('/');
  std::string prog = slash == std::string::npos ? argv[0] : argv[0].substr(slash + 1);
  if (prog != "aspell" && prog != "hunspell" && prog != "ispell")
    return false;
  for (size_t i = 1; i < argv.size(); ++i)
    if (argv[i] == "-a" || argv[i] == "pipe")
      return true;
  return false;
}

static Result<int64_t> get_int(const EnvLookup &env, const char *name, int64_t def, int64_t lo,
                               int64_t hi) {
  auto v = env(name);
  if (!v || v->empty())
    return def;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < lo || out > hi)
    return Error::logic(std::string(name) + "=" + *v + ": expected a whole number from " +
                        std::to_string(lo) + " to " + std::to_string(hi));
  return out;
}

static void get_str(const EnvLookup &env, const char *name, std::string &out) {
  if (auto v = env(name); v && !v->empty())
    out = *v;
}

Result<Config> config_from(const EnvLookup &env) {
  Config c;
  for (const char *old : {"PROC_INPUT", "PROC_OUTPUT", "PROC_STATUS", "PROC_LOCK"})
    if (env(old))
      return Error::logic(std::string(old) +
                          " is no longer read: a kind's FIFOs are PROC_DIR/PROC_NAME/in, out, "
                          "status and lock; set PROC_DIR (and PROC_NAME) and unset it");
  get_str(env, "PROC_DIR", c.proc_dir);
  while (c.proc_dir.size() > 1 && c.proc_dir.back() == '/')
    c.proc_dir.pop_back();
  if (c.proc_dir[0] != '/')
    return Error::logic("PROC_DIR=" + c.proc_dir + ": must be an absolute path");
  get_str(env, "PROC_NAME", c.name);
  get_str(env, "WEB_DEFAULT_PROCESSOR", c.default_processor);
  for (auto [var, value] :
       {std::pair{"PROC_NAME", &c.name}, std::pair{"WEB_DEFAULT_PROCESSOR", &c.default_processor}})
    if (!valid_kind_name(*value))
      return Error::logic(std::string(var) + "=" + *value +
                          ": a processor name is 1 to 64 of A-Z a-z 0-9 _ -");
  get_str(env, "PROC_PARAMS", c.param_spec);
  if (auto rules = parse_param_rules(c.param_spec); rules)
    c.params = std::move(*rules);
  else
    return rules.error();
  std::string headers;
  get_str(env, "PROC_PASS_HEADERS", headers);
  for (size_t at = 0; at < headers.size();) {
    size_t comma = headers.find(',', at);
    std::string h = headers.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? headers.size() : comma + 1;
    while (!h.empty() && h.back() == ' ')
      h.pop_back();
    while (!h.empty() && h.front() == ' ')
      h.erase(0, 1);
    if (h.empty())
      continue;
    for (char &ch : h) {
      // Letters, digits and '-', as the web passes them (passable_header).
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-')
        return Error::logic("PROC_PASS_HEADERS: \"" + h +
                            "\" is not a header name (letters, digits and -)");
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    if (h == "authorization" || h == "cookie" || h == "proxy-authorization")
      return Error::logic("PROC_PASS_HEADERS: " + h +
                          " carries credentials meant for the web; it is never passed on");
    c.pass_headers.push_back(h);
  }
  if (c.pass_headers.size() > 16)
    return Error::logic("PROC_PASS_HEADERS: at most 16 headers");
  std::string pass_request = c.pass_request ? "1" : "0";
  get_str(env, "PROC_PASS_REQUEST", pass_request);
  if (pass_request != "0" && pass_request != "1")
    return Error::logic("PROC_PASS_REQUEST=" + pass_request + ": expected 0 or 1");
  c.pass_request = pass_request == "1";
  get_str(env, "PROC_CONTENT_TYPE", c.content_type);
  for (unsigned char ch : c.content_type)
    if (ch < ' ' || ch > '~')
      return Error::logic("PROC_CONTENT_TYPE: a media type is printable ASCII");
  get_str(env, "HOST", c.host);
  get_str(env, "PROC_COMMAND", c.command_line);
  get_str(env, "WEB_TOKEN", c.web_token);
  get_str(env, "WEB_SOCKET", c.web_socket);
  if (!c.web_socket.empty() && c.web_socket[0] != '/')
    return Error::logic("WEB_SOCKET=" + c.web_socket + ": an absolute path is expected");
  std::string socket_mode = octal_mode(c.web_socket_mode);
  get_str(env, "WEB_SOCKET_MODE", socket_mode);
  {
    char *end = nullptr;
    long m = std::strtol(socket_mode.c_str(), &end, 8);
    if (socket_mode.empty() || *end != '\0' || m < 0 || m > 0777)
      return Error::logic("WEB_SOCKET_MODE=" + socket_mode + ": an octal mode such as 0660");
    c.web_socket_mode = m;
  }
  get_str(env, "WEB_SOCKET_GROUP", c.web_socket_group);
  get_str(env, "WEB_CORS_ORIGINS", c.cors_origins);
  // Set but empty is a choice of its own: forms pass through undecoded.
  if (auto field = env("PROC_FORM_FIELD")) {
    for (unsigned char ch : *field)
      if (ch <= ' ' || ch == 0x7f || ch == '"')
        return Error::logic("PROC_FORM_FIELD=" + *field +
                            ": a form field name has no spaces, quotes or control characters");
    c.form_field = *field;
  }
  if (env("WEB_QUEUE"))
    return Error::logic("WEB_QUEUE is no longer read: a request waits for a worker up to "
                        "PROC_WAIT_MS, and WEB_MAX_CONNECTIONS bounds open connections; unset it");
  auto argv = split_command(c.command_line);
  if (!argv)
    return argv.error();
  c.command = *argv;

  std::string proto = kAutoProtocol;
  get_str(env, "PROC_PROTOCOL", proto);
  if (proto == "auto")
    c.protocol = looks_like_ispell(c.command) ? Protocol::ispell : Protocol::raw;
  else if (proto == "ispell")
    c.protocol = Protocol::ispell;
  else if (proto == "raw")
    c.protocol = Protocol::raw;
  else
    return Error::logic("PROC_PROTOCOL=" + proto + ": expected auto, ispell or raw");

  std::string mode = mode_name(c.mode);
  get_str(env, "PROC_MODE", mode);
  if (mode == "per-request")
    c.mode = Mode::per_request;
  else if (mode == "warm")
    c.mode = Mode::warm;
  else
    return Error::logic("PROC_MODE=" + mode + ": expected per-request or warm");
  if (c.mode == Mode::warm && c.protocol != Protocol::ispell)
    return Error::logic("PROC_MODE=warm needs an ispell-protocol command (aspell -a, hunspell -a)");

  std::string stream = stream_policy_name(c.stream);
  get_str(env, "PROC_STREAM", stream);
  if (stream == "allow")
    c.stream = StreamPolicy::allow;
  else if (stream == "never")
    c.stream = StreamPolicy::never;
  else if (stream == "always")
    c.stream = StreamPolicy::always;
  else
    return Error::logic("PROC_STREAM=" + stream + ": expected allow, never or always");

  struct IntVar {
    const char *name;
    int64_t *out;
    int64_t lo, hi;
  };
  int64_t port = c.port, threads = c.web_threads, slots = c.slots;
  const IntVar ints[] = {
      {"PROC_TIMEOUT_MS", &c.timeout_ms, 1, 24 * 3600 * 1000},
      {"PROC_WAIT_MS", &c.wait_ms, 0, 3600 * 1000},
      {"PORT", &port, 0, 65535},
      {"MAX_BODY_BYTES", &c.max_body_bytes, 0, int64_t(1) << 40},
      {"MAX_OUTPUT_BYTES", &c.max_output_bytes, 0, int64_t(1) << 40},
      {"WEB_THREADS", &threads, 1, 1024},
      {"WEB_MAX_CONNECTIONS", &c.max_connections, 1, 1000000},
      {"WEB_HEAD_TIMEOUT_MS", &c.head_timeout_ms, 1, 3600 * 1000},
      {"WEB_BODY_TIMEOUT_MS", &c.body_timeout_ms, 1, 24 * 3600 * 1000},
      {"WEB_BODY_MIN_RATE", &c.body_min_rate, 0, int64_t(1) << 30},
      {"WEB_KEEPALIVE_MS", &c.keepalive_ms, 0, 3600 * 1000},
      {"WEB_SEND_TIMEOUT_MS", &c.send_timeout_ms, 1, 24 * 3600 * 1000},
      {"WEB_CACHE_BYTES", &c.cache_bytes, 0, int64_t(1) << 40},
      {"WEB_V2_MAX_TEXT_LENGTH", &c.v2_max_text_length, 1, int64_t(1) << 40},
      {"PROC_SLOTS", &slots, 1, 256},
      {"PROC_WARM_MAX_REQUESTS", &c.warm_max_requests, 1, int64_t(1) << 40},
      {"WEB_STREAM_GRACE_MS", &c.stream_grace_ms, 0, 60000},
  };
  for (const auto &v : ints) {
    auto r = get_int(env, v.name, *v.out, v.lo, v.hi);
    if (!r)
      return r.error();
    *v.out = *r;
  }
  c.port = static_cast<int>(port);
  c.web_threads = static_cast<int>(threads);
  c.slots = static_cast<int>(slots);
  return c;
}

} // namespace fifogate
