#pragma once
// The web server's parts, shared by the files that implement them:
//   http_server.cpp  start, stop, and serving one connection's requests
//   routes.cpp       the route table and the hooks cpp-httplib runs per request
//   handlers.cpp     what each route does (the exchange with a worker)
//   check_route.cpp  POST /check, as JSON or as the page (result_page.cpp)
//   languagetool_routes.cpp  the LanguageTool API (/v2/check, /v2/languages)
//   cached_exchange.cpp  the line cache in front of the exchange
//   status_routes.cpp  what the web tells about the processors (/processors,
//                    /healthz, /languages, /version, /metrics)
//   streamed_answer.cpp  POST /process answered as the output comes
//   answers.cpp      turning an exchange's result into an HTTP answer
//   access_log.cpp   the access-log line and the metrics of each request
#include "access_control.hpp"
#include "connection_loop.hpp"
#include "dispatcher.hpp"
#include "edge_server.hpp"
#include "exchange.hpp"
#include "fifogate/config.hpp"
#include "http_server.hpp"
#include "http_status.hpp"
#include "line_cache.hpp"
#include "metrics.hpp"
#include "processor_kinds.hpp"
#include "reader_threads.hpp"
#include "request_body.hpp"
#include "request_context.hpp"
#include "result_page.hpp"
#include "serving_pool.hpp"
#include "stream_format.hpp"
#include "unix_listener.hpp"
#include "worker_info.hpp"
#include <map>
#include <memory>
#include <optional>
#include <variant>

namespace fifogate {

struct WebServer::Impl {
  explicit Impl(Config c);

  Config cfg;
  EdgeLimits limits;
  AccessPolicy access;
  ReaderThreads readers; // outlives the server's own threads, which use it
  EdgeServer svr;
  std::unique_ptr<ProcessorKinds> kinds;
  Metrics metrics;
  LineCache line_cache;
  std::unique_ptr<ServingPool> pool;
  std::unique_ptr<ConnectionLoop> loop;
  std::atomic<bool> stopping{false};
  std::optional<UnixListener> unix_listener; // WEB_SOCKET, once bound

  // http_server.cpp
  void serve(ConnectionPtr c);

  // routes.cpp
  void routes();
  void allow_only(const std::string &path, const std::string &allow, const std::string &hint);
  bool early_refusal(const httplib::Request &req, httplib::Response &res);
  // What allow_only answers for each path it guards: the Allow header and a hint.
  std::map<std::string, std::pair<std::string, std::string>> refusals;

  // answers.cpp
  void text_error(httplib::Response &res, int status, const std::string &msg);
  void json_error(httplib::Response &res, int status, const std::string &msg);
  void note_exchange(const ExchangeResult &r, const HttpVerdict &v, const std::string &lang);
  void outcome_headers(httplib::Response &res, const ExchangeResult &r, const HttpVerdict &v);
  void answer(const httplib::Request &req, httplib::Response &res, const RequestId &id,
              const ExchangeResult &r, const HttpVerdict &v);

  // handlers.cpp
  // The kind a work route names (/process/<name>; the default kind for
  // /process), or nullptr with `why` set: the 404 to answer.
  ProcessorKind *kind_for(const httplib::Request &req, std::string &why);
  ExchangeResult dispatch(ProcessorKind &kind, const RequestId &id, std::string_view body,
                          const RequestOptions &opts);
  // cached_exchange.cpp: dispatch, with the lines the line cache holds
  // answered from it and only the others sent.
  ExchangeResult dispatch_text(ProcessorKind &kind, const RequestId &id, std::string_view text,
                               const RequestOptions &opts);
  // dispatch, for a request whose wait for a worker counts from `t0`, on any
  // thread; with `stream`, the output goes there as it comes (exchange.hpp).
  ExchangeResult dispatch_from(ProcessorKind &kind, const RequestId &id, std::string_view body,
                               const RequestOptions &opts, Clock::time_point t0,
                               OutputPipe *stream = nullptr);
  ExchangeResult dispatch_once(ProcessorKind &kind, const Config &xcfg, const RequestId &id,
                               std::string_view body, const RequestOptions &opts,
                               const Deadline &wait, Clock::time_point t0, bool &claimed,
                               OutputPipe *stream);
  // The body, read up to MAX_BODY_BYTES. On failure `status` is the HTTP
  // status to answer with and the rest of the body is left unread.
  struct Body {
    std::string bytes;           // as it came, unless it came as `parts`
    std::vector<FormPart> parts; // a multipart/form-data body (PROC_FORM_FIELD set)
    MediaType type;
    int status = 0;
    std::string error;
  };
  Body read_body(const httplib::Request &req, const httplib::ContentReader &reader);
  // The text and language the body carries (request_body.hpp).
  DecodedBody decode(Body &body, const std::string &query_lang, bool json_text);
  // Every kind's live workers.
  std::vector<WorkerInfo> live_workers();
  std::vector<WorkerInfo> live_workers(ProcessorKind &kind);
  std::optional<std::string> check_lang(ProcessorKind &kind, const std::string &lang);
  // What the worker is told besides the body: the text's type and language,
  // the declared parameters from the query string and the body's fields,
  // and what the kind asks to be passed. A string: the 400 to answer.
  std::variant<RequestOptions, std::string> options_for(const httplib::Request &req,
                                                        ProcessorKind &kind, const RequestText &in);
  void process(const httplib::Request &req, httplib::Response &res,
               const httplib::ContentReader &reader);

  // streamed_answer.cpp
  // Whether the request's answer streams, and as what (stream_format.hpp).
  StreamChoice stream_choice(const httplib::Request &req, ProcessorKind &kind);
  // POST /process with its answer streamed: the output as it comes, once
  // WEB_STREAM_GRACE_MS has passed; an exchange that ends before then is
  // answered whole, with its own status code.
  void process_streamed(const httplib::Request &req, httplib::Response &res, ProcessorKind &kind,
                        std::string text, RequestOptions opts, bool sse);

  // check_route.cpp
  void check(const httplib::Request &req, httplib::Response &res,
             const httplib::ContentReader &reader);
  // The page with `content` written in (result_page.hpp), as the answer.
  // Refused before the request was looked at (no token, say): the page
  // without the dictionary list, which GET /languages would not give either.
  void page_answer(httplib::Response &res, int status, PageContent content,
                   bool with_languages = true);

  // languagetool_routes.cpp
  void lt_routes();
  // POST /v2/check (`reader` set) or GET /v2/check.
  void lt_check(const httplib::Request &req, httplib::Response &res,
                const httplib::ContentReader *reader);
  void lt_error(httplib::Response &res, int status, const std::string &msg);
  // The dictionaries of the default kind's live workers.
  std::vector<std::string> lt_dictionaries();

  // status_routes.cpp
  void healthz(const httplib::Request &req, httplib::Response &res);
  void languages(httplib::Response &res);
  void processors(httplib::Response &res);
  void version(httplib::Response &res);
  void metrics_page(httplib::Response &res);

  // access_log.cpp
  void log_refused(int status, const std::string &reason, const RequestId &id);
  void log_access(const RequestContext &ctx);
};

bool wants_json(const httplib::Request &req);
// Accept names text/html and not JSON: a browser's own form submission.
bool wants_html(const httplib::Request &req);
// The Content-Security-Policy of the page, empty or with a result.
const char *page_security_policy();
// The routes that read a request body; any other body is never read.
bool takes_body(std::string_view method, std::string_view path);

} // namespace fifogate
