// POST /check: the text's misspellings, as JSON for scripts and editors, or
// as the page with the result written in for a browser's form.
#include "json_answers.hpp"
#include "languages.hpp"
#include "result_page.hpp"
#include "web_server_impl.hpp"
#include <nlohmann/json.hpp>

extern const char *const fifogate_index_html;

namespace fifogate {

// A form a browser sent itself (no script): it wants a page to show. A
// script's fetch asks for JSON (the page's does) or for anything (*/*).
bool wants_html(const httplib::Request &req) {
  return !wants_json(req) && req.get_header_value("Accept").find("text/html") != std::string::npos;
}

const char *page_security_policy() {
  // Nothing but this page itself: it must work offline, and no script could
  // call out even if text were ever rendered unescaped.
  return "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
         "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'";
}

void WebServer::Impl::page_answer(httplib::Response &res, int status, PageContent content,
                                  bool with_languages) {
  if (status != 200 && RequestContext::current().reason.empty())
    RequestContext::current().reason = content.error;
  if (status == 503 && !res.has_header("Retry-After"))
    res.set_header("Retry-After", "1");
  content.request_id = RequestContext::current().id.hex();
  if (with_languages)
    content.languages = installed_languages(live_workers());
  res.status = status;
  res.set_header("Content-Security-Policy", page_security_policy());
  res.set_content(render_page(fifogate_index_html, content), "text/html; charset=utf-8");
}

void WebServer::Impl::check(const httplib::Request &req, httplib::Response &res,
                            const httplib::ContentReader &reader) {
  Metrics::InFlight busy(metrics);
  bool html = wants_html(req);
  PageContent page;
  page.lang = req.get_param_value("lang");
  auto fail = [&](int status, const std::string &msg) {
    if (!html)
      return json_error(res, status, msg);
    page.error = msg;
    page_answer(res, status, std::move(page));
  };
  std::string unknown;
  ProcessorKind *kind = kind_for(req, unknown);
  if (!kind) {
    RequestContext::current().unread_body = true;
    return fail(404, unknown);
  }
  // Its answer is worked out from the whole output: it cannot come in pieces.
  if (req.has_param("stream") ||
      req.get_header_value("Accept").find("text/event-stream") != std::string::npos) {
    RequestContext::current().unread_body = true;
    return fail(400, "POST /check does not stream: its matches come from the whole answer; "
                     "POST /process?stream=1 streams the checker's output");
  }
  Body body = read_body(req, reader);
  if (body.status)
    return fail(body.status, body.error);
  // Known once a worker of the kind has said (none live: the exchange answers 503).
  if (WorkerInfo w = kind->info(); !w.protocol.empty() && w.protocol != "ispell")
    return fail(501, "POST /check reads ispell answers (aspell -a, hunspell -a), and processor " +
                         kind->name() + " runs \"" + w.command + "\" (protocol " + w.protocol +
                         "): use POST /process/" + kind->name());
  auto decoded = decode(body, page.lang, true);
  if (auto *refusal = std::get_if<BodyRefusal>(&decoded))
    return fail(refusal->status, refusal->message);
  auto &creq = std::get<RequestText>(decoded);
  page.text = creq.text;
  page.lang = creq.lang;
  auto options = options_for(req, *kind, creq);
  if (auto *why = std::get_if<std::string>(&options))
    return fail(400, *why);
  if (auto problem = check_lang(*kind, creq.lang))
    return fail(400, *problem);
  RequestId id = RequestContext::current().id;
  ExchangeResult r = dispatch_text(*kind, id, creq.text, std::get<RequestOptions>(options));
  HttpVerdict v = verdict_for(r, cfg);
  std::vector<SpellMatch> matches;
  if (v.status == 200) {
    if (auto why = unplaceable_line(r.output, creq.text))
      v = {400, *why};
    else if (auto m = ispell_matches(r.output, creq.text); m)
      matches = std::move(*m);
    else
      v = {502, "the command's answer is not ispell output: " + m.error().message()};
  }
  note_exchange(r, v, creq.lang);
  outcome_headers(res, r, v);
  if (v.status == 200)
    RequestContext::current().extra.add("matches", static_cast<int64_t>(matches.size()));
  if (html) {
    if (v.status != 200) {
      auto j = exchange_json(id, r, v);
      page.error = j.value("error", v.reason);
    } else {
      page.matches = std::move(matches);
    }
    return page_answer(res, v.status, std::move(page));
  }
  res.status = v.status;
  if (v.status != 200) {
    auto j = exchange_json(id, r, v);
    j["status"] = v.status;
    res.set_content(dump(j), "application/json");
    return;
  }
  nlohmann::json j = {{"request_id", id.hex()},
                      {"lang", creq.lang.empty() ? nlohmann::json() : nlohmann::json(creq.lang)},
                      {"duration_ms", r.status->duration_ms},
                      {"matches", matches_json(matches)}};
  res.set_content(dump(j), "application/json");
}

} // namespace fifogate
