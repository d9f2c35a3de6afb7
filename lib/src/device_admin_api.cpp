#include <clm/api_error.hpp>
#include <clm/device_admin_api.hpp>
#include <clm/error.hpp>
#include <clm/keylist_api.hpp>
#include <clm/text.hpp>
#include <clm/util/iso8601.hpp>
#include <clm/validate.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

namespace clm {

namespace {

// Return whether text is digits, with a leading '-' when signed_ is set, and short
// enough to fit an int64 (15 digits: what the server writes for times and counts).
bool is_number_text(const std::string& text, bool signed_)
{
  const std::size_t start = signed_ && !text.empty() && text[0] == '-' ? 1 : 0;
  return text.size() > start && text.size() - start <= 15
         && text.find_first_not_of("0123456789", start) == std::string::npos;
}

// Replace the time field of j (milliseconds since 1970 as digits) by its ISO 8601 UTC
// text, "" by null; absent stays absent.
void time_field(json& j, const char* field)
{
  const auto text = answer_string(j, field);
  if (!text) {
    return;
  }
  if (text->empty()) {
    j[field] = nullptr;
    return;
  }
  if (!is_number_text(*text, false)) {
    throw_bad_answer(field, "is not milliseconds since 1970");
  }
  j[field] = util::iso8601_utc(std::stoll(*text));
}

enum class Sign { unsigned_only, may_be_negative };

// Replace the count field of j (digits) by its number, "" by null; absent stays absent.
void count_field(json& j, const std::string& field, Sign sign)
{
  const auto text = answer_string(j, field);
  if (!text) {
    return;
  }
  if (text->empty()) {
    j[field] = nullptr;
    return;
  }
  if (!is_number_text(*text, sign == Sign::may_be_negative)) {
    throw_bad_answer(field, "is not a number");
  }
  j[field] = std::stoll(*text);
}

// Return the object field of j, or nullptr when absent or null; throw_bad_answer otherwise.
json* object_field(json& j, const char* field)
{
  const auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    return nullptr;
  }
  if (!it->is_object()) {
    throw_bad_answer(field, std::string("is not an object but ") + it->type_name());
  }
  return &*it;
}

// Return the array field of j for changing, or nullptr when absent or null.
json* array_field(json& j, const char* field)
{
  if (!answer_array(j, field)) {
    return nullptr;
  }
  return &j[field];
}

// Return answer checked to be a JSON object, for the converters.
json object_answer(const json& answer, const char* what)
{
  if (!answer.is_object()) {
    throw_bad_answer(what, std::string("is not an object but ") + answer.type_name());
  }
  return answer;
}

// The buckets of a report, soonest first, as the server names them.
constexpr std::array<const char*, 6> k_buckets{"expired", "15", "30", "60", "90", "later"};

}  // namespace

std::optional<ApiResult> read_pages(const ApiCaller& call, const PagedRead& read,
                                    const std::function<void(const json& item)>& sink)
{
  std::size_t handed = 0;
  std::string after;
  while (true) {
    std::size_t want = std::clamp<std::size_t>(read.page_size, 1, k_max_page_items);
    if (read.limit) {
      if (handed >= *read.limit) {
        return std::nullopt;
      }
      want = std::min(want, *read.limit - handed);
    }
    json request = read.request;
    request["limit"] = std::to_string(want);
    if (!after.empty()) {
      request["after"] = after;
    }
    ApiResult r = call(k_deviceinfo_path, request);
    if (!r.ok()) {
      return r;
    }
    const json* items = answer_array(r.body, read.items);
    if (!items) {
      throw_bad_answer(read.items, "is missing");
    }
    if (items->size() > want) {
      throw_bad_answer(read.items, "holds more items than the limit asked for");
    }
    for (const json& item : *items) {
      if (!item.is_object()) {
        throw_bad_answer(read.items, "holds an item that is not an object");
      }
      sink(item);
      ++handed;
    }
    const auto next = answer_string(r.body, "next");
    if (!next) {
      throw_bad_answer("next", "is missing");
    }
    if (next->empty()) {
      return std::nullopt;
    }
    // A server that answers the same cursor again would keep us here for ever.
    if (*next == after) {
      throw_bad_answer("next", "is the cursor the page was asked with");
    }
    after = *next;
  }
}

