// What the web tells about the processors behind it: GET /processors,
// /healthz, /languages, /version and /metrics, over every kind.
#include "json_answers.hpp"
#include "languages.hpp"
#include "web_server_impl.hpp"
#include <nlohmann/json.hpp>

namespace fifogate {

void WebServer::Impl::processors(httplib::Response &res) {
  nlohmann::json list = nlohmann::json::array();
  for (auto *k : kinds->all()) {
    auto workers = live_workers(*k);
    if (!workers.empty())
      list.push_back(processor_json(k->name(), k == &kinds->default_kind(), workers));
  }
  res.set_content(dump({{"default", cfg.default_processor}, {"processors", list}}),
                  "application/json");
}

// Healthy while the default kind (what POST /process serves) has a live
// worker; every kind is listed, and one without a worker is named. A probe
// for one kind asks /healthz?processor=<name>.
void WebServer::Impl::healthz(const httplib::Request &req, httplib::Response &res) {
  std::string only = req.get_param_value("processor");
  ProcessorKind *target = &kinds->default_kind();
  if (!only.empty()) {
    target = kinds->find(only);
    if (!target)
      return text_error(res, 404, "no processor named " + only);
  }
  nlohmann::json per_kind = nlohmann::json::object();
  std::string text, idle;
  size_t target_live = 0;
  auto all = kinds->all();
  for (auto *k : all) {
    size_t live = k->dispatcher().live_slots().size();
    if (k == target)
      target_live = live;
    per_kind[k->name()] = live;
    text += " " + k->name() + "=" + std::to_string(live);
    if (live == 0)
      idle += (idle.empty() ? "" : ", ") + k->name();
  }
  nlohmann::json j = {{"processor", target->name()},
                      {"workers", target_live},
                      {"processors", per_kind},
                      {"limits", limits_json(cfg)}};
  if (target_live > 0) {
    j["status"] = idle.empty() || !only.empty() ? "ok" : "degraded";
    if (!idle.empty() && only.empty())
      j["reason"] = "no worker for: " + idle;
    if (wants_json(req))
      res.set_content(dump(j), "application/json");
    else
      res.set_content("ok: " + std::to_string(target_live) + " worker(s)" +
                          (all.size() > 1 ? "; workers per processor:" + text : "") + "\n",
                      "text/plain; charset=utf-8");
    return;
  }
  const Config &kc = target->cfg();
  std::string locks = kc.owner_lock_path();
  if (kc.slots > 1)
    locks += " to " + kc.channel(kc.slots - 1).owner_lock_path();
  std::string reason = "no worker is running for processor " + target->name() +
                       ": no fifogate-processor holds the life lock of any of the " +
                       std::to_string(kc.slots) + " slot(s) (" + locks + ")";
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
  nlohmann::json per_kind = nlohmann::json::object();
  for (auto *k : kinds->all())
    if (auto w = live_workers(*k); !w.empty())
      per_kind[k->name()] = installed_languages(w);
  res.set_content(dump({{"languages", installed_languages(workers)}, {"processors", per_kind}}),
                  "application/json");
}

void WebServer::Impl::version(httplib::Response &res) {
  res.set_content(dump(version_json(FIFOGATE_VERSION, live_workers())), "application/json");
}

void WebServer::Impl::metrics_page(httplib::Response &res) {
  std::vector<Metrics::KindGauges> gauges;
  for (auto *k : kinds->all())
    gauges.push_back({k->name(), live_workers(*k).size(), k->dispatcher().waiting()});
  std::string out = metrics.exposition(gauges, FIFOGATE_VERSION);
  // The line cache: a hit is a line answered without a worker.
  auto c = line_cache.counts();
  auto counter = [&](const char *name, const char *type, const char *help, uint64_t v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(v) + "\n";
  };
  counter("fifogate_line_cache_hits_total", "counter", "Lines answered from the line cache.",
          c.hits);
  counter("fifogate_line_cache_misses_total", "counter",
          "Lines the line cache did not hold, sent to a worker.", c.misses);
  counter("fifogate_line_cache_evictions_total", "counter",
          "Lines dropped from the line cache to stay within WEB_CACHE_BYTES.", c.evictions);
  counter("fifogate_line_cache_bytes", "gauge", "Bytes the line cache holds, counted as bounded.",
          c.bytes);
  counter("fifogate_line_cache_entries", "gauge", "Entries in the line cache.", c.entries);
  res.set_content(out, "text/plain; version=0.0.4; charset=utf-8");
}

} // namespace fifogate
