#include "json_answers.hpp"
#include "fifogate/utf8.hpp"
#include "languages.hpp"
#include <algorithm>
#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>

namespace fifogate {

bool is_text(std::string_view bytes) {
  Utf8Validator v;
  return v.feed(bytes) && v.finish();
}

std::string answer_content_type(const std::string &declared, std::string_view output) {
  bool printable = !declared.empty();
  for (unsigned char c : declared)
    printable =
        printable && c >= ' ' && c <= '~'; // the worker checks its own; the wire is not trusted
  if (printable)
    return declared;
  return is_text(output) ? "text/plain; charset=utf-8" : "application/octet-stream";
}

std::string base64(std::string_view bytes) {
  using namespace boost::archive::iterators;
  using Encoder = base64_from_binary<transform_width<const char *, 6, 8>>;
  std::string out(Encoder(bytes.data()), Encoder(bytes.data() + bytes.size()));
  out.append((3 - bytes.size() % 3) % 3, '=');
  return out;
}

namespace {

// Text as a JSON string; anything else losslessly, as base64 beside a null.
void put_bytes(nlohmann::json &j, const std::string &field, const std::string &bytes) {
  if (is_text(bytes)) {
    j[field] = bytes;
    j[field + "_encoding"] = "utf-8";
  } else {
    j[field] = nullptr;
    j[field + "_base64"] = base64(bytes);
    j[field + "_encoding"] = "base64";
  }
}

} // namespace

nlohmann::json exchange_json(const RequestId &id, const ExchangeResult &r, const HttpVerdict &v) {
  const StatusRecord *s = r.status ? &*r.status : nullptr;
  std::string detail = s && !s->message.empty() ? s->message : r.detail;
  nlohmann::json j;
  j["request_id"] = id.hex();
  j["exit_code"] = s && s->exit_code >= 0 ? nlohmann::json(s->exit_code) : nlohmann::json();
  j["signal"] = s && s->signal ? nlohmann::json(s->signal) : nlohmann::json();
  j["outcome"] = s ? outcome_name(s->outcome) : exchange_error_name(r.error);
  put_bytes(j, "stdout", v.status == 200 || s ? r.output : std::string());
  put_bytes(j, "stderr", s ? s->stderr_text : std::string());
  j["stderr_truncated"] = s ? s->stderr_truncated : false;
  j["duration_ms"] = s ? s->duration_ms : 0;
  if (v.status != 200)
    j["error"] = v.reason + (detail.empty() ? "" : ": " + detail);
  return j;
}

nlohmann::json matches_json(const std::vector<SpellMatch> &matches) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto &m : matches)
    out.push_back({{"word", m.word},
                   {"offset", m.offset},
                   {"length", m.length},
                   {"line", m.line},
                   {"column", m.column},
                   {"suggestions", m.suggestions}});
  return out;
}

nlohmann::json limits_json(const Config &cfg) {
  return {{"max_body_bytes", cfg.max_body_bytes},
          {"max_output_bytes", cfg.max_output_bytes},
          {"timeout_ms", cfg.timeout_ms},
          {"exchange_timeout_ms", cfg.web_exchange_ms()},
          {"wait_ms", cfg.wait_ms},
          {"web_threads", cfg.web_threads},
          {"max_connections", cfg.max_connections},
          {"head_timeout_ms", cfg.head_timeout_ms},
          {"body_timeout_ms", cfg.body_timeout_ms},
          {"body_min_rate", cfg.body_min_rate},
          {"token_required", !cfg.web_token.empty()},
          {"cors_origins", cfg.cors_origins},
          {"keepalive_ms", cfg.keepalive_ms},
          {"send_timeout_ms", cfg.send_timeout_ms},
          {"slots", cfg.slots}};
}

nlohmann::json version_json(std::string_view web_version, const std::vector<WorkerInfo> &workers) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto &w : workers)
    list.push_back({{"processor", w.name},
                    {"slot", w.slot},
                    {"worker", w.worker.empty() ? nlohmann::json() : nlohmann::json(w.worker)},
                    {"version", w.version.empty() ? nlohmann::json() : nlohmann::json(w.version)}});
  return {{"web", web_version}, {"workers", list}};
}

nlohmann::json processor_json(const std::string &name, bool is_default,
                              const std::vector<WorkerInfo> &workers) {
  auto or_null = [](const std::string &s) {
    return s.empty() ? nlohmann::json() : nlohmann::json(s);
  };
  auto positive = [](int64_t n) { return n > 0 ? nlohmann::json(n) : nlohmann::json(); };
  const WorkerInfo &w = workers.front();
  // PROC_PARAMS as name -> rule (the worker checked it when it started).
  nlohmann::json params = nlohmann::json::object();
  if (auto rules = parse_param_rules(w.params))
    for (const auto &r : *rules)
      params[r.name] = r.pattern;
  nlohmann::json pass_headers = nlohmann::json::array();
  for (size_t at = 0; at < w.pass_headers.size();) {
    size_t comma = w.pass_headers.find(',', at);
    pass_headers.push_back(
        w.pass_headers.substr(at, comma == std::string::npos ? comma : comma - at));
    at = comma == std::string::npos ? w.pass_headers.size() : comma + 1;
  }
  std::vector<std::string> versions;
  for (const auto &x : workers)
    if (!x.version.empty() &&
        std::find(versions.begin(), versions.end(), x.version) == versions.end())
      versions.push_back(x.version);
  return {{"name", name},
          {"default", is_default},
          {"command", or_null(w.command)},
          {"protocol", or_null(w.protocol)},
          {"mode", or_null(w.mode)},
          {"content_type", or_null(w.content_type)},
          {"languages", installed_languages(workers)},
          {"params", params},
          {"pass_headers", pass_headers},
          {"pass_request", w.pass_request},
          {"stream", w.stream.empty() ? "allow" : w.stream},
          {"limits",
           {{"timeout_ms", positive(w.timeout_ms)},
            {"max_body_bytes", positive(w.max_body_bytes)},
            {"max_output_bytes", positive(w.max_output_bytes)}}},
          {"workers", workers.size()},
          {"versions", versions}};
}

std::string dump(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace fifogate
