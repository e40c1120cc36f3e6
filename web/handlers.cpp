#include "access_log.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/log.hpp"
#include "ispell_matches.hpp"
#include "json_answers.hpp"
#include "languages.hpp"
#include "web_server_impl.hpp"
#include <nlohmann/json.hpp>

namespace fifogate {

ProcessorKind *WebServer::Impl::kind_for(const httplib::Request &req, std::string &why) {
  if (req.matches.size() < 2)
    return &kinds->default_kind();
  std::string name = req.matches[1];
  if (auto *k = kinds->find(name)) {
    RequestContext::current().processor = k->name();
    return k;
  }
  std::string known;
  for (auto *k : kinds->all())
    known += (known.empty() ? "" : ", ") + k->name();
  why = valid_kind_name(name)
            ? "no processor named " + name + " (known: " + known + ")"
            : "a processor name is 1 to 64 of A-Z a-z 0-9 _ - (known: " + known + ")";
  return nullptr;
}

ExchangeResult WebServer::Impl::dispatch(ProcessorKind &kind, const RequestId &id,
                                         std::string_view body, const RequestOptions &opts) {
  RequestContext::current().processor = kind.name();
  // The wait for a worker counts from the complete head: time spent queued
  // for a server thread is part of it.
  return dispatch_from(kind, id, body, opts, RequestContext::current().wait_from);
}

ExchangeResult WebServer::Impl::dispatch_from(ProcessorKind &kind, const RequestId &id,
                                              std::string_view body, const RequestOptions &opts,
                                              Clock::time_point t0, OutputPipe *stream) {
  std::shared_ptr<const Config> xcfg = kind.exchange_config();
  Deadline wait(t0 + Millis(cfg.wait_ms));
  for (int tries = 1;; ++tries) {
    bool claimed = false;
    auto r = dispatch_once(kind, *xcfg, id, body, opts, wait, t0, claimed, stream);
    // A claimed worker found gone (no_worker comes before a byte is sent):
    // the request can go to another. The liveness the claim went by was
    // stale; it is read afresh.
    if (!claimed || r.error != ExchangeError::no_worker || tries >= cfg.slots || wait.expired()) {
      metrics.queue_wait(static_cast<double>(r.wait_ms) / 1000.0); // once, however many tries
      return r;
    }
    kind.dispatcher().forget_liveness();
  }
}

ExchangeResult WebServer::Impl::dispatch_once(ProcessorKind &kind, const Config &xcfg,
                                              const RequestId &id, std::string_view body,
                                              const RequestOptions &opts, const Deadline &wait,
                                              Clock::time_point t0, bool &claimed,
                                              OutputPipe *stream) {
  auto claim = kind.dispatcher().claim(wait);
  claimed = claim.ok();
  if (!claim) {
    ExchangeResult r;
    int code = claim.error().code;
    r.error = code == ETIMEDOUT ? ExchangeError::busy
              : code == ENXIO   ? ExchangeError::no_worker
                                : ExchangeError::internal;
    r.detail = claim.error().message();
    r.wait_ms = std::chrono::duration_cast<Millis>(Clock::now() - t0).count();
    return r;
  }
  // The wait: for a slot (since the request's first try), then in the
  // exchange for the worker to open its input.
  auto claimed_at = Clock::now();
  auto r = exchange(xcfg, readers, claim->channel(), wait, id, body, opts, stream);
  r.slot = claim->channel().slot;
  r.wait_ms += std::chrono::duration_cast<Millis>(claimed_at - t0).count();
  metrics.worker_seen(kind.name(), claim->channel().slot, r.worker);
  bool worker_failed = r.error != ExchangeError::none
                           ? r.error != ExchangeError::busy
                           : r.status && (r.status->outcome == Outcome::spawn_failed ||
                                          r.status->outcome == Outcome::internal);
  if (worker_failed)
    claim->demote();
  return r;
}

namespace {
constexpr const char *kMalformedForm =
    "the multipart/form-data body is not well-formed (no boundary parameter or one over 70 "
    "characters, a part without a name, or no closing boundary)";
} // namespace

WebServer::Impl::Body WebServer::Impl::read_body(const httplib::Request &req,
                                                 const httplib::ContentReader &reader) {
  Body b;
  bool too_big = false;
  size_t cap = static_cast<size_t>(cfg.max_body_bytes);
  // Always the bytes as they came (routes.cpp shows cpp-httplib a form's
  // type as another): a multipart body is split below, once, whole.
  if (auto cl = req.get_header_value_u64("Content-Length"); cl > 0 && cl <= cap)
    b.bytes.reserve(static_cast<size_t>(cl));
  bool read_ok = reader([&](const char *data, size_t len) {
    if (b.bytes.size() + len > cap) {
      too_big = true;
      return false; // stops reading: a chunked body cannot get past the limit
    }
    b.bytes.append(data, len);
    return true;
  });
  auto &ctx = RequestContext::current();
  ctx.bytes_in = static_cast<int64_t>(b.bytes.size());
  ctx.body_complete = read_ok && !too_big;
  if (ctx.read_from_socket)
    ctx.wait_from = Clock::now(); // the time the client took is not the wait for a worker
  if (too_big) {
    b.status = 413;
    b.error = "body over MAX_BODY_BYTES=" + std::to_string(cfg.max_body_bytes) + " bytes";
  } else if (!read_ok) {
    const std::string &why = ctx.read_failure;
    bool slow = why.find("WEB_BODY_") != std::string::npos;
    b.status = slow ? 408 : 400;
    b.error = "could not read the request body" + (why.empty() ? "" : ": " + why);
  }
  if (b.status) {
    ctx.unread_body = true;
    return b;
  }
  b.type = parse_media_type(ctx.content_type);
  if (!cfg.form_field.empty() && b.type.is("multipart/form-data")) {
    FormParts parts(cap);
    if (!split_form_parts(b.bytes, ctx.content_type, parts)) {
      b.status = 400;
      b.error = parts.overflow().empty() ? kMalformedForm
                                         : parts.overflow() + "; send one field or one file";
      return b;
    }
    b.parts = parts.take();
    b.bytes.clear();
  }
  return b;
}

DecodedBody WebServer::Impl::decode(Body &body, const std::string &query_lang, bool json_text) {
  BodyRules rules{cfg.form_field, cfg.max_body_bytes, json_text};
  auto d = decode_body(body.type, std::move(body.bytes), std::move(body.parts), query_lang, rules);
  if (auto *t = std::get_if<RequestText>(&d); t && t->source != "body")
    RequestContext::current().extra.quoted("from", t->source);
  return d;
}

std::vector<WorkerInfo> WebServer::Impl::live_workers(ProcessorKind &kind) {
  auto infos = kind.live_workers();
  for (const auto &w : infos)
    metrics.worker_seen(kind.name(), w.slot, w.worker);
  return infos;
}

std::vector<WorkerInfo> WebServer::Impl::live_workers() {
  std::vector<WorkerInfo> all;
  for (auto *k : kinds->all())
    for (auto &w : live_workers(*k))
      all.push_back(std::move(w));
  return all;
}

// Why the request's lang cannot be used, if it cannot.
std::optional<std::string> WebServer::Impl::check_lang(ProcessorKind &kind,
                                                       const std::string &lang) {
  if (lang.empty())
    return std::nullopt;
  return lang_problem(lang, live_workers(kind));
}

std::variant<RequestOptions, std::string> WebServer::Impl::options_for(const httplib::Request &req,
                                                                       ProcessorKind &kind,
                                                                       const RequestText &in) {
  RequestOptions o;
  o.lang = in.lang;
  o.content_type = in.content_type;
  auto d = kind.described();
  const ParamRules &rules = *d.params;
  auto is_declared = [&](const std::string &name) {
    for (const auto &r : rules)
      if (r.name == name)
        return true;
    return false;
  };
  for (const auto &[key, value] : req.params) {
    if (key == "lang" || key == "stream")
      continue; // the text's language, taken with the body; the web's own
    // Always, described or not: a name is what no begin option line can be
    // broken by (a newline in it would add a line of the web's choosing).
    if (!valid_param_name(key))
      return "parameter name \"" + log_text(key.substr(0, 64)) + (key.size() > 64 ? "..." : "") +
             "\" is not 1 to 32 of a-z 0-9 _ starting with a letter";
    if (req.params.count(key) > 1)
      return "parameter " + key.substr(0, 64) + " is given more than once";
    o.params[key] = value;
  }
  for (const auto &[key, value] : in.fields) {
    if (!is_declared(key))
      continue; // a form's other fields (its button, say) are not parameters
    if (in.repeated.count(key))
      return "parameter " + key + " is given more than once in the form";
    if (auto it = o.params.find(key); it != o.params.end() && it->second != value)
      return "parameter " + key + " is given twice, in the query and in the body, differently";
    o.params[key] = value;
  }
  bool described = !d.info->protocol.empty(); // a live worker has said what it takes
  if (described) {
    ParamValues all = o.params;
    if (!o.lang.empty() && is_declared("lang"))
      all["lang"] = o.lang;
    else if (!o.lang.empty() && d.info->protocol != "ispell")
      return "lang needs an aspell, hunspell or ispell -a command, or a lang parameter in "
             "PROC_PARAMS; processor " +
             kind.name() + " runs \"" + d.info->command + "\"";
    if (auto problem = params_problem(rules, all))
      return *problem;
  }
  if (d.info->pass_request) {
    o.method = req.method;
    o.path = req.path;
    auto q = req.target.find('?');
    o.query = q == std::string::npos ? std::string() : req.target.substr(q + 1);
  }
  // The list comes from the kind's info file, which anyone in its group can
  // write: the web's own credentials are never passed, whatever it says.
  for (size_t at = 0; at < d.info->pass_headers.size();) {
    size_t comma = d.info->pass_headers.find(',', at);
    std::string h =
        d.info->pass_headers.substr(at, comma == std::string::npos ? comma : comma - at);
    at = comma == std::string::npos ? d.info->pass_headers.size() : comma + 1;
    if (passable_header(h) && req.has_header(h))
      o.headers[h] = req.get_header_value(h);
  }
  // The options travel in one record.
  o.body_len = in.text.size();
  if (size_t n = encode_begin_options(o).size(); n > frame::kMaxPayload)
    return "the parameters and passed headers come to " + std::to_string(n) + " bytes; at most " +
           std::to_string(frame::kMaxPayload) + " in all";
  return o;
}

void WebServer::Impl::process(const httplib::Request &req, httplib::Response &res,
                              const httplib::ContentReader &reader) {
  Metrics::InFlight busy(metrics);
  std::string unknown;
  ProcessorKind *kind = kind_for(req, unknown);
  if (!kind) {
    RequestContext::current().unread_body = true;
    return text_error(res, 404, unknown);
  }
  auto streaming = stream_choice(req, *kind);
  if (!streaming.refusal.empty()) {
    RequestContext::current().unread_body = true;
    return text_error(res, 400, streaming.refusal);
  }
  Body body = read_body(req, reader);
  if (body.status)
    return text_error(res, body.status, body.error);
  auto decoded = decode(body, req.get_param_value("lang"), false);
  if (auto *refusal = std::get_if<BodyRefusal>(&decoded))
    return text_error(res, refusal->status, refusal->message);
  auto &in = std::get<RequestText>(decoded);
  auto options = options_for(req, *kind, in);
  if (auto *why = std::get_if<std::string>(&options))
    return text_error(res, 400, *why);
  auto &opts = std::get<RequestOptions>(options);
  if (auto problem = check_lang(*kind, opts.lang))
    return text_error(res, 400, *problem);
  RequestId id = RequestContext::current().id;
  if (streaming.stream)
    return process_streamed(req, res, *kind, std::move(in.text), opts, streaming.sse);
  ExchangeResult r = dispatch_text(*kind, id, in.text, opts);
  HttpVerdict v = verdict_for(r, cfg);
  answer(req, res, id, r, v);
  note_exchange(r, v, opts.lang);
}

} // namespace fifogate
