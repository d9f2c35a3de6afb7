#include "records.hpp"

#include <clm/error.hpp>

#include <array>
#include <chrono>
#include <string>
#include <utility>

namespace clm::server {

namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Status, 2> k_status{{{Status::valid, "valid"}, {Status::deleted, "deleted"}}};
constexpr Names<DeviceStatus, 3> k_device_status{
  {{DeviceStatus::valid, "valid"}, {DeviceStatus::disabled, "disabled"}, {DeviceStatus::deleted, "deleted"}}};
constexpr Names<CertKind, 3> k_cert_kind{{{CertKind::ca, "ca"}, {CertKind::client, "client"}, {CertKind::server, "server"}}};
constexpr Names<CertStatus, 3> k_cert_status{
  {{CertStatus::valid, "valid"}, {CertStatus::revoked, "revoked"}, {CertStatus::updated, "updated"}}};
constexpr Names<KeyStatus, 3> k_key_status{
  {{KeyStatus::valid, "valid"}, {KeyStatus::updated, "updated"}, {KeyStatus::deleted, "deleted"}}};

constexpr Names<Counter, 4> k_counter{{{Counter::keyid, "keyid"},
                                       {Counter::deviceid, "deviceid"},
                                       {Counter::keynumber, "keynumber"},
                                       {Counter::crl_number, "crl_number/ca1"}}};

template <typename E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value)
{
  for (const auto& [e, name] : names) {
    if (e == value) {
      return name;
    }
  }
  return names.front().second;  // unreachable: every enumerator is listed
}

template <typename E, std::size_t N>
E value_of(const Names<E, N>& names, std::string_view text, std::string_view column)
{
  for (const auto& [e, name] : names) {
    if (name == text) {
      return e;
    }
  }
  throw StoreError(1602, std::string(column) + ": '" + std::string(text.substr(0, 32)) + "' is no state this server knows");
}

}  // namespace

std::string_view status_name(Status s) { return name_of(k_status, s); }
std::string_view device_status_name(DeviceStatus s) { return name_of(k_device_status, s); }
std::string_view cert_kind_name(CertKind k) { return name_of(k_cert_kind, k); }
std::string_view cert_status_name(CertStatus s) { return name_of(k_cert_status, s); }
std::string_view key_status_name(KeyStatus s) { return name_of(k_key_status, s); }
std::string_view counter_name(Counter c) { return name_of(k_counter, c); }

Status status_from(std::string_view text, std::string_view column) { return value_of(k_status, text, column); }
DeviceStatus device_status_from(std::string_view text, std::string_view column)
{
  return value_of(k_device_status, text, column);
}
CertKind cert_kind_from(std::string_view text, std::string_view column) { return value_of(k_cert_kind, text, column); }
CertStatus cert_status_from(std::string_view text, std::string_view column)
{
  return value_of(k_cert_status, text, column);
}
KeyStatus key_status_from(std::string_view text, std::string_view column)
{
  return value_of(k_key_status, text, column);
}

const std::vector<TableSpec>& copied_tables()
{
  constexpr ColumnType I = ColumnType::integer;
  constexpr ColumnType T = ColumnType::text;
  constexpr ColumnType B = ColumnType::bytes;
  static const std::vector<TableSpec> tables{
    {"meta", {{"key", T}, {"value", T}}, "key"},
    {"key_pairs", {{"name", T}, {"cert_pem", T}, {"sealed_key", B}}, "name"},
    {"ids", {{"keyid", I}, {"tenantid", T}, {"alias", T}, {"sealed_key", B}, {"status", T}, {"expiration", I}}, "keyid"},
    {"keynumbers", {{"keynumber", I}, {"kind", T}}, "keynumber"},
    {"device_groups", {{"name", T}, {"rotate_days", I}, {"renew_days", I}, {"created_ms", I}}, "name"},
    {"devices",
     {{"deviceid", T}, {"devicename", T}, {"sealed_key", B}, {"ipaddress", T}, {"macaddress", T}, {"ext_data", T},
      {"status", T}, {"created_ms", I}, {"owner_keyid", I}, {"expires_ms", I}, {"group_name", T}},
     "deviceid"},
    {"certs",
     {{"keynumber", I}, {"serial", T}, {"catype", T}, {"ca_name", T}, {"deviceid", T}, {"kind", T}, {"subject", T},
      {"cert_der", B}, {"sealed_key", B}, {"status", T}, {"not_after_ms", I}, {"filepath", T}, {"replaced_by", I},
      {"revoked_at_ms", I}, {"created_ms", I}},
     "keynumber"},
    {"keys",
     {{"keynumber", I}, {"keytype", T}, {"keylength", I}, {"alias", T}, {"sealed_key", B}, {"status", T},
      {"expiration_ms", I}, {"replaced_by", I}, {"deviceid", T}, {"created_ms", I}},
     "keynumber"},
    {"key_bindings", {{"keynumber", I}, {"deviceid", T}, {"filepath", T}}, "keynumber, deviceid"},
    {"events",
     {{"id", I}, {"deviceid", T}, {"api", T}, {"mode", T}, {"keynumber", I}, {"filepath", T}, {"at_ms", I},
      {"keyid", I}, {"actor", T}},
     "id"},
    {"fleet_grants", {{"keyid", I}, {"granted_ms", I}}, "keyid"},
    {"crls", {{"catype", T}, {"number", I}, {"revoked_digest", T}, {"this_update_ms", I}, {"pem", T}}, "catype, number"},
  };
  return tables;
}