std::optional<ApiResult> send_bulk(const ApiCaller& call, const std::string& mode, const std::vector<json>& entries,
                                   std::size_t batch_size,
                                   const std::function<void(const json& entry, const json& answer)>& sink)
{
  batch_size = std::clamp<std::size_t>(batch_size, 1, k_max_bulk_devices);
  for (std::size_t first = 0, n = 0; first < entries.size(); first += n) {
    json list = json::array();
    std::size_t bytes = 0;
    for (n = 0; n < batch_size && first + n < entries.size(); ++n) {
      bytes += entries[first + n].dump().size() + 1;
      if (n > 0 && bytes > k_max_bulk_bytes) {
        break;
      }
      list.push_back(entries[first + n]);
    }
    ApiResult r = call(k_deviceinfo_path, json{{"mode", mode}, {"deviceinfo", std::move(list)}});
    // The answer's own errorcode is that of the last device that failed: the devices'
    // answers say what became of each; only an HTTP error refuses the whole request.
    if (r.http_status < 200 || r.http_status >= 300) {
      return r;
    }
    const json* answers = answer_array(r.body, "deviceinfo");
    if (!answers || answers->size() != n) {
      throw_bad_answer("deviceinfo", "does not hold one answer for each device asked for");
    }
    for (std::size_t i = 0; i < n; ++i) {
      const json& answer = (*answers)[i];
      if (!answer.is_object() || !answer_int(answer, "errorcode")) {
        throw_bad_answer("deviceinfo", "holds an answer that is not an object with an errorcode");
      }
      sink(entries[first + i], answer);
    }
  }
  return std::nullopt;
}

void throw_admin_failure(const ApiResult& result, const std::string& what)
{
  if (result.http_status == 403) {
    throw Error(ExitCode::http_error, "the server refused: this request needs the admin license key");
  }
  if (result.http_status == 401) {
    throw Error(ExitCode::http_error, what + ": server answered HTTP 401 (admin license key missing or wrong; check "
                                             "--admin-key-file or CLM_ADMIN_KEY_FILE)");
  }
  throw_api_failure(result, what);
}

std::string device_failure_text(const std::string& what, const std::string& devicename, int errorcode)
{
  std::string text = what + " " + devicename + ": errorcode " + std::to_string(errorcode);
  if (const auto info = find_api_error(errorcode)) {
    text += " (" + std::string(info->text) + ")";
  }
  return text;
}

int already_errorcode(std::string_view mode)
{
  if (mode == "disable") {
    return 1708;
  }
  if (mode == "enable") {
    return 1709;
  }
  if (mode == "delete") {
    return 1710;
  }
  return 0;
}

ChangeOutcome change_outcome(std::string_view mode, const json& answer)
{
  ChangeOutcome out;
  out.line = device_output(answer);
  const int code = answer_int(answer, "errorcode").value_or(-1);
  out.line["changed"] = code == 0;
  // The three "already so" answers say which state the device is in.
  static const std::map<int, const char*> k_state_of{{1708, "disabled"}, {1709, "valid"}, {1710, "deleted"}};
  if (const auto it = k_state_of.find(code); it != k_state_of.end() && !out.line.contains("status")) {
    out.line["status"] = it->second;
  }
  out.failed = code != 0 && code != already_errorcode(mode);
  return out;
}

json device_output(const json& device)
{
  json out = object_answer(device, "device");
  time_field(out, "expires");
  time_field(out, "created");
  if (json* events = array_field(out, "events")) {
    for (json& e : *events) {
      if (!e.is_object()) {
        throw_bad_answer("events", "holds an event that is not an object");
      }
      time_field(e, "at");
    }
  }
  return out;
}

json group_output(const json& group)
{
  json out = object_answer(group, "group");
  time_field(out, "created");
  count_field(out, "devices", Sign::unsigned_only);
  count_field(out, "rotate_days", Sign::unsigned_only);
  count_field(out, "renew_days", Sign::unsigned_only);
  return out;
}

