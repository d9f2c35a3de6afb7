// The store for several servers sharing one database: PostgreSQL through libpq, a pool
// of connections, issuance in SERIALIZABLE transactions run again on a serialization
// failure, reads in READ COMMITTED with their commit deferred (synchronous_commit off).
#pragma once

#include "store.hpp"

#include <memory>
#include <string>
#include <vector>

namespace clm::server {

class PgConnection;
class PgPool;
class EventQueue;
class PgChangeWatcher;

class PostgresStore final : public Store {
public:
  // Connect to the database conninfo names (a postgresql:// URI or key=value words;
  // the password from PGPASSFILE or ~/.pgpass, never from here) with a pool of up to
  // pool_size connections, and bring its schema to this build's version
  // (Error(bad_file_format) for a newer one). StoreError 1601 when it cannot connect.
  PostgresStore(std::string conninfo, std::size_t pool_size);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  // A connection for each of n requests at once, and one to spare.
  void set_concurrency(std::size_t n) override;
  const std::vector<int>& migrations_applied() const override { return m_applied; }

  bool initialized() override;
  void initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs) override;
  std::optional<StoredKeyPair> key_pair(const std::string& name) override;
  IdRecord create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal) override;
  std::optional<IdRecord> find_id(std::int64_t keyid) override;
  std::vector<IdRecord> valid_ids(std::int64_t now_ms) override;
  void set_id_status(std::int64_t keyid, Status status) override;
  void check_health() override;
  using Store::transaction;
  void transaction(const std::function<void()>& body, Durability durability) override;
  std::int64_t next_number(Counter counter) override;
  std::int64_t allocate_keynumber(const std::string& kind) override;
  DeviceRecord create_device(const DeviceRecord& fields,
                             const std::function<std::string(const std::string&)>& seal) override;
  std::optional<DeviceRecord> find_device_by_name(const std::string& devicename) override;
  void update_device(const DeviceRecord& r) override;
  bool claim_device(const std::string& deviceid, std::int64_t keyid) override;
  bool add_fleet_grant(std::int64_t keyid, std::int64_t now_ms) override;
  bool remove_fleet_grant(std::int64_t keyid) override;
  bool has_fleet_grant(std::int64_t keyid) override;
  std::vector<FleetGrant> fleet_grants() override;
  bool serial_exists(const std::string& serial) override;
  void insert_certificate(const CertRecord& r) override;
  std::optional<CertRecord> find_certificate(std::int64_t keynumber) override;
  std::optional<CertRecord> find_certificate_by_serial(const std::string& serial) override;
  std::optional<CertRecord> find_ca_certificate(const std::string& ca_name) override;
  void update_certificate(const CertRecord& r) override;
  std::vector<CertRecord> revoked_certificates(const std::string& catype) override;
  std::vector<DeviceRecord> search_devices(const DeviceFilter& filter) override;
  void flush_events() override;
  void put_group(const GroupRecord& g) override;
  std::optional<GroupRecord> find_group(const std::string& name) override;
  std::int64_t group_size(const std::string& name) override;
  std::vector<GroupRecord> groups() override;
  void delete_group(const std::string& name) override;
  std::vector<CredentialRecord> expiring_credentials(std::int64_t by_ms, const CredentialCursor& after,
                                                     std::size_t limit) override;
  std::vector<CredentialRecord> due_credentials(std::int64_t now_ms, const std::optional<std::string>& group,
                                                const CredentialCursor& after, std::size_t limit) override;
  std::vector<std::pair<std::string, std::int64_t>> device_counts(std::int64_t now_ms) override;
  std::vector<StateCount> credential_counts(std::int64_t now_ms) override;
  ExpiryCounts expiry_counts(const std::vector<std::int64_t>& limits_ms) override;
  std::vector<DayCount> issued_per_day(std::int64_t from_ms) override;
  std::vector<CertRecord> valid_certificates_of_device(const std::string& deviceid) override;
  std::vector<KeyRecord> valid_keys_of_device(const std::string& deviceid) override;
  void insert_key(const KeyRecord& r) override;
  std::optional<KeyRecord> find_key(std::int64_t keynumber) override;
  std::optional<KeyRecord> find_latest_key_by_alias(const std::string& alias,
                                                    const std::optional<std::string>& deviceid, const KeyScope& scope,
                                                    std::int64_t now_ms, IncludeExpired expired) override;
  void update_key(const KeyRecord& r) override;
  void bind_key(std::int64_t keynumber, const std::string& deviceid, const std::string& filepath) override;
  std::optional<std::string> find_binding(std::int64_t keynumber, const std::string& deviceid) override;
  std::vector<std::optional<DeviceKeyRecord>> find_keys_for_device(
    const std::string& deviceid, const std::vector<std::int64_t>& keynumbers) override;
  std::vector<std::int64_t> valid_keynumbers_of_device(const std::string& deviceid, const KeyScope& scope,
                                                       std::int64_t now_ms) override;
  void prefetch_devices(const std::vector<std::string>& devicenames) override;
  void prefetch_device_key(const std::string& devicename, std::int64_t keynumber, const std::string& deviceid) override;
  void prefetch_valid_keynumbers(const std::vector<std::string>& deviceids, const KeyScope& scope,
                                 std::int64_t now_ms) override;
  void prefetch_keys_for_devices(
    const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& wanted) override;
  std::optional<CrlRecord> latest_crl(const std::string& catype) override;
  void publish_crl(const CrlRecord& crl) override;
  void scan_table(const TableSpec& table, const std::function<void(const Row&)>& row) override;
  void insert_rows(const TableSpec& table, const std::vector<Row>& rows) override;
  void defer_constraints() override;
  std::int64_t counter_value(Counter counter) override;
  void set_counter(Counter counter, std::int64_t last) override;
  void announce_changes(const std::string& names) override;
  bool watch_changes(std::function<void(const ChangeNotice&)> notice) override;
  void record_event(const EventRecord& e) override;
  std::vector<EventRecord> device_events(const std::string& deviceid) override;
  std::vector<EventRecord> newest_device_events(const std::string& deviceid, std::size_t n) override;

private:
  // The events of deviceid in order, or the newest n of them.
  std::vector<EventRecord> events_of(const std::string& deviceid, std::optional<std::size_t> newest);
  class Use;
  // The event queue's work: insert what reads queued, on a pooled connection.
  void write_queued_events();
  const std::string m_conninfo;
  std::unique_ptr<PgPool> m_pool;
  std::unique_ptr<EventQueue> m_events;  // after m_pool: stopped (and written) first
  std::vector<int> m_applied;
  std::string m_channel;  // of change notices: "clm:" and the schema the store is in
  std::string m_origin;   // the first word of this store's notices, which it does not deliver
  std::unique_ptr<PgChangeWatcher> m_watcher;  // last: stopped first
};

}  // namespace clm::server
