// What every WebAPI handler shares: the error it throws, the answer it returns,
// and field readers that turn a bad request into the spec's errorcodes.
#pragma once

#include "store.hpp"

#include <clm/json_io.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace clm::server {

// A request the API refuses, with the appendix 7.1 errorcode; detail goes to the log only.
struct ApiError {
  int errorcode;
  std::string detail;
};

// A handler's answer: HTTP status and JSON body.
struct ApiResponse {
  int status;
  json body;
};

// Milliseconds since the epoch; replaceable in tests.
using Clock = std::function<std::int64_t()>;

// Return the system clock as a Clock.
Clock system_clock_ms();

// Return the response for err: the spec's HTTP status and {"errorcode": N}.
ApiResponse error_response(int errorcode);

// Return body parsed as a JSON object; throw ApiError 1101 when it is not one.
json parse_request(std::string_view body);

// Return the string field; throw 1102 when it is missing or null, 1103 when not a string.
std::string required_string(const json& req, const char* field);

// Return the string field or nullopt when missing or null; throw 1103 when not a string.
std::optional<std::string> optional_string(const json& req, const char* field);

// Throw ApiError 1104 naming field when problem is set (a value out of range).
void check_value(const std::optional<std::string>& problem, const char* field);

// Return the file path field or nullopt when missing or null; 1103 when not a string,
// 1104 when not a path the API records.
std::optional<std::string> optional_path(const json& req, const char* field);

// Return the file path field; 1102 when missing, otherwise as optional_path.
std::string required_path(const json& req, const char* field);

// Return the key number field (a string of 1..10 digits) or nullopt when missing or null;
// 1103 when not a string, 1104 when not digits.
std::optional<std::int64_t> optional_keynumber(const json& req, const char* field);

// Return the array field of a batch request; throw 1102 when it is missing or null, 1103
// when it is not an array of JSON objects.
const json& required_object_array(const json& req, const char* field);

// Return the string field, or "" when it is missing or not a string (for echoing a
// request's fields in the answer of a batch entry that failed).
std::string echoed_string(const json& entry, const char* field);

// Return the string values of field in the objects of entries (those where it is a
// string), in order.
std::vector<std::string> batch_strings(const json& entries, const char* field);

// Answer a batch request (getlist, getkeylist, the operator's DeviceInfo modes):
// answer_device turns each object of the array field deviceinfo into its answer, all
// in one store transaction (one commit however many devices; deferred for a read,
// full for changes); the top-level errorcode is the last error any device had.
// prepare, when given, sees the entries first, inside the transaction (to give the
// store its prefetch hints).
ApiResponse batch_answer(Store& store, const json& req, const std::function<json(const json& entry)>& answer_device,
                         const std::function<void(const json& entries)>& prepare = {},
                         Durability durability = Durability::deferred);

// Append a successful call of api (mode, key number, file path) that ID keyid made for
// deviceid to the audit trail.
void record_call(Store& store, const char* api, std::int64_t keyid, const std::string& deviceid, const char* mode,
                 std::optional<std::int64_t> keynumber, const std::string& filepath, std::int64_t now_ms);

}  // namespace clm::server