json due_output(const json& item)
{
  json out = object_answer(item, "due");
  time_field(out, "due");
  time_field(out, "expires");
  return out;
}

json credential_output(const json& item)
{
  json out = object_answer(item, "credentials");
  time_field(out, "expires");
  count_field(out, "days_left", Sign::may_be_negative);
  return out;
}

json summary_output(const json& summary)
{
  json out = object_answer(summary, "summary");
  for (const char* part : {"devices", "credentials"}) {
    if (json* counts = object_field(out, part)) {
      std::vector<std::string> names;
      for (const auto& entry : counts->items()) {
        names.push_back(entry.key());
      }
      for (const std::string& name : names) {
        count_field(*counts, name, Sign::unsigned_only);
      }
    }
  }
  if (json* days = array_field(out, "per_day")) {
    for (json& day : *days) {
      if (!day.is_object()) {
        throw_bad_answer("per_day", "holds an entry that is not an object");
      }
      count_field(day, "issued", Sign::unsigned_only);
      count_field(day, "rotated", Sign::unsigned_only);
    }
  }
  return out;
}

void check_device_name(const std::string& name, const std::string& option)
{
  // The server's rule, not the tools' stricter one: these are names the server holds,
  // which another client may have registered with any character the WebAPI allows.
  if (const auto problem = field_problem(Field::devicename, Side::server, name)) {
    throw Error(ExitCode::bad_parameter, option + ": '" + log_safe(name) + "': " + *problem);
  }
}

std::vector<std::string> read_device_names(std::string_view text)
{
  std::vector<std::string> names;
  std::size_t lineno = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string line = trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++lineno;
    if (line.empty()) {
      continue;
    }
    const std::string where = "stdin line " + std::to_string(lineno);
    if (line[0] != '{') {
      check_device_name(line, where);
      names.push_back(line);
      continue;
    }
    const auto j = parse_json(line);
    if (!j || !j->is_object()) {
      throw Error(ExitCode::bad_parameter, where + ": not a JSON object");
    }
    const auto it = j->find("devicename");
    if (it == j->end() || !it->is_string()) {
      throw Error(ExitCode::bad_parameter, where + ": no \"devicename\" string in the JSON object");
    }
    check_device_name(it->get<std::string>(), where);
    names.push_back(it->get<std::string>());
  }
  return names;
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows)
{
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) {
        line += "  ";
      }
      line += row[c];
      line.append(widths[c] - row[c].size(), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + '\n';
  }
  return out;
}

std::string report_table(const std::vector<json>& items)
{
  std::vector<std::vector<std::string>> rows{{"DEVICE", "KIND", "KEYNUMBER", "NAME", "EXPIRES", "DAYS", "BUCKET"}};
  std::map<std::string, std::size_t> per_bucket;
  for (const json& item : items) {
    // What the server wrote stays on its line of the terminal.
    auto cell = [&](const char* field) { return log_safe(string_field(item, field)); };
    const std::string kind = string_field(item, "kind");
    const auto days = item.find("days_left");
    rows.push_back({cell("devicename"), cell("kind"), cell("keynumber"), cell(kind == "certificate" ? "serial" : "alias"),
                    cell("expires").substr(0, 10),
                    days != item.end() && days->is_number_integer() ? std::to_string(days->get<std::int64_t>()) : "",
                    cell("bucket")});
    ++per_bucket[cell("bucket")];
  }
  std::ostringstream count;
  count << items.size() << (items.size() == 1 ? " credential:" : " credentials:");
  const char* sep = " ";
  for (const std::string bucket : k_buckets) {
    const bool named = bucket == "expired" || bucket == "later";
    count << sep << per_bucket[bucket] << (named ? " " + bucket : " within " + bucket + " days");
    per_bucket.erase(bucket);
    sep = ", ";
  }
  // A bucket the server added later still shows.
  for (const auto& [bucket, n] : per_bucket) {
    count << ", " << n << " " << bucket;
  }
  return aligned_table(rows) + count.str() + "\n";
}

}  // namespace clm
