#include "access_log.hpp"
#include "fifogate/log.hpp"
#include "json_answers.hpp"
#include "web_server_impl.hpp"
#include <nlohmann/json.hpp>
#include <strings.h>

extern const char *const fifogate_index_html;

namespace fifogate {

namespace {

// The routes that do work or tell about the workers; /, /healthz and /limits
// stay open so probes and the page's shell load without the token.
// LanguageTool's clients cannot send a header: /v2/check may carry the
// token as its apiKey field (checked once the body is read), and what they
// ask before checking (languages, limits, health) is as open as /limits.
bool needs_token(const httplib::Request &req) {
  const std::string &path = req.path;
  if (path == "/v2/check")
    return req.has_header("Authorization");
  return path != "/" && path != "/healthz" && path != "/limits" && path != "/v2/languages" &&
         path != "/v2/healthcheck" && path != "/v2/info" && path != "/v2/configinfo";
}

// Headers a page of an allowed origin may read from an answer.
constexpr const char *kExposedHeaders =
    "X-Request-Id, X-Outcome, X-Exit-Code, X-Signal, Retry-After";

// What cpp-httplib refused before any route ran, said so the client can fix it.
std::string edge_refusal(int status) {
  std::string why;
  switch (status) {
  case 400:
    why = "the request is not valid HTTP/1.1 (its request line or a header)";
    break;
  case 413:
    why = "the request is too large";
    break;
  case 414:
    why = "the request target is over " + std::to_string(CPPHTTPLIB_REQUEST_URI_MAX_LENGTH) +
          " bytes";
    break;
  case 416:
    why = "the Range asked for cannot be served";
    break;
  case 431:
    why = "a header is over " + std::to_string(CPPHTTPLIB_HEADER_MAX_LENGTH) +
          " bytes, or there are over " + std::to_string(CPPHTTPLIB_HEADER_MAX_COUNT) + " headers";
    break;
  default:
    why = "the request was refused";
  }
  return "HTTP " + std::to_string(status) + ": " + why;
}

// The routes that name a processor kind: /process/<name>, /check/<name>.
constexpr const char *kProcessNamed = R"(/process/([^/]+))";
constexpr const char *kCheckNamed = R"(/check/([^/]+))";

// The key of `path` in the refusal table: a named work route is filed
// under its pattern.
std::string route_key(const std::string &path) {
  for (const char *base : {"/process/", "/check/"}) {
    std::string_view b(base);
    if (path.size() > b.size() && path.compare(0, b.size(), b) == 0 &&
        path.find('/', b.size()) == std::string::npos)
      return b == "/process/" ? kProcessNamed : kCheckNamed;
  }
  return path;
}

} // namespace

bool takes_body(std::string_view method, std::string_view path) {
  if (method != "POST")
    return false;
  std::string key = route_key(std::string(path));
  return key == "/process" || key == "/check" || key == kProcessNamed || key == kCheckNamed ||
         key == "/v2/check";
}

bool wants_json(const httplib::Request &req) {
  return req.get_header_value("Accept").find("application/json") != std::string::npos;
}

// Answers 405 with Allow for the methods `path` does not take.
void WebServer::Impl::allow_only(const std::string &path, const std::string &allow,
                                 const std::string &hint) {
  refusals[path] = {allow, hint};
  auto refuse = [this, allow, hint](const httplib::Request &, httplib::Response &res) {
    res.set_header("Allow", allow);
    text_error(res, 405, hint);
  };
  if (allow.find("GET") == std::string::npos)
    svr.Get(path, refuse);
  if (allow.find("POST") == std::string::npos)
    svr.Post(path, refuse);
  svr.Put(path, refuse);
  svr.Patch(path, refuse);
  svr.Delete(path, refuse);
  svr.Options(path, refuse);
}

// Refusals decided from the head alone, before the body is read (it then
// stays unread and the connection ends after the answer). True when `res`
// holds the answer.
bool WebServer::Impl::early_refusal(const httplib::Request &req, httplib::Response &res) {
  auto &ctx = RequestContext::current();
  ctx.routed = true;
  auto refuse = [&](int status, const std::string &msg) {
    ctx.unread_body = true;
    bool check_route = req.path == "/check" || route_key(req.path) == kCheckNamed;
    if (req.path.rfind("/v2/", 0) == 0)
      lt_error(res, status, msg);
    else if (check_route && wants_html(req))
      page_answer(res, status, PageContent{{}, {}, {}, std::nullopt, msg, {}}, false);
    else if (check_route)
      json_error(res, status, msg);
    else
      text_error(res, status, msg);
    return true;
  };
  // A CORS preflight from an allowed origin: the browser asks which methods
  // and headers its page may use.
  auto it = refusals.find(route_key(req.path));
  if (req.method == "OPTIONS" && it != refusals.end() && req.has_header("Origin") &&
      req.has_header("Access-Control-Request-Method") &&
      access.origin_allowed(req.get_header_value("Origin"))) {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", it->second.first);
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept");
    res.set_header("Access-Control-Max-Age", "600");
    return true;
  }
  if (access.token_required() && needs_token(req) && req.method != "OPTIONS" &&
      !access.authorized(req.get_header_value("Authorization"))) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"fifogate\"");
    return refuse(401, req.has_header("Authorization")
                           ? "the bearer token is not the one this server takes"
                           : "this server needs a token: send Authorization: Bearer <token>");
  }
  auto enc = req.get_header_value("Content-Encoding");
  if (!enc.empty() && strcasecmp(enc.c_str(), "identity") != 0)
    return refuse(415, "Content-Encoding " + enc + " is not accepted; send the body as is");
  if (req.get_header_value_u64("Content-Length") > static_cast<uint64_t>(cfg.max_body_bytes))
    return refuse(413, "body over MAX_BODY_BYTES=" + std::to_string(cfg.max_body_bytes) + " bytes");
  // cpp-httplib reads a multipart/form-data body only as parts, feeding its
  // parser piece by piece (which searches its whole buffer again for each
  // piece until the first boundary). The handlers read the bytes as they
  // came and split them once (request_body.cpp), or pass them on undecoded
  // (PROC_FORM_FIELD empty): httplib is shown another type (the request is
  // its own object, handed here as const), and the handlers go by the one
  // the client sent.
  if (ctx.content_type.empty()) // this runs twice for a request that expects 100-continue
    ctx.content_type = req.get_header_value("Content-Type");
  if (req.is_multipart_form_data()) {
    auto &headers = const_cast<httplib::Request &>(req).headers;
    headers.erase("Content-Type");
    headers.emplace("Content-Type", "application/octet-stream");
  }
  // A method the path does not take, or a path that is not there.
  auto not_here = [&] {
    if (it == refusals.end())
      return refuse(404, "no such path: " + req.path);
    res.set_header("Allow", it->second.first);
    return refuse(405, it->second.second);
  };
  // Only POST /process and /check take a body. Any other request's body
  // would be read whole only to answer 404 or 405: answer now, leave it unread.
  bool has_body =
      req.has_header("Transfer-Encoding") || req.get_header_value_u64("Content-Length") > 0;
  ctx.body_complete = !has_body;
  if (has_body && !takes_body(req.method, req.path))
    return not_here();
  // httplib parses these but routes them nowhere: methods no path here takes.
  if (req.method == "TRACE" || req.method == "CONNECT")
    return not_here();
  return false;
}

