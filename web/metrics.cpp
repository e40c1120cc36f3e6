#include "metrics.hpp"
#include <array>
#include <cstdio>

namespace fifogate {

namespace {

// Seconds. From a warm aspell answer (a few ms) to PROC_TIMEOUT_MS's default (30 s).
constexpr std::array<double, 14> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10,   30};

constexpr std::array<std::string_view, 11> kRoutes = {
    "/",       "/process",   "/check",      "/healthz",  "/version",     "/metrics",
    "/limits", "/languages", "/processors", "/v2/check", "/v2/languages"};

bool is_work_route(std::string_view route) {
  return route == "/process" || route == "/check" || route == "/v2/check";
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void header(std::string &out, const char *name, const char *type, const char *help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

} // namespace

std::string_view Metrics::route_of(std::string_view path) {
  // /process/<name> and /check/<name>: the kind is a label of its own.
  for (std::string_view work : {"/process", "/check"})
    if (path.size() > work.size() + 1 && path.substr(0, work.size()) == work &&
        path[work.size()] == '/')
      path = work;
  for (auto r : kRoutes)
    if (r == path)
      return r;
  return "other";
}

void Metrics::Histogram::observe(double v) {
  if (counts.empty())
    counts.assign(kBuckets.size(), 0);
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (v <= kBuckets[i]) {
      ++counts[i];
      break;
    }
  ++count;
  sum += v;
}

void Metrics::request(std::string_view path, int status, double seconds, int64_t bytes_in,
                      int64_t bytes_out, const std::string &processor) {
  std::string route(route_of(path));
  RouteKind key{route, is_work_route(route) ? processor : std::string()};
  std::lock_guard<std::mutex> g(m_);
  ++requests_[{key, status}];
  auto &b = bytes_[route];
  b.first += bytes_in;
  b.second += bytes_out;
  if (is_work_route(route)) {
    durations_[key].observe(seconds);
    if (status == 504)
      ++timeouts_[processor];
  }
}

void Metrics::queue_wait(double seconds) {
  std::lock_guard<std::mutex> g(m_);
  queue_wait_.observe(seconds);
}

void Metrics::worker_seen(const std::string &processor, int slot, const std::string &worker) {
  if (worker.empty())
    return;
  std::lock_guard<std::mutex> g(m_);
  auto &last = workers_[{processor, slot}];
  if (!last.empty() && last != worker)
    ++restarts_[processor];
  last = worker;
}

Metrics::InFlight::InFlight(Metrics &m) : m_(m) {
  std::lock_guard<std::mutex> g(m_.m_);
  ++m_.in_flight_;
}
Metrics::InFlight::~InFlight() {
  std::lock_guard<std::mutex> g(m_.m_);
  --m_.in_flight_;
}

void Metrics::write_histogram(std::string &out, const std::string &name, const std::string &labels,
                              const Histogram &h) {
  std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += h.counts.empty() ? 0 : h.counts[i];
    out += name + "_bucket{" + labels + sep + "le=\"" + number(kBuckets[i]) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(h.sum) + "\n";
  out += name + "_count" + braces + " " + std::to_string(h.count) + "\n";
}

std::string Metrics::exposition(const std::vector<KindGauges> &kinds,
                                std::string_view version) const {
  std::lock_guard<std::mutex> g(m_);
  std::string out;
  auto kind_label = [](const std::string &p) { return "processor=\"" + p + "\""; };
  header(out, "fifogate_build_info", "gauge", "The web's version, as a label.");
  out += "fifogate_build_info{version=\"" + std::string(version) + "\"} 1\n";

  header(out, "fifogate_http_requests_total", "counter",
         "HTTP requests answered, by route and status (and processor, for the work routes).");
  for (const auto &[key, n] : requests_)
    out += "fifogate_http_requests_total{route=\"" + key.first.first + "\"," +
           (key.first.first == "/process" || key.first.first == "/check"
                ? kind_label(key.first.second) + ","
                : std::string()) +
           "status=\"" + std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";

  header(out, "fifogate_request_duration_seconds", "histogram",
         "Time from the request line to the answer, for POST /process and POST /check.");
  for (const auto &k : kinds)
    for (auto route : {"/process", "/check", "/v2/check"}) {
      auto it = durations_.find({route, k.processor});
      write_histogram(out, "fifogate_request_duration_seconds",
                      std::string("route=\"") + route + "\"," + kind_label(k.processor),
                      it == durations_.end() ? Histogram{} : it->second);
    }

  header(out, "fifogate_requests_in_flight", "gauge",
         "POST /process and POST /check requests being worked on now.");
  out += "fifogate_requests_in_flight " + std::to_string(in_flight_) + "\n";

  header(out, "fifogate_requests_waiting", "gauge",
         "Requests queued for a free worker now (served in arrival order).");
  for (const auto &k : kinds)
    out += "fifogate_requests_waiting{" + kind_label(k.processor) + "} " +
           std::to_string(k.waiting) + "\n";

  header(out, "fifogate_queue_wait_seconds", "histogram",
         "Time a request waited for a free worker before its body was sent.");
  write_histogram(out, "fifogate_queue_wait_seconds", "", queue_wait_);

  auto per_kind = [&](const std::map<std::string, uint64_t> &m, const std::string &k) {
    auto it = m.find(k);
    return std::to_string(it == m.end() ? 0 : it->second);
  };
  header(out, "fifogate_timeouts_total", "counter",
         "Requests answered 504: the command or the worker did not finish in time.");
  for (const auto &k : kinds)
    out += "fifogate_timeouts_total{" + kind_label(k.processor) + "} " +
           per_kind(timeouts_, k.processor) + "\n";

  header(
      out, "fifogate_worker_restarts_total", "counter",
      "Times a worker slot came back with a different processor (host:pid), as seen by the web.");
  for (const auto &k : kinds)
    out += "fifogate_worker_restarts_total{" + kind_label(k.processor) + "} " +
           per_kind(restarts_, k.processor) + "\n";

  header(out, "fifogate_workers_live", "gauge", "Worker slots held by a running processor.");
  for (const auto &k : kinds)
    out +=
        "fifogate_workers_live{" + kind_label(k.processor) + "} " + std::to_string(k.live) + "\n";

  header(out, "fifogate_http_request_bytes_total", "counter",
         "Request body bytes received, by route.");
  for (const auto &[route, b] : bytes_)
    out += "fifogate_http_request_bytes_total{route=\"" + route + "\"} " + std::to_string(b.first) +
           "\n";
  header(out, "fifogate_http_response_bytes_total", "counter",
         "Response body bytes sent, by route.");
  for (const auto &[route, b] : bytes_)
    out += "fifogate_http_response_bytes_total{route=\"" + route + "\"} " +
           std::to_string(b.second) + "\n";
  return out;
}

} // namespace fifogate
