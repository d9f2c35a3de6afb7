#include "fleet_reports.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace clm::server {

namespace {

constexpr std::int64_t k_day_ms = 24LL * 3600 * 1000;
constexpr std::size_t k_max_page = 1000;  // credentials a due or report page answers at most
constexpr std::int64_t k_max_days = 36500;
constexpr std::int64_t k_max_schedule_days = 3650;
constexpr int k_days_per_summary = 30;  // the days summary counts issuance for
constexpr std::array<std::int64_t, 4> k_bucket_days{15, 30, 60, 90};

// Return the digits field as a number of min..max, or nullopt when absent; 1104 otherwise.
std::optional<std::int64_t> optional_number(const json& req, const char* field, std::int64_t min, std::int64_t max)
{
  const auto text = optional_string(req, field);
  if (!text) {
    return std::nullopt;
  }
  if (text->empty() || text->size() > 9 || text->find_first_not_of("0123456789") != std::string::npos
      || std::stoll(*text) < min || std::stoll(*text) > max) {
    throw ApiError{1104, std::string(field) + " is not a number of " + std::to_string(min) + " to "
                           + std::to_string(max)};
  }
  return std::stoll(*text);
}

// Read a schedule field of groupset: absent or "" for none, else 1..3650 days.
std::optional<std::int64_t> read_schedule(const json& req, const char* field)
{
  const auto text = optional_string(req, field);
  if (!text || text->empty()) {
    return std::nullopt;
  }
  return optional_number(req, field, 1, k_max_schedule_days);
}

std::string optional_text(const std::optional<std::int64_t>& n)
{
  return n ? std::to_string(*n) : std::string();
}

json group_json(const GroupRecord& g)
{
  return json{{"errorcode", 0},
              {"group", g.name},
              {"rotate_days", optional_text(g.rotate_days)},
              {"renew_days", optional_text(g.renew_days)},
              {"created", std::to_string(g.created_ms)},
              {"devices", std::to_string(g.devices)}};
}

// Return the group named name with its device count; 1104 when there is none.
GroupRecord existing_group(Store& store, const std::string& name)
{
  auto g = store.find_group(name);
  if (!g) {
    throw ApiError{1104, "group " + name + " does not exist"};
  }
  g->devices = store.group_size(name);
  return std::move(*g);
}

// The page a due or report request asks for.
struct PageRequest {
  CredentialCursor after;
  std::size_t limit;
};

// Read the page a due or report request asks for: after ("MS.KEYNUMBER" from the answer
// before, or absent) and limit (1..1000, default 100).
PageRequest read_page(const json& req)
{
  CredentialCursor after{std::numeric_limits<std::int64_t>::min(), 0};
  if (const auto text = optional_string(req, "after"); text && !text->empty()) {
    const auto dot = text->find('.');
    const std::string at = text->substr(0, dot);
    const std::string n = dot == std::string::npos ? std::string() : text->substr(dot + 1);
    auto digits = [](const std::string& s, std::size_t max) {
      const std::size_t sign = !s.empty() && s[0] == '-' ? 1 : 0;
      return s.size() > sign && s.size() <= max + sign && s.find_first_not_of("0123456789", sign) == std::string::npos;
    };
    if (!digits(at, 15) || !digits(n, 10) || n[0] == '-') {
      throw ApiError{1104, "after is not the next of an earlier answer"};
    }
    after = CredentialCursor{std::stoll(at), std::stoll(n)};
  }
  const auto limit = optional_number(req, "limit", 1, k_max_page).value_or(100);
  return {after, static_cast<std::size_t>(limit)};
}

// Return the answer's next: where a full page ends ("" after a short one).
std::string next_of(const std::vector<CredentialRecord>& page, std::size_t limit, bool by_due)
{
  if (page.size() < limit) {
    return {};
  }
  const CredentialRecord& last = page.back();
  return std::to_string(by_due ? last.due_ms : last.expires_ms) + "." + std::to_string(last.keynumber);
}

json credential_json(const CredentialRecord& c)
{
  const bool key = c.kind == CredentialKind::key;
  return json{{"devicename", c.devicename},
              {"deviceid", c.deviceid},
              {"group", c.group},
              {"kind", key ? "key" : "certificate"},
              {"keynumber", std::to_string(c.keynumber)},
              {key ? "alias" : "serial", c.name},
              {"expires", std::to_string(c.expires_ms)}};
}

ApiResponse due(Store& store, const json& req, std::int64_t now_ms)
{
  std::optional<std::string> group;
  if (optional_string(req, "group")) {
    group = read_group_name(req, "group");
  }
  const PageRequest wanted = read_page(req);
  json list = json::array();
  std::string next;
  store.transaction([&] {
    if (group) {
      existing_group(store, *group);
    }
    list = json::array();
    const auto page = store.due_credentials(now_ms, group, wanted.after, wanted.limit);
    for (const CredentialRecord& c : page) {
      json j = credential_json(c);
      j["due"] = std::to_string(c.due_ms);
      list.push_back(std::move(j));
    }
    next = next_of(page, wanted.limit, true);
  }, Durability::deferred);
  return {200, json{{"errorcode", 0}, {"due", std::move(list)}, {"next", next}}};
}

ApiResponse report(Store& store, const json& req, std::int64_t now_ms)
{
  const auto within = optional_number(req, "within_days", 0, k_max_days);
  if (!within) {
    throw ApiError{1102, "within_days is missing"};
  }
  const PageRequest wanted = read_page(req);
  json list = json::array();
  std::string next;
  store.transaction([&] {
    list = json::array();
    const auto page = store.expiring_credentials(now_ms + *within * k_day_ms, wanted.after, wanted.limit);
    for (const CredentialRecord& c : page) {
      json j = credential_json(c);
      j["days_left"] = std::to_string(days_left(c.expires_ms, now_ms));
      j["bucket"] = expiry_bucket(c.expires_ms, now_ms);
      list.push_back(std::move(j));
    }
    next = next_of(page, wanted.limit, false);
  }, Durability::deferred);
  return {200, json{{"errorcode", 0}, {"credentials", std::move(list)}, {"next", next}}};
}

ApiResponse summary(Store& store, std::int64_t now_ms)
{
  json devices{{"valid", "0"}, {"disabled", "0"}, {"deleted", "0"}, {"expired", "0"}};
  json credentials;
  json per_day = json::array();
  store.transaction([&] {
    for (const auto& [state, count] : store.device_counts(now_ms)) {
      devices[state] = std::to_string(count);
    }
    std::vector<std::int64_t> limits{now_ms};
    for (const std::int64_t days : k_bucket_days) {
      limits.push_back(now_ms + days * k_day_ms);
    }
    const ExpiryCounts counts = store.expiry_counts(limits);
    credentials = json{{"expired", std::to_string(counts.counts[0])}};
    for (std::size_t i = 0; i < k_bucket_days.size(); ++i) {
      credentials[std::to_string(k_bucket_days[i])] = std::to_string(counts.counts[i + 1] - counts.counts[i]);
    }
    credentials["later"] = std::to_string(counts.total - counts.counts.back());
    const std::int64_t today = now_ms / k_day_ms;
    const std::int64_t first = today - (k_days_per_summary - 1);
    const std::vector<DayCount> issued = store.issued_per_day(first * k_day_ms);
    per_day = json::array();
    auto it = issued.begin();
    for (std::int64_t day = first; day <= today; ++day) {
      DayCount c{day, 0, 0};
      if (it != issued.end() && it->day == day) {
        c = *it++;
      }
      per_day.push_back(
        json{{"day", day_text(day)}, {"issued", std::to_string(c.issued)}, {"rotated", std::to_string(c.rotated)}});
    }
  }, Durability::deferred);
  return {200, json{{"errorcode", 0}, {"devices", std::move(devices)}, {"credentials", std::move(credentials)},
                    {"per_day", std::move(per_day)}}};
}

}  // namespace

