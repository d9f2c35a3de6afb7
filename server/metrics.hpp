// clm-server's metrics, in the Prometheus text format (version 0.0.4): requests by route,
// method, status and errorcode, their latency, open connections, TLS reloads, the store's
// health and its counts of credentials by state. Every label value is taken from a fixed
// set, so no request can add a series; counting a request updates atomics only.
#pragma once

#include "api.hpp"
#include "store.hpp"

#include <clm/prometheus.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clm::server {

// The Content-Type of an answer in the text format.
inline constexpr const char* k_metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// How long the store's counts are kept before a scrape reads them again.
inline constexpr std::chrono::milliseconds k_store_metrics_max_age{15000};

// The upper bounds of the request latency histogram, in seconds.
inline constexpr std::array<double, 13> k_latency_bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                         0.25,  0.5,    1,     2.5,  5,     10};

// The connections of one listener: open now (what its cap is checked against), the cap,
// and those closed at once for being over it.
struct ConnectionCounts {
  std::atomic<std::size_t> open{0};
  std::atomic<std::uint64_t> refused{0};
  std::size_t max = 0;
};

// The requests answered, counted by path (the route's, or "other"), method (GET, POST or
// "other"), status (one the server gives, or "other") and errorcode (one of the spec's
// table or 0, "none" when the answer has none, "other"); and their latency by path. A
// fixed table of atomic counters: recording never allocates or locks.
class RequestMetrics {
public:
  // Count requests to these paths (the routes'; any other path counts as "other").
  explicit RequestMetrics(std::vector<std::string> paths);

  // Count one answered request, taken seconds from its head to its answer.
  void record(std::string_view method, std::string_view path, unsigned status, std::optional<int> errorcode,
              double seconds);

  // Return the label a request to path is counted under.
  std::string_view path_label(std::string_view path) const;

  // Return how many answers carried an errorcode of the database group (1601-1604).
  std::uint64_t store_errors() const { return m_store_errors.load(std::memory_order_relaxed); }

  // Write clm_http_requests_total and clm_http_request_duration_seconds.
  void write(Exposition& out) const;

private:
  std::size_t path_index(std::string_view path) const;

  std::vector<std::string> m_paths;  // the known ones, then "other"
  std::unique_ptr<std::atomic<std::uint64_t>[]> m_requests;  // path x method x status x errorcode
  std::unique_ptr<std::atomic<std::uint64_t>[]> m_buckets;   // path x bucket (+Inf last)
  std::unique_ptr<std::atomic<std::uint64_t>[]> m_nanoseconds;  // path: the sum of the latencies
  std::atomic<std::uint64_t> m_store_errors{0};
};

// The store's health and counts, read by one query at most every max_age: a scrape
// finding them older reads them again (one scrape at a time; the others meanwhile
// answer the last ones), so scrapes cost the store one query per max_age however many
// come.
class StoreMetrics {
public:
  // What a reading runs: check the store and count (Store::check_health, then
  // Store::credential_counts); throws StoreError when the store fails.
  using Query = std::function<std::vector<StateCount>(std::int64_t now_ms)>;

  StoreMetrics(Query query, Clock clock, std::chrono::milliseconds max_age = k_store_metrics_max_age);

  // Write clm_store_up, clm_store_query_duration_seconds, clm_store_errors_total (with
  // request_errors, the requests the store failed), clm_credentials and
  // clm_credentials_age_seconds, reading the store first when the last reading is too old.
  void write(Exposition& out, std::uint64_t request_errors);

private:
  struct Reading {
    bool up = false;
    double seconds = 0;       // how long the last query took
    std::int64_t at_ms = 0;   // when it ran
    std::optional<std::int64_t> counts_ms;  // when the counts below were read (the last query that worked)
    std::vector<StateCount> counts;
  };

  void refresh();

  Query m_query;
  Clock m_clock;
  std::chrono::milliseconds m_max_age;
  std::mutex m_refreshing;  // held by the scrape that queries
  mutable std::mutex m_mutex;  // guards what follows, held briefly
  std::optional<Reading> m_reading;
  std::uint64_t m_failures = 0;
};

// Whether a TLS reload (SIGHUP) took.
enum class TlsReload { success, failure };

// Every metric of a server, and the text of GET /metrics.
class Metrics {
public:
  // Count requests to route_paths; read the store with query (see StoreMetrics).
  Metrics(std::vector<std::string> route_paths, StoreMetrics::Query query, Clock clock = system_clock_ms());

  // Return the request counters a listener records answers in.
  RequestMetrics& requests() { return m_requests; }
  // Return the connections of the HTTPS listener (--listen), and of --metrics-listen
  // (listed once its max is set).
  ConnectionCounts& api_connections() { return m_api_connections; }
  ConnectionCounts& metrics_connections() { return m_metrics_connections; }

  // Count a TLS reload.
  void tls_reloaded(TlsReload result);

  // Return the exposition text of every metric (reading the store when its counts are too old).
  std::string render();

private:
  RequestMetrics m_requests;
  StoreMetrics m_store;
  ConnectionCounts m_api_connections;
  ConnectionCounts m_metrics_connections;
  std::atomic<std::uint64_t> m_tls_reloads{0};
  std::atomic<std::uint64_t> m_tls_reload_failures{0};
  double m_start_seconds;
};

}  // namespace clm::server
