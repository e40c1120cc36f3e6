#include "access_log.hpp"
#include "fifogate/log.hpp"
#include "ispell_matches.hpp"
#include "json_answers.hpp"
#include "languages.hpp"
#include "web_server_impl.hpp"
#include <nlohmann/json.hpp>

namespace fifogate {

ExchangeResult WebServer::Impl::dispatch(const RequestId &id, std::string_view body,
                                         const RequestOptions &opts) {
  // The wait for a worker counts from the complete head: time spent queued
  // for a server thread is part of it.
  auto t0 = RequestContext::current().wait_from;
  Deadline wait(t0 + Millis(cfg.wait_ms));
  for (int tries = 1;; ++tries) {
    bool claimed = false;
    auto r = dispatch_once(id, body, opts, wait, t0, claimed);
    // A claimed worker found gone (no_worker comes before a byte is sent):
    // the request can go to another. The liveness the claim went by was
    // stale; it is read afresh.
    if (!claimed || r.error != ExchangeError::no_worker || tries >= cfg.slots || wait.expired()) {
      metrics.queue_wait(static_cast<double>(r.wait_ms) / 1000.0); // once, however many tries
      return r;
    }
    dispatcher->forget_liveness();
  }
}

ExchangeResult WebServer::Impl::dispatch_once(const RequestId &id, std::string_view body,
                                              const RequestOptions &opts, const Deadline &wait,
                                              Clock::time_point t0, bool &claimed) {
  auto claim = dispatcher->claim(wait);
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
  auto r = exchange(cfg, readers, claim->channel(), wait, id, body, opts);
  r.wait_ms += std::chrono::duration_cast<Millis>(claimed_at - t0).count();
  metrics.worker_seen(claim->channel().slot, r.worker);
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
    RequestContext::current().extra += " from=\"" + printable(t->source) + "\"";
  return d;
}

std::vector<WorkerInfo> WebServer::Impl::live_workers() {
  auto infos = read_worker_infos(cfg, dispatcher->live_slots());
  for (const auto &w : infos)
    metrics.worker_seen(w.slot, w.worker);
  return infos;
}

// Why the request's lang cannot be used, if it cannot.
std::optional<std::string> WebServer::Impl::check_lang(const std::string &lang) {
  if (lang.empty())
    return std::nullopt;
  return lang_problem(lang, live_workers());
}

void WebServer::Impl::process(const httplib::Request &req, httplib::Response &res,
                              const httplib::ContentReader &reader) {
  Metrics::InFlight busy(metrics);
  Body body = read_body(req, reader);
  if (body.status)
    return text_error(res, body.status, body.error);
  auto decoded = decode(body, req.get_param_value("lang"), false);
  if (auto *refusal = std::get_if<BodyRefusal>(&decoded))
    return text_error(res, refusal->status, refusal->message);
  auto &in = std::get<RequestText>(decoded);
  RequestOptions opts{in.lang, in.content_type};
  if (auto problem = check_lang(opts.lang))
    return text_error(res, 400, *problem);
  RequestId id = RequestContext::current().id;
  ExchangeResult r = dispatch(id, in.text, opts);
  HttpVerdict v = verdict_for(r, cfg);
  answer(req, res, id, r, v);
  note_exchange(r, v, opts.lang);
}

void WebServer::Impl::healthz(const httplib::Request &req, httplib::Response &res) {
  auto live = dispatcher->live_slots();
  nlohmann::json j = {{"workers", live.size()}, {"limits", limits_json(cfg)}};
  if (!live.empty()) {
    j["status"] = "ok";
    if (wants_json(req))
      res.set_content(dump(j), "application/json");
    else
      res.set_content("ok: " + std::to_string(live.size()) + " worker(s)\n",
                      "text/plain; charset=utf-8");
    return;
  }
  std::string locks = cfg.owner_lock_path();
  if (cfg.slots > 1)
    locks += " to " + cfg.channel(cfg.slots - 1).owner_lock_path();
  std::string reason = "no worker is running: no fifogate-processor holds the life lock of any "
                       "of the " +
                       std::to_string(cfg.slots) + " slot(s) (" + locks + ")";
  res.set_header("Retry-After", "1");
  if (!wants_json(req))
    return text_error(res, 503, reason);
  j["status"] = "unavailable";
  j["reason"] = reason;
  res.status = 503;
  RequestContext::current().reason = reason;
  res.set_content(dump(j), "application/json");
}

void WebServer::Impl::languages(httplib::Response &res) {
  auto workers = live_workers();
  if (workers.empty()) {
    json_error(res, 503,
               "no worker is running; the dictionaries are those installed where the "
               "workers run");
    return;
  }
  res.set_content(dump({{"languages", installed_languages(workers)}}), "application/json");
}

} // namespace fifogate
