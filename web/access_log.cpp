#include "access_log.hpp"
#include "fifogate/log.hpp"
#include "web_server_impl.hpp"

namespace fifogate {

std::string human_size(int64_t n) {
  if (n < 10 * 1024)
    return std::to_string(n) + "B";
  if (n < 10 * 1024 * 1024)
    return std::to_string(n / 1024) + "KB";
  return std::to_string(n / (1024 * 1024)) + "MB";
}

// One line per request, after the answer went out: "req=<id> POST /check
// 200 13ms in=20B out=410B outcome=ok exit=0 worker=host:pid". The
// processor logs the same req=<id>, so one grep follows a request across both.
void WebServer::Impl::log_refused(int status, const std::string &reason, const RequestId &id) {
  metrics.request("(refused)", status, 0, 0, 0);
  log_line("web", "req=" + id.hex() + " - - " + std::to_string(status) + " 0ms in=0B out=0B" +
                      LogFields().quoted("reason", reason).str());
}

void WebServer::Impl::log_access(const RequestContext &a) {
  double secs = std::chrono::duration<double>(Clock::now() - a.start).count();
  metrics.request(a.path, a.status, secs, a.bytes_in, a.bytes_out, a.processor);
  LogFields f;
  f.add("in", human_size(a.bytes_in)).add("out", human_size(a.bytes_out));
  if (!a.processor.empty())
    f.add("processor", a.processor);
  // Then what the exchange and the line cache noted, then why it failed.
  LogFields why;
  if (a.status >= 400 && !a.reason.empty())
    why.quoted("reason", a.reason);
  if (!a.undelivered.empty())
    why.quoted("undelivered", a.undelivered);
  log_line("web", "req=" + a.id.hex() + " " + log_text(a.method) + " " + log_text(a.path) + " " +
                      std::to_string(a.status) + " " +
                      std::to_string(static_cast<int64_t>(secs * 1000)) + "ms" + f.str() +
                      a.extra.str() + a.cache.str() + why.str());
}

} // namespace fifogate
