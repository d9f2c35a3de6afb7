// How the states of records are written in rows: the same words in every backend, and
// a word a row holds that names no state is an error, never a guess.
#pragma once

#include "store.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace clm::server {

std::string_view status_name(Status s);
// The first text after every text starting with prefix, bytewise ("ab" -> "ac"); ""
// when there is none (prefix empty or all 0xff bytes): a range scan's upper bound.
std::string prefix_end(const std::string& prefix);

// The group_name column of a device's group: NULL for none.
inline std::optional<std::string> group_column(const std::string& group)
{
  return group.empty() ? std::nullopt : std::optional<std::string>(group);
}
std::string_view device_status_name(DeviceStatus s);
std::string_view cert_kind_name(CertKind k);
std::string_view cert_status_name(CertStatus s);
std::string_view key_status_name(KeyStatus s);
// The name of counter in the SQLite sequences table and in exports.
std::string_view counter_name(Counter c);

// One step of the schema. Every backend has the same steps, by version and name, in
// its own SQL, and records those applied in a table schema_migrations (version, name,
// applied_ms).
struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Schema 5, the same SQL in every backend: the indexes the fleet's reports read
// (credentials by expiry and issuance, replacements, registration expiry).
inline constexpr const char* k_fleet_report_indexes = R"sql(
CREATE INDEX keys_by_expiry ON keys (status, expiration_ms, keynumber);
CREATE INDEX certs_by_expiry ON certs (status, not_after_ms, keynumber) WHERE deviceid IS NOT NULL;
CREATE INDEX keys_by_created ON keys (created_ms);
CREATE INDEX certs_by_created ON certs (created_ms) WHERE deviceid IS NOT NULL;
CREATE INDEX keys_by_replacement ON keys (replaced_by) WHERE replaced_by IS NOT NULL;
CREATE INDEX certs_by_replacement ON certs (replaced_by) WHERE replaced_by IS NOT NULL;
CREATE INDEX devices_by_expiry ON devices (expires_ms) WHERE expires_ms IS NOT NULL;
)sql";

// The schema version of this build: every backend's migrations end at it.
inline constexpr int k_schema_version = 5;

// Return whether migrations run 1, 2, 3, ... k_schema_version in order, as the stores
// index them.
template <std::size_t N>
constexpr bool migrations_complete(const Migration (&migrations)[N])
{
  for (std::size_t i = 0; i < N; ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return false;
    }
  }
  return N == k_schema_version;
}

// The tables a store copy moves, parents before children, in schema version
// k_schema_version: everything but the schema's own record and the counters.
const std::vector<TableSpec>& copied_tables();

// Return "INSERT INTO table (columns) VALUES (p(1), p(2), ...)" and the select list of
// table; p gives the placeholder of a parameter ("?" or "$1").
std::string insert_statement(const TableSpec& table, const std::function<std::string(int)>& placeholder);
std::string select_statement(const TableSpec& table);

// Throw Error(bad_file_format) saying the store at where has a newer schema (version)
// than this build knows.
[[noreturn]] void refuse_newer_schema(const std::string& where, int version);

// Return the time now, in milliseconds since the epoch (when a migration is applied).
std::int64_t wall_clock_ms();

// Return the state text names; StoreError 1602 naming the column and the text when it
// names none (a row written by a newer version, or damaged).
Status status_from(std::string_view text, std::string_view column);
DeviceStatus device_status_from(std::string_view text, std::string_view column);
CertKind cert_kind_from(std::string_view text, std::string_view column);
CertStatus cert_status_from(std::string_view text, std::string_view column);
KeyStatus key_status_from(std::string_view text, std::string_view column);

}  // namespace clm::server

