#include "json_answers.hpp"
#include "web_server_impl.hpp"
#include <nlohmann/json.hpp>

namespace fifogate {

void WebServer::Impl::text_error(httplib::Response &res, int status, const std::string &msg) {
  res.status = status;
  res.set_content("fifogate: " + msg + "\n", "text/plain; charset=utf-8");
  if (RequestContext::current().reason.empty())
    RequestContext::current().reason = msg;
}

void WebServer::Impl::json_error(httplib::Response &res, int status, const std::string &msg) {
  res.status = status;
  res.set_content(
      dump(
          {{"request_id", RequestContext::current().id.hex()}, {"status", status}, {"error", msg}}),
      "application/json");
  if (status == 503)
    res.set_header("Retry-After", "1");
  if (RequestContext::current().reason.empty())
    RequestContext::current().reason = msg;
}

// The worker's facts for the access-log line.
void WebServer::Impl::note_exchange(const ExchangeResult &r, const HttpVerdict &v,
                                    const std::string &lang) {
  auto &a = RequestContext::current();
  if (r.status)
    a.extra.add("outcome", outcome_name(r.status->outcome)).add("exit", r.status->exit_code);
  if (!r.worker.empty())
    a.extra.add("worker", r.worker);
  if (!lang.empty())
    a.extra.add("lang", lang);
  std::string detail = r.status && !r.status->message.empty() ? r.status->message : r.detail;
  if (v.status != 200)
    a.reason = v.reason + (detail.empty() ? "" : ": " + detail);
}

void WebServer::Impl::outcome_headers(httplib::Response &res, const ExchangeResult &r,
                                      const HttpVerdict &v) {
  if (v.retry_after_s > 0)
    res.set_header("Retry-After", std::to_string(v.retry_after_s));
  if (const StatusRecord *s = r.status ? &*r.status : nullptr) {
    res.set_header("X-Outcome", outcome_name(s->outcome));
    if (s->exit_code >= 0)
      res.set_header("X-Exit-Code", std::to_string(s->exit_code));
    if (s->signal)
      res.set_header("X-Signal", std::to_string(s->signal));
  }
}

void WebServer::Impl::answer(const httplib::Request &req, httplib::Response &res,
                             const RequestId &id, const ExchangeResult &r, const HttpVerdict &v) {
  res.status = v.status;
  outcome_headers(res, r, v);
  if (wants_json(req)) {
    res.set_content(dump(exchange_json(id, r, v)), "application/json");
    return;
  }
  if (v.status == 200) {
    // The processor's PROC_CONTENT_TYPE, else by what the output is.
    std::string type =
        answer_content_type(r.status ? r.status->content_type : std::string(), r.output);
    res.set_header("X-Content-Type-Options", "nosniff");
    // The type is the processor's to choose (text/html, say) and the answer
    // comes from the web's origin: a browser opening it runs no script of
    // it, loads nothing, and gets none of the origin's cookies or storage.
    res.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
    res.set_content(r.output, type);
    return;
  }
  const StatusRecord *s = r.status ? &*r.status : nullptr;
  std::string detail = s && !s->message.empty() ? s->message : r.detail;
  std::string body = "fifogate: " + v.reason + (detail.empty() ? "" : ": " + detail) + "\n";
  if (s) {
    body += "request: " + id.hex() + "\noutcome: " + outcome_name(s->outcome) + "\n";
    if (s->exit_code >= 0)
      body += "exit code: " + std::to_string(s->exit_code) + "\n";
    if (s->signal)
      body += "signal: " + std::to_string(s->signal) + "\n";
    if (!s->stderr_text.empty())
      body += "stderr" + std::string(s->stderr_truncated ? " (truncated)" : "") + ":\n" +
              s->stderr_text + (s->stderr_text.back() == '\n' ? "" : "\n");
  }
  res.set_content(body, "text/plain; charset=utf-8");
}

} // namespace fifogate
