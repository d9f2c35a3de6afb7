// The client's retry policy (--retry, CLM_RETRY, several hosts): which failed attempt
// may be made again, and how long to wait before it. Kept apart from the transport so
// the decision is tested as a table; libcurl result codes are passed as plain ints.
#pragma once

#include <clm/json_io.hpp>

#include <chrono>
#include <cstdint>

namespace clm {

// The first retry waits up to k_retry_base, each further one up to twice as long,
// never more than k_retry_cap (curl's --retry doubles from 1 s up to 10 min; a
// client of a load-balanced pair wants the other server sooner).
inline constexpr std::chrono::milliseconds k_retry_base{250};
inline constexpr std::chrono::milliseconds k_retry_cap{8000};

// Whether a request changes state on the server.
enum class RequestKind { read_only, changes_state };

// Whether any byte of the request may have left for the server.
enum class RequestSent { no, maybe };

// Return the kind of a WebAPI request: a GET (null request) and the modes get,
// getlist, getkeylist and auth read; create, update, delete, revoke and any mode
// not known here change state.
RequestKind request_kind(const json& request);

// Return whether an attempt that ended with libcurl result curl_code (0: the server
// answered with http_status) may be made again, to the same or the next host.
bool should_retry(int curl_code, long http_status, RequestKind kind, RequestSent sent);

// Return the longest wait before retry number retry_index (0 for the first retry):
// min(k_retry_cap, k_retry_base * 2^retry_index).
std::chrono::milliseconds backoff_ceiling(unsigned retry_index);

// Return the wait before retry number retry_index with full jitter: random mapped
// uniformly onto [0, backoff_ceiling(retry_index)].
std::chrono::milliseconds backoff_delay(unsigned retry_index, std::uint64_t random);

}  // namespace clm
