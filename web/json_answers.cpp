#include "json_answers.hpp"

namespace fifogate {

nlohmann::json exchange_json(const RequestId &id, const ExchangeResult &r, const HttpVerdict &v) {
  const StatusRecord *s = r.status ? &*r.status : nullptr;
  std::string detail = s && !s->message.empty() ? s->message : r.detail;
  nlohmann::json j;
  j["request_id"] = id.hex();
  j["exit_code"] = s && s->exit_code >= 0 ? nlohmann::json(s->exit_code) : nlohmann::json();
  j["signal"] = s && s->signal ? nlohmann::json(s->signal) : nlohmann::json();
  j["outcome"] = s ? outcome_name(s->outcome) : exchange_error_name(r.error);
  j["stdout"] = v.status == 200 || s ? r.output : std::string();
  j["stderr"] = s ? s->stderr_text : std::string();
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
          {"slots", cfg.slots},
          {"mode", cfg.mode == Mode::warm ? "warm" : "per-request"},
          {"protocol", cfg.protocol == Protocol::ispell ? "ispell" : "raw"}};
}

nlohmann::json version_json(std::string_view web_version, const std::vector<WorkerInfo> &workers) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto &w : workers)
    list.push_back({{"slot", w.slot},
                    {"worker", w.worker.empty() ? nlohmann::json() : nlohmann::json(w.worker)},
                    {"version", w.version.empty() ? nlohmann::json() : nlohmann::json(w.version)}});
  return {{"web", web_version}, {"workers", list}};
}

std::string dump(const nlohmann::json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace fifogate