void WebServer::Impl::routes() {
  svr.set_payload_max_length(static_cast<size_t>(cfg.max_body_bytes));
  svr.set_keep_alive_max_count(cfg.keepalive_ms > 0 ? 1000 : 1);
  svr.set_keep_alive_timeout(std::max<time_t>(1, static_cast<time_t>(cfg.keepalive_ms / 1000)));
  svr.set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
    return early_refusal(req, res) ? httplib::Server::HandlerResponse::Handled
                                   : httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_expect_100_continue_handler([this](const httplib::Request &req, httplib::Response &res) {
    return early_refusal(req, res) ? res.status : 100;
  });
  // Runs after httplib chose the Connection/Keep-Alive headers and before
  // it writes them: the last word on whether this connection goes on.
  svr.set_post_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
    auto &ctx = RequestContext::current();
    if (!res.has_header("X-Request-Id"))
      res.set_header("X-Request-Id", ctx.id.hex());
    std::string origin = req.get_header_value("Origin");
    if (access.origin_allowed(origin)) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Access-Control-Expose-Headers", kExposedHeaders);
    }
    if (!access.origins.empty())
      res.set_header("Vary", "Origin");
    // Where the next request starts is unknown after a head httplib could
    // not parse or answered before routing (400, 414, 416), or a body left
    // unread: the connection ends after this answer, and says so. httplib
    // ends it after every error; an error whose request was read whole (bad
    // JSON, 404, 405) keeps it here.
    ctx.ends_connection =
        ctx.unread_body || !ctx.routed || (res.status >= 400 && !ctx.body_complete) || ctx.last ||
        strcasecmp(req.get_header_value("Connection").c_str(), "close") == 0 ||
        (req.version == "HTTP/1.0" &&
         strcasecmp(req.get_header_value("Connection").c_str(), "keep-alive") != 0);
    res.headers.erase("Keep-Alive");
    res.headers.erase("Connection"); // set_header adds, it does not replace
    if (ctx.ends_connection)
      res.set_header("Connection", "close");
    else if (cfg.keepalive_ms >= 1000) // its timeout is in whole seconds
      res.set_header("Keep-Alive",
                     "timeout=" + std::to_string(cfg.keepalive_ms / 1000) + ", max=1000");
  });
  // Runs just before the answer is written; the line itself is written
  // after it, with whether it reached the client (access_log.cpp).
  svr.set_logger([](const httplib::Request &req, const httplib::Response &res) {
    auto &ctx = RequestContext::current();
    ctx.answered = true;
    ctx.method = req.method;
    ctx.path = req.path;
    ctx.status = res.status;
    ctx.bytes_out = static_cast<int64_t>(res.body.size());
    ctx.bytes_in = std::max(ctx.bytes_in, static_cast<int64_t>(req.body.size()));
  });

  svr.Get("/", [page = render_page(fifogate_index_html, {})](const httplib::Request &,
                                                             httplib::Response &res) {
    res.set_header("Content-Security-Policy", page_security_policy());
    res.set_content(page, "text/html; charset=utf-8");
  });
  svr.Post("/process", [this](const httplib::Request &req, httplib::Response &res,
                              const httplib::ContentReader &reader) { process(req, res, reader); });
  allow_only("/process", "POST", "use POST /process with the text as the body");
  svr.Post(kProcessNamed,
           [this](const httplib::Request &req, httplib::Response &res,
                  const httplib::ContentReader &reader) { process(req, res, reader); });
  allow_only(kProcessNamed, "POST", "use POST /process/<name> with the input as the body");
  svr.Post("/check", [this](const httplib::Request &req, httplib::Response &res,
                            const httplib::ContentReader &reader) { check(req, res, reader); });
  allow_only("/check", "POST", "use POST /check with {\"text\": \"...\"} or the text as the body");
  svr.Post(kCheckNamed, [this](const httplib::Request &req, httplib::Response &res,
                               const httplib::ContentReader &reader) { check(req, res, reader); });
  allow_only(kCheckNamed, "POST", "use POST /check/<name> with {\"text\": \"...\"} or the text");
  lt_routes();
  svr.Get("/healthz",
          [this](const httplib::Request &req, httplib::Response &res) { healthz(req, res); });
  svr.Get("/languages",
          [this](const httplib::Request &, httplib::Response &res) { languages(res); });
  svr.Get("/processors",
          [this](const httplib::Request &, httplib::Response &res) { processors(res); });
  svr.Get("/version", [this](const httplib::Request &, httplib::Response &res) { version(res); });
  svr.Get("/limits", [this](const httplib::Request &, httplib::Response &res) {
    res.set_content(dump(limits_json(cfg)), "application/json");
  });
  svr.Get("/metrics",
          [this](const httplib::Request &, httplib::Response &res) { metrics_page(res); });
  for (const char *path :
       {"/", "/healthz", "/languages", "/processors", "/version", "/limits", "/metrics"})
    allow_only(path, "GET", std::string("use GET ") + path);
  svr.set_error_handler([this](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty())
      return; // a route's own error answer
    if (res.status == 404)
      text_error(res, 404, "no such path: " + req.path);
    else
      text_error(res, res.status, edge_refusal(res.status));
  });
  svr.set_exception_handler([this](const httplib::Request &req, httplib::Response &res,
                                   std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception &e) {
      what = e.what();
    } catch (...) {
    }
    log_line("web", "req=" + RequestContext::current().id.hex() +
                        " error: " + log_text(req.method) + " " + log_text(req.path) + ": " + what);
    text_error(res, 500, "internal error in the web: " + what + " (its log has this request's id)");
  });
}

} // namespace fifogate
