#include "json_answers.hpp"
#include "output_pipe.hpp"
#include "request_stream.hpp"
#include "web_server_impl.hpp"

namespace fifogate {

namespace {

// What the web holds of a streamed answer between worker and client: the
// worker and then the command wait while the client is this far behind.
constexpr size_t kStreamBuffer = 256 * 1024;
// How long the sender waits for output before it looks at the client again.
constexpr Millis kStreamTick(100);

// One streamed exchange, from the handler to the last chunk. The exchange
// runs on a thread of its own (it sends the body while the output is being
// read); the serving thread takes the output from the pipe and writes it.
struct StreamSession {
  explicit StreamSession(Metrics &m) : pipe(kStreamBuffer), busy(m) {}
  // The client is gone or the answer complete: the exchange, if still
  // running, ends at its next look at the pipe, and is waited for (task).
  ~StreamSession() { pipe.close(); }

  OutputPipe pipe;
  Metrics::InFlight busy;
  std::string body;
  std::string pending; // taken from the pipe, not yet written
  SseEncoder events;
  bool finished = false; // the last chunk (and trailers or status event) went out
  std::optional<ReaderThreads::Running> task; // last: waited for first
};

// All the output there is, once the exchange ended.
std::string drain(OutputPipe &pipe) {
  std::string out;
  while (pipe.take(out, Deadline::in(Millis(0))) == OutputPipe::Take::bytes) {
  }
  return out;
}

nlohmann::json status_event_json(const RequestId &id, const ExchangeResult &r,
                                 const HttpVerdict &v) {
  auto j = exchange_json(id, r, v);
  j.erase("stdout"); // it went out as the events before
  j.erase("stdout_encoding");
  j["status"] = v.status;
  return j;
}

} // namespace

StreamChoice WebServer::Impl::stream_choice(const httplib::Request &req, ProcessorKind &kind) {
  std::optional<std::string> param;
  if (req.has_param("stream")) {
    if (req.get_param_value_count("stream") > 1)
      return StreamChoice{false, false, "stream is given more than once"};
    param = req.get_param_value("stream");
  }
  return choose_stream(param ? &*param : nullptr, req.get_header_value("Accept"),
                       kind.described().info->stream, req.version, kind.name());
}

void WebServer::Impl::process_streamed(const httplib::Request &req, httplib::Response &res,
                                       ProcessorKind &kind, std::string text, RequestOptions opts,
                                       bool sse) {
  auto &ctx = RequestContext::current();
  ctx.processor = kind.name();
  RequestId id = ctx.id;
  opts.stream = true;
  auto s = std::make_shared<StreamSession>(metrics);
  s->body = std::move(text);
  StreamSession *raw = s.get();
  ProcessorKind *k = &kind;
  auto wait_from = ctx.wait_from;
  auto started = Clock::now();
  // The exchange runs on a thread of its own: it writes the body while the
  // output is read, and this thread must be free to pass that output on.
  s->task.emplace(readers.start([this, raw, k, id, opts, wait_from] {
    try {
      raw->pipe.finish(dispatch_from(*k, id, raw->body, opts, wait_from, &raw->pipe));
    } catch (const std::exception &e) { // on this thread nobody else would see it
      ExchangeResult r;
      r.error = ExchangeError::internal;
      r.detail = std::string("streamed exchange: ") + e.what();
      raw->pipe.finish(std::move(r));
    }
  }));
  // A failure within the grace keeps its own status code.
  s->pipe.wait_for_end(Deadline(started + Millis(cfg.stream_grace_ms)));
  // Then the answer starts with the first output. A command silent for
  // long still loses its client's attention: a client gone is seen here.
  while (!s->pipe.ended() && !s->pipe.has_bytes()) {
    s->pipe.wait_for_output(Deadline::in(kStreamTick));
    if (!client_connected(ctx.client_socket)) {
      s->pipe.close(); // the exchange ends (client_gone); its answer goes nowhere
      while (!s->pipe.ended())
        s->pipe.wait_for_end(Deadline::in(Millis(1000)));
    }
  }
  std::string lang = opts.lang;
  if (s->pipe.ended()) {
    // Answered whole: what would have been streamed is all here.
    std::string output = drain(s->pipe);
    ExchangeResult &r = s->pipe.result();
    r.output = std::move(output);
    HttpVerdict v = verdict_for(r, cfg);
    note_exchange(r, v, lang);
    if (sse && v.status == 200) {
      res.status = 200;
      outcome_headers(res, r, v);
      res.set_header("Cache-Control", "no-cache");
      std::string body = s->events.feed(r.output);
      body += s->events.finish();
      body += sse_event("status", dump(status_event_json(id, r, v)));
      res.set_content(body, "text/event-stream");
      return;
    }
    return answer(req, res, id, r, v);
  }

  s->pipe.take(s->pending, Deadline::in(Millis(0)));
  std::string type;
  if (sse) {
    type = "text/event-stream";
  } else {
    // The processor's PROC_CONTENT_TYPE, else by what the output starts with.
    std::string_view head(s->pending.data(), s->pending.size() - incomplete_utf8_tail(s->pending));
    type = answer_content_type(kind.described().info->content_type, head);
    res.set_header("Trailer", kStreamTrailerNames);
    res.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
  }
  res.status = 200;
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no"); // a proxy (nginx) passes each piece on at once
  ctx.streaming = true;
  ctx.extra.add("stream", sse ? "events" : "plain");
  res.set_chunked_content_provider(
      type,
      [this, s, sse, id, lang](size_t, httplib::DataSink &sink) -> bool {
        auto &c = RequestContext::current();
        std::string chunk = std::move(s->pending);
        s->pending.clear();
        auto got = chunk.empty() ? s->pipe.take(chunk, Deadline::in(kStreamTick))
                                 : OutputPipe::Take::bytes;
        if (got == OutputPipe::Take::nothing)
          return true; // httplib looks at the client, then asks again
        if (got == OutputPipe::Take::bytes) {
          std::string wire = sse ? s->events.feed(chunk) : std::move(chunk);
          c.bytes_out += static_cast<int64_t>(wire.size());
          return wire.empty() || sink.write(wire.data(), wire.size());
        }
        ExchangeResult &r = s->pipe.result();
        HttpVerdict v = verdict_for(r, cfg);
        note_exchange(r, v, lang);
        if (v.status != 200)
          c.reason = "streamed, then " + c.reason;
        s->finished = true;
        if (sse) {
          std::string tail = s->events.finish();
          tail += sse_event("status", dump(status_event_json(id, r, v)));
          c.bytes_out += static_cast<int64_t>(tail.size());
          if (!sink.write(tail.data(), tail.size()))
            return false;
          sink.done();
        } else {
          httplib::Headers trailers;
          for (auto &[name, value] : stream_trailers(r, v))
            trailers.emplace(name, value);
          sink.done_with_trailer(trailers);
        }
        return true;
      },
      [s](bool) {
        if (s->finished)
          return;
        auto &c = RequestContext::current();
        c.extra.add("outcome", "client_gone");
        if (c.undelivered.empty())
          c.undelivered = "the client went away before the end of the stream";
        s->pipe.close(); // the exchange ends, and with it the command
      });
}

} // namespace fifogate
