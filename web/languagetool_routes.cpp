// The LanguageTool API: POST (or GET) /v2/check, GET /v2/languages,
// /v2/healthcheck, /v2/info and /v2/configinfo, on the default processor
// kind. Answers and errors are shaped as LanguageTool's own, so its clients
// (ltex-ls, the Obsidian plugin, browser add-ons, gramma) read them.
#include "fifogate/utf8.hpp"
#include "ispell_matches.hpp"
#include "json_answers.hpp"
#include "languages.hpp"
#include "languagetool.hpp"
#include "web_server_impl.hpp"
#include <nlohmann/json.hpp>

namespace fifogate {

namespace lt = languagetool;

// LanguageTool answers an error as plain text starting "Error: ".
void WebServer::Impl::lt_error(httplib::Response &res, int status, const std::string &msg) {
  res.status = status;
  if (status == 503 && !res.has_header("Retry-After"))
    res.set_header("Retry-After", "1");
  res.set_content("Error: " + msg + "\n", "text/plain; charset=utf-8");
  if (RequestContext::current().reason.empty())
    RequestContext::current().reason = msg;
}

std::vector<std::string> WebServer::Impl::lt_dictionaries() {
  return installed_languages(live_workers(kinds->default_kind()));
}

void WebServer::Impl::lt_check(const httplib::Request &req, httplib::Response &res,
                               const httplib::ContentReader *reader) {
  Metrics::InFlight busy(metrics);
  ProcessorKind &kind = kinds->default_kind();
  RequestContext::current().processor = kind.name();
  // LanguageTool reads a POST body as form fields whatever its Content-Type
  // (ltex-ls sends a form labelled application/json); the query string
  // counts too, and a field in the body wins.
  httplib::Params fields = req.params;
  if (reader) {
    Body body = read_body(req, *reader);
    if (body.status)
      return lt_error(res, body.status, body.error);
    httplib::Params from_body;
    httplib::detail::parse_query_text(body.bytes, from_body);
    for (auto &[k, v] : from_body) {
      fields.erase(k);
      fields.emplace(k, v);
    }
  }
  auto field = [&](const char *name) -> const std::string * {
    auto it = fields.find(name);
    return it == fields.end() ? nullptr : &it->second;
  };
  // Editors cannot send a bearer header; LanguageTool's own key field may carry the token.
  if (access.token_required() && !access.authorized(req.get_header_value("Authorization"))) {
    const std::string *key = field("apiKey") ? field("apiKey") : field("api_key");
    if (!key || !access.authorized("Bearer " + *key)) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"fifogate\"");
      return lt_error(res, 401,
                      "this server needs a token: send it as apiKey, or as Authorization: Bearer");
    }
  }
  const std::string *text = field("text"), *data = field("data");
  if (!text == !data)
    return lt_error(res, 400,
                    text
                        ? "send 'text' or 'data', not both"
                        : "Missing 'text' or 'data' parameter, e.g. text=Some+text&language=en-US");
  Result<lt::AnnotatedText> doc =
      text ? Result<lt::AnnotatedText>(lt::plain_text(*text)) : lt::annotated_text(*data);
  if (!doc)
    return lt_error(res, 400, doc.error().message());
  Utf8Validator utf8;
  if (!utf8.feed(doc->plain) || !utf8.finish())
    return lt_error(res, 400, "the text is not UTF-8 without NUL bytes: " + utf8.error());
  size_t length = count_code_points(doc->plain);
  if (static_cast<int64_t>(length) > cfg.v2_max_text_length)
    return lt_error(res, 413,
                    "Your text exceeds the limit of " + std::to_string(cfg.v2_max_text_length) +
                        " characters (it's " + std::to_string(length) +
                        " characters). Please submit a shorter text.");
  if (WorkerInfo w = kind.info(); !w.protocol.empty() && w.protocol != "ispell")
    return lt_error(res, 501,
                    "/v2/check needs a spell checker (aspell -a, hunspell -a) as processor " +
                        kind.name() + ", which runs \"" + w.command + "\"");
  const std::string *requested = field("language");
  auto lang = lt::language_for(requested ? *requested : "auto", lt_dictionaries());
  if (!lang)
    return lt_error(res, 400, lang.error().message());
  if (auto problem = check_lang(kind, lang->dictionary))
    return lt_error(res, 400, *problem);
  RequestOptions opts;
  opts.lang = lang->dictionary;
  opts.content_type = "text/plain; charset=utf-8";
  opts.body_len = doc->plain.size();
  RequestId id = RequestContext::current().id;
  ExchangeResult r = dispatch_text(kind, id, doc->plain, opts);
  HttpVerdict v = verdict_for(r, cfg);
  std::vector<SpellMatch> matches;
  if (v.status == 200) {
    if (auto why = unplaceable_line(r.output, doc->plain))
      v = {400, *why};
    else if (auto m = ispell_matches(r.output, doc->plain); m)
      matches = std::move(*m);
    else
      v = {502, "the command's answer is not ispell output: " + m.error().message()};
  }
  note_exchange(r, v, lang->dictionary);
  outcome_headers(res, r, v);
  if (v.status != 200) {
    std::string detail = r.status && !r.status->message.empty() ? r.status->message : r.detail;
    return lt_error(res, v.status,
                    v.reason + (detail.empty() ? "" : ": " + detail) + " (request " + id.hex() +
                        ")");
  }
  RequestContext::current().extra.add("matches", static_cast<int64_t>(matches.size()));
  res.set_content(dump(lt::check_json(FIFOGATE_VERSION, *lang, matches, *doc)), "application/json");
}

void WebServer::Impl::lt_routes() {
  svr.Post("/v2/check",
           [this](const httplib::Request &req, httplib::Response &res,
                  const httplib::ContentReader &reader) { lt_check(req, res, &reader); });
  svr.Get("/v2/check", [this](const httplib::Request &req, httplib::Response &res) {
    lt_check(req, res, nullptr);
  });
  allow_only("/v2/check", "GET, POST", "use POST /v2/check with text=...&language=... (a form)");
  svr.Get("/v2/languages", [this](const httplib::Request &, httplib::Response &res) {
    res.set_content(dump(lt::languages_json(lt_dictionaries())), "application/json");
  });
  // LanguageTool's own answer; a probe that wants the workers asks /healthz.
  svr.Get("/v2/healthcheck", [](const httplib::Request &, httplib::Response &res) {
    res.set_content("OK", "text/plain; charset=utf-8");
  });
  auto info = [this](const httplib::Request &, httplib::Response &res) {
    nlohmann::json j = {
        {"software", lt::software_json(FIFOGATE_VERSION)},
        {"parameter",
         {{"maxTextLength", cfg.v2_max_text_length},
          {"maxTextHardLength", cfg.v2_max_text_length},
          {"maxCheckTimeMillis", kinds->default_kind().exchange_config()->timeout_ms},
          {"maxErrorsPerWordRate", 0}}},
        {"rules", nlohmann::json::array()}};
    res.set_content(dump(j), "application/json");
  };
  svr.Get("/v2/info", info);
  svr.Get("/v2/configinfo", info);
  for (const char *path : {"/v2/languages", "/v2/healthcheck", "/v2/info", "/v2/configinfo"})
    allow_only(path, "GET", std::string("use GET ") + path);
}

} // namespace fifogate