namespace clm::server {

// The columns every backend selects for each record, in the order the *_from readers
// below take them. A backend's row type gives int64(i), text(i), optional_int64(i) and
// optional_text(i) for column i.
inline constexpr const char* k_id_columns = "keyid, tenantid, alias, sealed_key, status, expiration";

inline constexpr const char* k_device_columns =
  "deviceid, devicename, sealed_key, ipaddress, macaddress, ext_data, status, created_ms, owner_keyid, expires_ms, "
  "group_name";
inline constexpr int k_device_column_count = 11;

inline constexpr const char* k_cert_columns =
  "keynumber, serial, catype, ca_name, deviceid, kind, subject, cert_der, sealed_key, status, not_after_ms, "
  "filepath, replaced_by, revoked_at_ms, created_ms, "
  "(SELECT d.owner_keyid FROM devices d WHERE d.deviceid = certs.deviceid)";

// The owner of a key is that of the device that created it, looked up by primary key.
inline constexpr const char* k_key_owner = "(SELECT d.owner_keyid FROM devices d WHERE d.deviceid = keys.deviceid)";

inline const std::string k_key_columns =
  std::string("keynumber, keytype, keylength, alias, sealed_key, status, expiration_ms, replaced_by, deviceid, "
              "created_ms, ") + k_key_owner;
inline constexpr int k_key_column_count = 11;

inline constexpr const char* k_event_columns = "id, deviceid, api, mode, keynumber, filepath, at_ms, keyid, actor";

template <typename Row>
IdRecord id_from(Row& row)
{
  IdRecord r;
  r.keyid = row.int64(0);
  r.tenantid = row.text(1);
  r.alias = row.text(2);
  r.sealed_key = row.text(3);
  r.status = status_from(row.text(4), "ids.status");
  r.expiration_ms = row.int64(5);
  return r;
}

template <typename Row>
DeviceRecord device_from(Row& row)
{
  DeviceRecord r;
  r.deviceid = row.text(0);
  r.devicename = row.text(1);
  r.sealed_key = row.text(2);
  r.ipaddress = row.text(3);
  r.macaddress = row.text(4);
  r.ext_data = row.text(5);
  r.status = device_status_from(row.text(6), "devices.status");
  r.created_ms = row.int64(7);
  r.owner_keyid = row.optional_int64(8);
  r.expires_ms = row.optional_int64(9);
  r.group = row.optional_text(10).value_or("");
  return r;
}

template <typename Row>
CertRecord cert_from(Row& row)
{
  CertRecord r;
  r.keynumber = row.int64(0);
  r.serial = row.text(1);
  r.catype = row.text(2);
  r.ca_name = row.optional_text(3);
  r.deviceid = row.optional_text(4);
  r.kind = cert_kind_from(row.text(5), "certs.kind");
  r.subject = row.text(6);
  r.cert_der = row.text(7);
  r.sealed_key = row.text(8);
  r.status = cert_status_from(row.text(9), "certs.status");
  r.not_after_ms = row.int64(10);
  r.filepath = row.text(11);
  r.replaced_by = row.optional_int64(12);
  r.revoked_at_ms = row.optional_int64(13);
  r.created_ms = row.int64(14);
  r.owner_keyid = row.optional_int64(15);
  return r;
}

template <typename Row>
KeyRecord key_from(Row& row)
{
  KeyRecord r;
  r.keynumber = row.int64(0);
  r.keytype = row.text(1);
  r.keylength = static_cast<int>(row.int64(2));
  r.alias = row.text(3);
  r.sealed_key = row.text(4);
  r.status = key_status_from(row.text(5), "keys.status");
  r.expiration_ms = row.int64(6);
  r.replaced_by = row.optional_int64(7);
  r.deviceid = row.text(8);
  r.created_ms = row.int64(9);
  r.owner_keyid = row.optional_int64(10);
  return r;
}

// Read the columns of table from row (a backend's row type) into cells, as a store copy
// moves them: integers in decimal, text and bytes as they are, NULL as nullopt.
template <typename RowType>
void read_cells(RowType& row, const TableSpec& table, Row& cells)
{
  cells.resize(table.columns.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const int col = static_cast<int>(i);
    if (row.is_null(col)) {
      cells[i].reset();
    } else if (table.columns[i].type == ColumnType::integer) {
      cells[i] = std::to_string(row.int64(col));
    } else {
      cells[i] = row.text(col);
    }
  }
}

// The fleet's reports, one SQL text for every backend: placeholder(i) writes parameter
// i (1-based; "?1" or "$1"), used again where a text names it twice. Their rows are
// read by credential_from.
//
// expiring_credentials_sql: parameters by_ms, after.at_ms, after.keynumber, limit.
std::string expiring_credentials_sql(const std::function<std::string(int)>& placeholder);
// due_credentials_sql: parameters group (text or NULL), now_ms, after.at_ms,
// after.keynumber, limit.
std::string due_credentials_sql(const std::function<std::string(int)>& placeholder);
// expiry_count_sql: the valid device credentials ending at or before parameter 1.
std::string expiry_count_sql(const std::function<std::string(int)>& placeholder);
// issued_per_day_sql: rows (day, issued, rotated) from parameter 1 (ms) on.
std::string issued_per_day_sql(const std::function<std::string(int)>& placeholder);
// device_counts_sql: rows (state, count); the state "expired" counts valid devices whose
// registration ended at or before parameter 1.
std::string device_counts_sql(const std::function<std::string(int)>& placeholder);
// credential_counts_sql: rows (kind, state, count): each kind's rows by stored status,
// and under "expired" its valid ones whose end is at or before parameter 1 (counted in
// "valid" too: disjoint_states takes them out).
std::string credential_counts_sql(const std::function<std::string(int)>& placeholder);

// Return the rows of credential_counts_sql as Store::credential_counts answers them:
// each kind's "expired" taken out of its "valid", states with no row left out.
std::vector<StateCount> disjoint_states(std::vector<StateCount> rows);

// The columns of a group (group_from), and every group with its device count after them,
// counted in one pass.
inline constexpr const char* k_group_columns = "g.name, g.rotate_days, g.renew_days, g.created_ms";
inline constexpr const char* k_groups_counted =
  "SELECT g.name, g.rotate_days, g.renew_days, g.created_ms, COUNT(d.deviceid) FROM device_groups g "
  "LEFT JOIN devices d ON d.group_name = g.name GROUP BY g.name, g.rotate_days, g.renew_days, g.created_ms";
inline constexpr const char* k_group_size = "SELECT COUNT(*) FROM devices WHERE group_name = ";

template <typename Row>
GroupRecord group_from(Row& row)
{
  GroupRecord r;
  r.name = row.text(0);
  r.rotate_days = row.optional_int64(1);
  r.renew_days = row.optional_int64(2);
  r.created_ms = row.int64(3);
  return r;
}

template <typename Row>
CredentialRecord credential_from(Row& row)
{
  CredentialRecord r;
  r.devicename = row.text(0);
  r.deviceid = row.text(1);
  r.group = row.text(2);
  r.kind = row.text(3) == "key" ? CredentialKind::key : CredentialKind::certificate;
  r.keynumber = row.int64(4);
  r.name = row.text(5);
  r.expires_ms = row.int64(6);
  r.due_ms = row.int64(7);
  return r;
}

inline constexpr const char* k_crl_columns = "catype, number, revoked_digest, this_update_ms, pem";

template <typename Row>
CrlRecord crl_from(Row& row)
{
  CrlRecord r;
  r.catype = row.text(0);
  r.number = row.int64(1);
  r.revoked_digest = row.text(2);
  r.this_update_ms = row.int64(3);
  r.pem = row.text(4);
  return r;
}

template <typename Row>
EventRecord event_from(Row& row)
{
  EventRecord e;
  e.id = row.int64(0);
  e.deviceid = row.text(1);
  e.api = row.text(2);
  e.mode = row.text(3);
  e.keynumber = row.optional_int64(4);
  e.filepath = row.text(5);
  e.at_ms = row.int64(6);
  e.keyid = row.optional_int64(7);
  e.actor = row.text(8);
  return e;
}

}  // namespace clm::server