std::string prefix_end(const std::string& prefix)
{
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) {
    end.pop_back();
  }
  if (!end.empty()) {
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  }
  return end;
}

std::string insert_statement(const TableSpec& table, const std::function<std::string(int)>& placeholder)
{
  std::string columns;
  std::string values;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    columns += (i ? ", " : "") + std::string(table.columns[i].name);
    values += (i ? ", " : "") + placeholder(static_cast<int>(i) + 1);
  }
  return "INSERT INTO " + std::string(table.name) + " (" + columns + ") VALUES (" + values + ")";
}

std::string select_statement(const TableSpec& table)
{
  std::string columns;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    columns += (i ? ", " : "") + std::string(table.columns[i].name);
  }
  return "SELECT " + columns + " FROM " + table.name + " ORDER BY " + table.order_by;
}

namespace {

// The days of a group's schedule in milliseconds, as BIGINT (a day's 86400000 times
// INTEGER days overflows 32 bits in PostgreSQL).
constexpr const char* k_day_ms_sql = "CAST(86400000 AS BIGINT)";

// Return SQL listing (devicename, deviceid, group, kind, keynumber, name, expires_ms,
// at_ms) for a device's valid keys and certificates, joined from `from` (which binds d to
// devices, k or c to the credential), where `where` holds, at_ms being `at`; each part
// in (at_ms, keynumber) order after the cursor (at, n) and at most `limit`, then merged.
std::string credential_union(const std::string& key_from, const std::string& key_where, const std::string& key_at,
                             const std::string& cert_from, const std::string& cert_where, const std::string& cert_at,
                             const std::string& cursor_at, const std::string& cursor_n, const std::string& limit)
{
  auto part = [&](const char* kind, const char* alias, const std::string& from, const std::string& where,
                  const std::string& at, const char* expires, const char* t) {
    return "SELECT * FROM (SELECT d.devicename, d.deviceid, COALESCE(d.group_name, '') AS group_name, '"
           + std::string(kind) + "' AS kind, " + t + ".keynumber AS keynumber, " + t + "." + alias + " AS name, " + t
           + "." + expires + " AS expires_ms, " + at + " AS at_ms FROM " + from + " WHERE " + where + " AND (" + at
           + ", " + t + ".keynumber) > (" + cursor_at + ", " + cursor_n + ") ORDER BY " + at + ", " + t
           + ".keynumber LIMIT " + limit + ") AS " + t + "_part";
  };
  return part("key", "alias", key_from, key_where, key_at, "expiration_ms", "k") + " UNION ALL "
         + part("certificate", "serial", cert_from, cert_where, cert_at, "not_after_ms", "c")
         + " ORDER BY at_ms, keynumber LIMIT " + limit;
}

}  // namespace

std::string expiring_credentials_sql(const std::function<std::string(int)>& p)
{
  const std::string by = "CAST(" + p(1) + " AS BIGINT)";
  return credential_union("keys k JOIN devices d ON d.deviceid = k.deviceid",
                          "k.status = 'valid' AND k.expiration_ms <= " + by, "k.expiration_ms",
                          "certs c JOIN devices d ON d.deviceid = c.deviceid",
                          "c.status = 'valid' AND c.deviceid IS NOT NULL AND c.not_after_ms <= " + by,
                          "c.not_after_ms", "CAST(" + p(2) + " AS BIGINT)", "CAST(" + p(3) + " AS BIGINT)",
                          "CAST(" + p(4) + " AS BIGINT)");
}