bool is_fleet_mode(const std::string& mode)
{
  constexpr std::array<std::string_view, 7> k_modes{"groupset", "groupget", "grouplist", "groupdelete",
                                                    "due",      "report",   "summary"};
  return std::find(k_modes.begin(), k_modes.end(), mode) != k_modes.end();
}

std::string read_group_name(const json& req, const char* field)
{
  const std::string name = required_string(req, field);
  if (name.empty() || name.size() > 64) {
    throw ApiError{1104, std::string(field) + " is not 1 to 64 bytes"};
  }
  for (const char c : name) {
    const auto ch = static_cast<unsigned char>(c);
    if (ch < 0x20 || ch == 0x7f) {
      throw ApiError{1104, std::string(field) + " holds a control character"};
    }
  }
  return name;
}

ApiResponse fleet_answer(Store& store, const std::string& mode, const json& req, std::int64_t now_ms)
{
  if (mode == "due") {
    return due(store, req, now_ms);
  }
  if (mode == "report") {
    return report(store, req, now_ms);
  }
  if (mode == "summary") {
    return summary(store, now_ms);
  }
  if (mode == "grouplist") {
    json list = json::array();
    store.transaction([&] {
      list = json::array();
      for (const GroupRecord& g : store.groups()) {
        json j = group_json(g);
        j.erase("errorcode");
        list.push_back(std::move(j));
      }
    }, Durability::deferred);
    return {200, json{{"errorcode", 0}, {"groups", std::move(list)}}};
  }
  const std::string name = read_group_name(req, "group");
  json answer;
  if (mode == "groupget") {
    store.transaction([&] { answer = group_json(existing_group(store, name)); }, Durability::deferred);
  } else if (mode == "groupset") {
    const auto rotate = read_schedule(req, "rotate_days");
    const auto renew = read_schedule(req, "renew_days");
    store.transaction([&] {
      store.put_group(GroupRecord{name, rotate, renew, now_ms, 0});
      answer = group_json(existing_group(store, name));
    });
  } else {  // groupdelete
    store.transaction([&] {
      const GroupRecord g = existing_group(store, name);
      if (g.devices > 0) {
        throw ApiError{1104, "group " + name + " still holds " + std::to_string(g.devices) + " devices"};
      }
      store.delete_group(name);
      answer = group_json(g);
    });
  }
  return {200, std::move(answer)};
}

bool key_rotation_due(Store& store, const DeviceRecord& device, const KeyRecord& key, std::int64_t now_ms)
{
  if (device.group.empty() || key.status != KeyStatus::valid) {
    return false;
  }
  const auto group = store.find_group(device.group);
  return group && group->rotate_days && key.created_ms + *group->rotate_days * k_day_ms <= now_ms;
}

std::string expiry_bucket(std::int64_t expires_ms, std::int64_t now_ms)
{
  if (expires_ms <= now_ms) {
    return "expired";
  }
  for (const std::int64_t days : k_bucket_days) {
    if (expires_ms <= now_ms + days * k_day_ms) {
      return std::to_string(days);
    }
  }
  return "later";
}

std::int64_t days_left(std::int64_t expires_ms, std::int64_t now_ms)
{
  const std::int64_t ms = expires_ms - now_ms;
  return ms >= 0 ? ms / k_day_ms : -((-ms + k_day_ms - 1) / k_day_ms);
}

std::string day_text(std::int64_t day)
{
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return text;
}

}  // namespace clm::server
