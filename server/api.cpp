#include "api.hpp"

#include <clm/api_error.hpp>
#include <clm/validate.hpp>

#include <chrono>

namespace clm::server {

Clock system_clock_ms()
{
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
  };
}

ApiResponse error_response(int errorcode)
{
  return {http_status_for(errorcode), json{{"errorcode", errorcode}}};
}

json parse_request(std::string_view body)
{
  auto j = parse_json(body);
  if (!j || !j->is_object()) {
    throw ApiError{1101, "request body is not a JSON object"};
  }
  return std::move(*j);
}

std::optional<std::string> optional_string(const json& req, const char* field)
{
  const auto it = req.find(field);
  if (it == req.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_string()) {
    throw ApiError{1103, std::string(field) + " is not a string"};
  }
  return it->get<std::string>();
}

std::string required_string(const json& req, const char* field)
{
  auto v = optional_string(req, field);
  if (!v) {
    throw ApiError{1102, std::string(field) + " is missing"};
  }
  return std::move(*v);
}

void check_value(const std::optional<std::string>& problem, const char* field)
{
  if (problem) {
    throw ApiError{1104, std::string(field) + " " + *problem};
  }
}

std::optional<std::string> optional_path(const json& req, const char* field)
{
  auto path = optional_string(req, field);
  if (path) {
    check_value(field_problem(Field::filepath, Side::server, *path), field);
  }
  return path;
}

std::string required_path(const json& req, const char* field)
{
  std::string path = required_string(req, field);
  check_value(field_problem(Field::filepath, Side::server, path), field);
  return path;
}

std::optional<std::int64_t> optional_keynumber(const json& req, const char* field)
{
  const auto text = optional_string(req, field);
  if (!text) {
    return std::nullopt;
  }
  check_value(field_problem(Field::keynumber, Side::server, *text), field);
  return std::stoll(*text);
}

const json& required_object_array(const json& req, const char* field)
{
  const auto it = req.find(field);
  if (it == req.end() || it->is_null()) {
    throw ApiError{1102, std::string(field) + " is missing"};
  }
  if (!it->is_array()) {
    throw ApiError{1103, std::string(field) + " is not an array"};
  }
  for (const json& item : *it) {
    if (!item.is_object()) {
      throw ApiError{1103, std::string(field) + " holds an item that is not a JSON object"};
    }
  }
  return *it;
}

std::string echoed_string(const json& entry, const char* field)
{
  const auto it = entry.find(field);
  return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void record_call(Store& store, const char* api, std::int64_t keyid, const std::string& deviceid, const char* mode,
                 std::optional<std::int64_t> keynumber, const std::string& filepath, std::int64_t now_ms)
{
  EventRecord e;
  e.keyid = keyid;
  e.deviceid = deviceid;
  e.api = api;
  e.mode = mode;
  e.keynumber = keynumber;
  e.filepath = filepath;
  e.at_ms = now_ms;
  store.record_event(e);
}

std::vector<std::string> batch_strings(const json& entries, const char* field)
{
  std::vector<std::string> out;
  for (const json& entry : entries) {
    if (const auto it = entry.find(field); it != entry.end() && it->is_string()) {
      out.push_back(it->get<std::string>());
    }
  }
  return out;
}

ApiResponse batch_answer(Store& store, const json& req, const std::function<json(const json& entry)>& answer_device,
                         const std::function<void(const json& entries)>& prepare, Durability durability)
{
  const json& entries = required_object_array(req, "deviceinfo");
  json devices;
  int last_error = 0;
  store.transaction([&] {
    // From the start: a store may run the transaction again (a serialization failure).
    devices = json::array();
    last_error = 0;
    if (prepare) {
      prepare(entries);
    }
    for (const json& entry : entries) {
      json answer = answer_device(entry);
      if (const int code = answer["errorcode"].get<int>(); code != 0) {
        last_error = code;
      }
      devices.push_back(std::move(answer));
    }
  }, durability);  // a read's events need not wait on the disk
  return {200, json{{"errorcode", last_error}, {"deviceinfo", std::move(devices)}}};
}

}  // namespace clm::server
