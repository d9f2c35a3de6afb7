// The operator's view of the fleet through /SWCLM/DeviceInfo (our extension, with the
// admin license key): device groups and their schedules, what the schedules make due,
// every credential ending within some days (Smart Cert Manage's buckets), and the
// counts a dashboard shows.
//
// A group's schedule is applied on the server's clock at every request, not by a timer:
// a key is due for rotation rotate_days after it was issued and a certificate due for
// renewal renew_days before its end, from that moment on, even if the server was down
// then. The device's own KeyInfo get says so ("rotation": "due"), so its next
// `clm-key update --if-due` replaces the key; the operator lists everything due (mode
// due) for a timer or a report.
#pragma once

#include "api.hpp"
#include "store.hpp"

#include <cstdint>
#include <string>

namespace clm::server {

// Answer the fleet mode (groupset, groupget, grouplist, groupdelete, due, report,
// summary) of req at now_ms; throw ApiError for a bad request (1104 for an unknown
// group, or deleting one that holds devices).
ApiResponse fleet_answer(Store& store, const std::string& mode, const json& req, std::int64_t now_ms);

// Return whether mode is one fleet_answer answers.
bool is_fleet_mode(const std::string& mode);

// Return the group a request names in field (1..64 bytes without control characters);
// 1102 when missing, 1103 not a string, 1104 otherwise.
std::string read_group_name(const json& req, const char* field);

// Return whether key, held by device, is due for rotation at now_ms by its group's
// schedule (false without a group or a rotation schedule).
bool key_rotation_due(Store& store, const DeviceRecord& device, const KeyRecord& key, std::int64_t now_ms);

// The bucket of a credential ending at expires_ms, seen at now_ms: "expired", "15",
// "30", "60", "90" (at most that many days left) or "later".
std::string expiry_bucket(std::int64_t expires_ms, std::int64_t now_ms);

// Return the whole days from now_ms to expires_ms, rounded down (negative once ended).
std::int64_t days_left(std::int64_t expires_ms, std::int64_t now_ms);

// Return day (days since 1970) as YYYY-MM-DD.
std::string day_text(std::int64_t day);

}  // namespace clm::server
