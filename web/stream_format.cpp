#include "stream_format.hpp"
#include "json_answers.hpp"

namespace fifogate {

StreamChoice choose_stream(const std::string *stream_param, std::string_view accept,
                           std::string_view policy, std::string_view http_version,
                           const std::string &kind) {
  StreamChoice c;
  if (stream_param && *stream_param != "0" && *stream_param != "1") {
    c.refusal = "stream is 1 (stream the answer) or 0";
    return c;
  }
  bool events = accept.find("text/event-stream") != std::string_view::npos;
  bool asked = events || (stream_param && *stream_param == "1");
  if (policy == "never") {
    if (asked)
      c.refusal = "processor " + kind + " does not stream its answers (PROC_STREAM=never)";
    return c;
  }
  if (!asked && policy != "always")
    return c;
  if (!events && accept.find("application/json") != std::string_view::npos) {
    c.refusal = "a JSON answer does not stream: ask for JSON or for a stream, not both";
    return c;
  }
  c.stream = http_version != "HTTP/1.0";
  c.sse = c.stream && events;
  return c;
}

std::vector<std::pair<std::string, std::string>> stream_trailers(const ExchangeResult &r,
                                                                 const HttpVerdict &v) {
  std::vector<std::pair<std::string, std::string>> t;
  const StatusRecord *s = r.status ? &*r.status : nullptr;
  t.emplace_back("X-Outcome", s ? outcome_name(s->outcome) : exchange_error_name(r.error));
  if (s && s->exit_code >= 0)
    t.emplace_back("X-Exit-Code", std::to_string(s->exit_code));
  if (s && s->signal)
    t.emplace_back("X-Signal", std::to_string(s->signal));
  t.emplace_back("X-Stderr-Truncated", s && s->stderr_truncated ? "1" : "0");
  t.emplace_back("X-Status", std::to_string(v.status));
  return t;
}

size_t incomplete_utf8_tail(std::string_view bytes) {
  // Look back over at most three continuation bytes for the lead byte.
  size_t n = bytes.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(bytes[n - back]);
    if ((c & 0xC0) == 0x80)
      continue; // a continuation byte: keep looking
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

namespace {

bool event_text(std::string_view bytes) {
  return bytes.find('\r') == std::string_view::npos && is_text(bytes);
}

} // namespace

std::string sse_event(std::string_view name, std::string_view data) {
  std::string e;
  if (!name.empty())
    e.append("event: ").append(name).append("\n");
  e.append("data: ").append(data).append("\n\n");
  return e;
}

std::string SseEncoder::feed(std::string_view bytes) {
  held_.append(bytes);
  size_t keep = incomplete_utf8_tail(held_);
  std::string_view ready(held_.data(), held_.size() - keep);
  std::string out;
  if (ready.empty())
    return out;
  if (event_text(ready)) {
    size_t at = 0;
    for (;;) {
      size_t nl = ready.find('\n', at);
      out.append("data: ").append(ready.substr(at, nl == std::string_view::npos ? nl : nl - at));
      out += '\n';
      if (nl == std::string_view::npos)
        break;
      at = nl + 1;
    }
    out += '\n';
  } else {
    out = sse_event("base64", base64(ready));
  }
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string SseEncoder::finish() {
  if (held_.empty())
    return {};
  std::string out = sse_event("base64", base64(held_));
  held_.clear();
  return out;
}

} // namespace fifogate
