#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fifogate {

// Counters for GET /metrics, fed from the request path. One mutex: a request
// touches it a few times, far less than the FIFO exchange costs.
class Metrics {
public:
  // Every answered request. `route` is one of the server's paths or "other",
  // so the label set stays small whatever clients ask for.
  // `processor` is the kind a work route went to ("" for the other routes).
  void request(std::string_view route, int status, double seconds, int64_t bytes_in,
               int64_t bytes_out, const std::string &processor = {});
  // Time a request waited for a free worker (the request lock) and for the
  // worker to open its input FIFO.
  void queue_wait(double seconds);
  // A worker seen in a slot. A different worker in a slot that had one means
  // the processor there was restarted (or replaced): that is a restart.
  void worker_seen(const std::string &processor, int slot, const std::string &worker);

  // Counts a request being worked on (POST /process, POST /check) while alive.
  class InFlight {
  public:
    explicit InFlight(Metrics &m);
    ~InFlight();
    InFlight(const InFlight &) = delete;
    InFlight &operator=(const InFlight &) = delete;

  private:
    Metrics &m_;
  };

  // What each kind has now, for the gauges.
  struct KindGauges {
    std::string processor;
    size_t live = 0, waiting = 0;
  };
  // Prometheus text exposition format 0.0.4.
  std::string exposition(const std::vector<KindGauges> &kinds, std::string_view version) const;

  // The routes a request is filed under.
  static std::string_view route_of(std::string_view path);

private:
  struct Histogram {
    std::vector<uint64_t> counts; // one per bucket bound, not cumulative
    uint64_t count = 0;
    double sum = 0;
    void observe(double v);
  };
  static void write_histogram(std::string &out, const std::string &name, const std::string &labels,
                              const Histogram &h);

  mutable std::mutex m_;
  using RouteKind = std::pair<std::string, std::string>;     // (route, processor)
  std::map<std::pair<RouteKind, int>, uint64_t> requests_;   // -> count, by status
  std::map<RouteKind, Histogram> durations_;                 // work routes only
  std::map<std::string, std::pair<int64_t, int64_t>> bytes_; // route -> (in, out)
  Histogram queue_wait_;
  std::map<std::pair<std::string, int>, std::string> workers_; // (processor, slot) -> last worker
  std::map<std::string, uint64_t> restarts_, timeouts_;        // by processor
  int64_t in_flight_ = 0;
};

} // namespace fifogate
