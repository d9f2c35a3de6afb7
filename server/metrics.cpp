#include "metrics.hpp"

#include <clm/api_error.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>

namespace clm::server {

namespace {

constexpr std::array<std::string_view, 3> k_methods{"GET", "POST", "other"};

// The statuses the server answers with; any other counts as "other" (the last label).
constexpr std::array<unsigned, 15> k_statuses{200, 201, 301, 303, 400, 401, 403, 404, 405, 408, 413, 415, 431, 500, 503};
constexpr std::size_t k_status_labels = k_statuses.size() + 1;

constexpr std::size_t k_bucket_count = k_latency_bounds.size() + 1;  // the last: above every bound

// The errorcodes counted apart: 0 and the spec's table (appendix 7.1), ascending.
const std::vector<int>& known_errorcodes()
{
  static const std::vector<int> codes = [] {
    std::vector<int> out{0};
    // The table's codes are four digits; it is read once, through its one accessor.
    for (int code = 1000; code <= 9999; ++code) {
      if (find_api_error(code)) {
        out.push_back(code);
      }
    }
    return out;
  }();
  return codes;
}

// Errorcode labels: "none" (index 0), the known codes, "other" (last).
std::size_t errorcode_labels()
{
  return known_errorcodes().size() + 2;
}

std::size_t errorcode_index(std::optional<int> errorcode)
{
  if (!errorcode) {
    return 0;
  }
  const auto& codes = known_errorcodes();
  const auto it = std::lower_bound(codes.begin(), codes.end(), *errorcode);
  if (it == codes.end() || *it != *errorcode) {
    return codes.size() + 1;
  }
  return static_cast<std::size_t>(it - codes.begin()) + 1;
}

std::string errorcode_label(std::size_t index)
{
  const auto& codes = known_errorcodes();
  if (index == 0) {
    return "none";
  }
  if (index > codes.size()) {
    return "other";
  }
  return std::to_string(codes[index - 1]);
}

std::size_t method_index(std::string_view method)
{
  for (std::size_t i = 0; i + 1 < k_methods.size(); ++i) {
    if (method == k_methods[i]) {
      return i;
    }
  }
  return k_methods.size() - 1;
}

std::size_t status_index(unsigned status)
{
  const auto* it = std::find(k_statuses.begin(), k_statuses.end(), status);
  return static_cast<std::size_t>(it - k_statuses.begin());  // k_statuses.size(): "other"
}

std::string status_label(std::size_t index)
{
  return index < k_statuses.size() ? std::to_string(k_statuses[index]) : "other";
}

// The states clm_credentials always lists for each kind, so that a series never
// disappears when its count drops to 0; a state the store does not know is not listed.
struct KindStates {
  std::string_view kind;
  std::vector<std::string_view> states;
};
const std::array<KindStates, 4> k_credential_states{
  KindStates{"certificate", {"valid", "expired", "updated", "revoked"}},
  KindStates{"key", {"valid", "expired", "updated", "deleted"}},
  KindStates{"device", {"valid", "expired", "disabled", "deleted"}},
  KindStates{"id", {"valid", "expired", "deleted"}},
};

double seconds_since_epoch()
{
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

RequestMetrics::RequestMetrics(std::vector<std::string> paths) : m_paths(std::move(paths))
{
  m_paths.erase(std::remove(m_paths.begin(), m_paths.end(), "other"), m_paths.end());
  m_paths.push_back("other");
  const std::size_t n = m_paths.size();
  m_requests = std::make_unique<std::atomic<std::uint64_t>[]>(n * k_methods.size() * k_status_labels
                                                               * errorcode_labels());
  m_buckets = std::make_unique<std::atomic<std::uint64_t>[]>(n * k_bucket_count);
  m_nanoseconds = std::make_unique<std::atomic<std::uint64_t>[]>(n);
}

std::size_t RequestMetrics::path_index(std::string_view path) const
{
  const std::size_t other = m_paths.size() - 1;
  for (std::size_t i = 0; i < other; ++i) {
    if (m_paths[i] == path) {
      return i;
    }
  }
  return other;
}

std::string_view RequestMetrics::path_label(std::string_view path) const
{
  return m_paths[path_index(path)];
}

void RequestMetrics::record(std::string_view method, std::string_view path, unsigned status,
                            std::optional<int> errorcode, double seconds)
{
  const std::size_t p = path_index(path);
  const std::size_t cell =
    ((p * k_methods.size() + method_index(method)) * k_status_labels + status_index(status)) * errorcode_labels()
    + errorcode_index(errorcode);
  m_requests[cell].fetch_add(1, std::memory_order_relaxed);
  seconds = std::max(seconds, 0.0);
  const auto bound = std::lower_bound(k_latency_bounds.begin(), k_latency_bounds.end(), seconds);
  const auto bucket = static_cast<std::size_t>(bound - k_latency_bounds.begin());
  m_buckets[p * k_bucket_count + bucket].fetch_add(1, std::memory_order_relaxed);
  m_nanoseconds[p].fetch_add(static_cast<std::uint64_t>(std::llround(seconds * 1e9)), std::memory_order_relaxed);
  if (errorcode && *errorcode >= 1601 && *errorcode <= 1604) {
    m_store_errors.fetch_add(1, std::memory_order_relaxed);
  }
}

void RequestMetrics::write(Exposition& out) const
{
  out.family("clm_http_requests_total", "counter",
             "Requests answered, by route path (\"other\" for any other path), method, HTTP status and the "
             "answer's errorcode (\"none\" when it has none).");
  const std::size_t codes = errorcode_labels();
  std::size_t cell = 0;
  for (std::size_t p = 0; p < m_paths.size(); ++p) {
    for (std::size_t m = 0; m < k_methods.size(); ++m) {
      for (std::size_t s = 0; s < k_status_labels; ++s) {
        for (std::size_t e = 0; e < codes; ++e, ++cell) {
          const std::uint64_t n = m_requests[cell].load(std::memory_order_relaxed);
          if (n == 0) {
            continue;
          }
          const std::string status = status_label(s);
          const std::string errorcode = errorcode_label(e);
          const std::array labels{Label{"path", m_paths[p]}, Label{"method", k_methods[m]},
                                  Label{"status", status}, Label{"errorcode", errorcode}};
          out.sample("clm_http_requests_total", labels, n);
        }
      }
    }
  }
  out.family("clm_http_request_duration_seconds", "histogram",
             "Time from a request's head read to its answer, by route path.");
  for (std::size_t p = 0; p < m_paths.size(); ++p) {
    std::array<std::uint64_t, k_bucket_count> counts{};
    for (std::size_t b = 0; b < k_bucket_count; ++b) {
      counts[b] = m_buckets[p * k_bucket_count + b].load(std::memory_order_relaxed);
    }
    const double sum = static_cast<double>(m_nanoseconds[p].load(std::memory_order_relaxed)) / 1e9;
    const std::array labels{Label{"path", m_paths[p]}};
    out.histogram("clm_http_request_duration_seconds", labels, k_latency_bounds, counts, sum);
  }
}

StoreMetrics::StoreMetrics(Query query, Clock clock, std::chrono::milliseconds max_age)
  : m_query(std::move(query)), m_clock(std::move(clock)), m_max_age(max_age)
{
}

void StoreMetrics::refresh()
{
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t now_ms = m_clock();
  std::optional<std::vector<StateCount>> counts;
  try {
    counts = m_query(now_ms);
  } catch (const std::exception& e) {
    std::cerr << std::string("clm-server: store: /metrics: ") + e.what() + "\n";
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(m_mutex);
  Reading r = m_reading.value_or(Reading{});
  r.up = counts.has_value();
  r.seconds = seconds;
  r.at_ms = now_ms;
  if (counts) {
    r.counts = std::move(*counts);
    r.counts_ms = now_ms;
  } else {
    ++m_failures;
  }
  m_reading = std::move(r);
}

void StoreMetrics::write(Exposition& out, std::uint64_t request_errors)
{
  const auto stale = [&] {
    std::lock_guard lock(m_mutex);
    const std::int64_t age = m_clock() - (m_reading ? m_reading->at_ms : 0);
    return !m_reading || age < 0 || age >= m_max_age.count();
  };
  if (stale()) {
    // One scrape reads; the others answer what was read last rather than wait for it.
    std::unique_lock refreshing(m_refreshing, std::try_to_lock);
    if (refreshing.owns_lock() && stale()) {
      refresh();
    }
  }
  std::optional<Reading> reading;
  std::uint64_t failures = 0;
  {
    std::lock_guard lock(m_mutex);
    reading = m_reading;
    failures = m_failures;
  }
  if (reading) {
    out.family("clm_store_up", "gauge",
               "1 when the last reading of the store (its health check and counts) succeeded, else 0.");
    out.sample("clm_store_up", {}, reading->up ? 1.0 : 0.0);
    out.family("clm_store_query_duration_seconds", "gauge", "How long the last reading of the store took.");
    out.sample("clm_store_query_duration_seconds", {}, reading->seconds);
  }
  out.family("clm_store_errors_total", "counter",
             "Store failures: requests answered with a database errorcode (1601-1604) and failed readings "
             "of the store for /metrics.");
  out.sample("clm_store_errors_total", {}, request_errors + failures);
  if (!reading || !reading->counts_ms) {
    return;
  }
  out.family("clm_credentials", "gauge",
             "Device certificates, keys, devices and IDs in the store, by state (a valid one past its end is "
             "\"expired\"), as of the last reading (see clm_credentials_age_seconds).");
  for (const KindStates& ks : k_credential_states) {
    for (const std::string_view state : ks.states) {
      std::int64_t n = 0;
      for (const StateCount& c : reading->counts) {
        if (c.kind == ks.kind && c.state == state) {
          n += c.count;
        }
      }
      out.sample("clm_credentials", {Label{"kind", ks.kind}, Label{"state", state}}, static_cast<double>(n));
    }
  }
  out.family("clm_credentials_age_seconds", "gauge", "How old the counts of clm_credentials are.");
  const double age_ms = static_cast<double>(std::max<std::int64_t>(0, m_clock() - *reading->counts_ms));
  out.sample("clm_credentials_age_seconds", {}, age_ms / 1000);
}

Metrics::Metrics(std::vector<std::string> route_paths, StoreMetrics::Query query, Clock clock)
  : m_requests(std::move(route_paths)), m_store(std::move(query), std::move(clock)), m_start_seconds(seconds_since_epoch())
{
}

void Metrics::tls_reloaded(TlsReload result)
{
  (result == TlsReload::success ? m_tls_reloads : m_tls_reload_failures).fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render()
{
  Exposition out;
  out.family("clm_build_info", "gauge", "The version of clm-server, as a label; always 1.");
  out.sample("clm_build_info", {Label{"version", CLM_VERSION}}, 1.0);
  out.family("clm_process_start_time_seconds", "gauge", "When the server started, in seconds since 1970-01-01 UTC.");
  out.sample("clm_process_start_time_seconds", {}, m_start_seconds);
  m_requests.write(out);

  struct Listener {
    std::string_view name;
    const ConnectionCounts& counts;
  };
  std::vector<Listener> listeners{{"api", m_api_connections}};
  if (m_metrics_connections.max > 0) {
    listeners.push_back({"metrics", m_metrics_connections});
  }
  out.family("clm_http_connections_open", "gauge", "Connections open, by listener.");
  for (const Listener& l : listeners) {
    out.sample("clm_http_connections_open", {Label{"listener", l.name}},
               static_cast<double>(l.counts.open.load(std::memory_order_relaxed)));
  }
  out.family("clm_http_connections_max", "gauge",
             "The most connections a listener keeps open (--max-connections for the API).");
  for (const Listener& l : listeners) {
    out.sample("clm_http_connections_max", {Label{"listener", l.name}}, static_cast<double>(l.counts.max));
  }
  out.family("clm_http_connections_refused_total", "counter",
             "Connections closed as soon as they were accepted, the listener being at its cap.");
  for (const Listener& l : listeners) {
    const std::array labels{Label{"listener", l.name}};
    out.sample("clm_http_connections_refused_total", labels, l.counts.refused.load(std::memory_order_relaxed));
  }
  out.family("clm_tls_reloads_total", "counter",
             "Rereadings of the TLS certificate and key on SIGHUP, by result (failure: the old identity kept).");
  const std::array success{Label{"result", "success"}};
  const std::array failure{Label{"result", "failure"}};
  out.sample("clm_tls_reloads_total", success, m_tls_reloads.load(std::memory_order_relaxed));
  out.sample("clm_tls_reloads_total", failure, m_tls_reload_failures.load(std::memory_order_relaxed));
  m_store.write(out, m_requests.store_errors());
  return out.text();
}

}  // namespace clm::server
