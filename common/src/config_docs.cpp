// What each variable is, for --help and for the README's table (which a
// test compares with this): one row per variable, its default taken from
// what parsing starts from.
#include "fifogate/config.hpp"

namespace fifogate {

namespace {

std::string unset_or(const std::string &v) {
  return v.empty() ? "unset" : v;
}

// Words wrapped to `width` columns, every line after the first indented.
std::string wrap(const std::string &text, size_t first, size_t indent, size_t width) {
  std::string out, line;
  size_t room = width - first;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(' ', at);
    if (end == std::string::npos)
      end = text.size();
    std::string word = text.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.size() + 1 + word.size() > room) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
      room = width - indent;
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

} // namespace

std::vector<SettingDoc> setting_docs() {
  const Config d;
  auto n = [](int64_t v) { return std::to_string(v); };
  return {
      {"PROC_DIR", d.proc_dir,
       "the shared directory: one subdirectory per processor kind, holding its FIFOs in, out, "
       "status and lock files"},
      {"PROC_NAME", d.name,
       "processor: the kind it serves (its subdirectory; the web serves it at POST "
       "/process/<name>)"},
      {"WEB_DEFAULT_PROCESSOR", d.default_processor,
       "web: the kind POST /process and /check go to"},
      {"PROC_SLOTS", n(d.slots),
       "worker slots per kind: slot k>0 adds \".k\" to each file (a processor claims the first "
       "free one)"},
      {"PROC_COMMAND", d.command_line,
       "command run per request, split into argv without a shell ('...' \"...\" and \\ quote)"},
      {"PROC_PROTOCOL", kAutoProtocol,
       "auto | ispell | raw; auto = ispell for aspell/hunspell/ispell -a"},
      {"PROC_MODE", mode_name(d.mode),
       "per-request (a fresh command per request) | warm (one long-running ispell command per "
       "worker)"},
      {"PROC_WARM_MAX_REQUESTS", n(d.warm_max_requests),
       "warm mode: restart the command after this many"},
      {"PROC_CONTENT_TYPE", unset_or(d.content_type),
       "processor: the Content-Type of its answers; unset = text/plain; charset=utf-8 for UTF-8 "
       "output, else application/octet-stream"},
      {"PROC_PARAMS", unset_or(d.param_spec),
       "processor: the parameters a request may set, \"name=rule ...\" (rule: a regular "
       "expression the whole value must match); each reaches the command as "
       "FIFOGATE_PARAM_<NAME> and as \"{name}\" in PROC_COMMAND"},
      {"PROC_PASS_HEADERS", "unset",
       "processor: request headers the command gets, comma-separated, as "
       "FIFOGATE_HEADER_<NAME>"},
      {"PROC_PASS_REQUEST", d.pass_request ? "1" : "0",
       "processor: 1 = the command gets FIFOGATE_METHOD, _PATH, _QUERY and _REQUEST_ID"},
      {"PROC_STREAM", stream_policy_name(d.stream),
       "processor: allow (answers stream when a request asks: ?stream=1 or Accept: "
       "text/event-stream) | never | always"},
      {"PROC_TIMEOUT_MS", n(d.timeout_ms),
       "the command's deadline; the web waits " + n(Config::kWebGraceMs) + " ms longer"},
      {"PROC_WAIT_MS", n(d.wait_ms), "web: wait for the lock and for a worker (then 503)"},
      {"PROC_FORM_FIELD", d.form_field,
       "web: the form field (urlencoded or multipart) that holds the text; a single uploaded "
       "file is taken too; set but empty = forms reach the command undecoded"},
      {"HOST", d.host, "web: listen address"},
      {"PORT", n(d.port), "web: listen port"},
      {"WEB_SOCKET", unset_or(d.web_socket),
       "web: listen on this Unix socket (absolute path) instead of HOST:PORT; a stale one is "
       "replaced"},
      {"WEB_SOCKET_MODE", octal_mode(d.web_socket_mode), "web: the socket file's mode"},
      {"WEB_SOCKET_GROUP", unset_or(d.web_socket_group),
       "web: the socket file's group (name or gid)"},
      {"MAX_BODY_BYTES", n(d.max_body_bytes), "web: largest request body (then 413)"},
      {"MAX_OUTPUT_BYTES", n(d.max_output_bytes),
       "largest command output of an answer not streamed (then 502)"},
      {"WEB_THREADS", n(d.web_threads), "web: requests served at once"},
      {"WEB_MAX_CONNECTIONS", n(d.max_connections),
       "web: connections open at once; past it a new one gets 503 at once (requests wait by "
       "time: PROC_WAIT_MS)"},
      {"WEB_HEAD_TIMEOUT_MS", n(d.head_timeout_ms),
       "web: a request's head must arrive within this (then 408)"},
      {"WEB_BODY_TIMEOUT_MS", n(d.body_timeout_ms),
       "web: a request's body must arrive within this (then 408)"},
      {"WEB_BODY_MIN_RATE", n(d.body_min_rate),
       "web: bytes/s a body must average once WEB_HEAD_TIMEOUT_MS has passed (then 408); 0 = "
       "no minimum"},
      {"WEB_TOKEN", unset_or(d.web_token),
       "web: when set, the work routes need \"Authorization: Bearer <token>\" (else 401)"},
      {"WEB_CORS_ORIGINS", unset_or(d.cors_origins),
       "web: origins (scheme://host[:port], comma-separated, or *) whose pages may call the "
       "API; unset = no CORS headers"},
      {"WEB_KEEPALIVE_MS", n(d.keepalive_ms),
       "web: an idle keep-alive connection is closed after this; 0 = one request per "
       "connection"},
      {"WEB_SEND_TIMEOUT_MS", n(d.send_timeout_ms),
       "web: a client must take a whole answer (not streamed) within this, and never stall 5 s "
       "(else the connection is closed)"},
      {"WEB_STREAM_GRACE_MS", n(d.stream_grace_ms),
       "web: a streamed answer starts no sooner than this after the request was read, "
       "so a fast failure keeps its status"},
      {"WEB_CACHE_BYTES", n(d.cache_bytes),
       "web: memory for the line cache of ispell answers (each line's answer kept, least "
       "recently used dropped first); 0 = no cache"},
      {"WEB_V2_MAX_TEXT_LENGTH", n(d.v2_max_text_length),
       "web: the longest text /v2/check (LanguageTool API) takes, in characters (then 413)"},
  };
}

std::string config_help() {
  std::string out = "Environment (same names for fifogate-web and fifogate-processor):\n";
  constexpr size_t kName = 20, kWidth = 79;
  for (const auto &s : setting_docs()) {
    std::string head = "  " + s.name + " ";
    if (head.size() < kName)
      head.resize(kName, ' ');
    out += head + wrap(s.help + " [" + s.default_text + "]", head.size(), kName, kWidth) + "\n";
  }
  return out;
}

} // namespace fifogate