std::string due_credentials_sql(const std::function<std::string(int)>& p)
{
  const std::string group = "CAST(" + p(1) + " AS TEXT)";
  const std::string now = "CAST(" + p(2) + " AS BIGINT)";
  const std::string in_groups = "device_groups g JOIN devices d ON d.group_name = g.name AND d.status = 'valid' JOIN ";
  const std::string key_due = "k.created_ms + g.rotate_days * " + std::string(k_day_ms_sql);
  const std::string cert_due = "c.not_after_ms - g.renew_days * " + std::string(k_day_ms_sql);
  return credential_union(in_groups + "keys k ON k.deviceid = d.deviceid AND k.status = 'valid'",
                          "g.rotate_days IS NOT NULL AND (" + group + " IS NULL OR g.name = " + group + ") AND "
                            + key_due + " <= " + now,
                          key_due, in_groups + "certs c ON c.deviceid = d.deviceid AND c.status = 'valid'",
                          "g.renew_days IS NOT NULL AND (" + group + " IS NULL OR g.name = " + group + ") AND "
                            + cert_due + " <= " + now,
                          cert_due, "CAST(" + p(3) + " AS BIGINT)", "CAST(" + p(4) + " AS BIGINT)",
                          "CAST(" + p(5) + " AS BIGINT)");
}

std::string expiry_count_sql(const std::function<std::string(int)>& p)
{
  const std::string by = "CAST(" + p(1) + " AS BIGINT)";
  return "SELECT (SELECT COUNT(*) FROM keys WHERE status = 'valid' AND expiration_ms <= " + by
         + ") + (SELECT COUNT(*) FROM certs WHERE status = 'valid' AND deviceid IS NOT NULL AND not_after_ms <= " + by
         + ")";
}

std::string issued_per_day_sql(const std::function<std::string(int)>& p)
{
  const std::string from = "CAST(" + p(1) + " AS BIGINT)";
  const std::string day = std::string(k_day_ms_sql);
  return "SELECT day, COUNT(*), SUM(rotated) FROM ("
         "SELECT k.created_ms / " + day + " AS day, CASE WHEN EXISTS (SELECT 1 FROM keys o WHERE o.replaced_by = "
         "k.keynumber) THEN 1 ELSE 0 END AS rotated FROM keys k WHERE k.created_ms >= " + from +
         " UNION ALL SELECT c.created_ms / " + day + ", CASE WHEN EXISTS (SELECT 1 FROM certs o WHERE o.replaced_by = "
         "c.keynumber) THEN 1 ELSE 0 END FROM certs c WHERE c.deviceid IS NOT NULL AND c.created_ms >= " + from +
         ") AS issued GROUP BY day ORDER BY day";
}

std::string device_counts_sql(const std::function<std::string(int)>& p)
{
  return "SELECT status, COUNT(*) FROM devices GROUP BY status UNION ALL SELECT 'expired', COUNT(*) FROM devices "
         "WHERE status = 'valid' AND expires_ms <= CAST(" + p(1) + " AS BIGINT)";
}

std::string credential_counts_sql(const std::function<std::string(int)>& p)
{
  const std::string now = "CAST(" + p(1) + " AS BIGINT)";
  // Each table twice, both times along an index (no row is read at 100,000 devices):
  // its rows by status, then its valid ones past their end.
  const auto part = [&](const char* kind, const char* table, const char* where, const std::string& expired) {
    return "SELECT CAST('" + std::string(kind) + "' AS TEXT) AS kind, status AS state, COUNT(*) AS n FROM " + table
           + (*where ? " WHERE " + std::string(where) : "") + " GROUP BY status UNION ALL SELECT '" + kind
           + "', 'expired', " + expired;
  };
  return part("certificate", "certs", "deviceid IS NOT NULL",
              "COUNT(*) FROM certs WHERE deviceid IS NOT NULL AND status = 'valid' AND not_after_ms <= " + now)
         + " UNION ALL "
         + part("key", "keys", "", "COUNT(*) FROM keys WHERE status = 'valid' AND expiration_ms <= " + now)
         + " UNION ALL "
         // Few devices have an expiry: the status test inside the count keeps the search on
         // the index of expiries rather than on that of states.
         + part("device", "devices", "",
                "COUNT(CASE WHEN status = 'valid' THEN 1 END) FROM devices WHERE expires_ms <= " + now)
         + " UNION ALL " + part("id", "ids", "", "COUNT(*) FROM ids WHERE status = 'valid' AND expiration <= " + now);
}

std::vector<StateCount> disjoint_states(std::vector<StateCount> rows)
{
  for (const StateCount& expired : rows) {
    if (expired.state != "expired") {
      continue;
    }
    for (StateCount& valid : rows) {
      if (valid.kind == expired.kind && valid.state == "valid") {
        valid.count -= expired.count;
      }
    }
  }
  std::erase_if(rows, [](const StateCount& c) { return c.count == 0; });
  return rows;
}

void refuse_newer_schema(const std::string& where, int version)
{
  throw Error(ExitCode::bad_file_format, where + ": the store's schema is version " + std::to_string(version)
                                           + ", newer than this clm-server knows (" + std::to_string(k_schema_version)
                                           + "); run a newer clm-server");
}

std::int64_t wall_clock_ms()
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

}  // namespace clm::server
