// The embedded default store: one SQLite file in WAL mode. Each thread reads on a
// connection of its own, concurrently; writing transactions take turns; a durable commit
// is synced after it, outside the lock, so that concurrent ones share one fdatasync.
#pragma once

#include "store.hpp"

#include <clm/util/fd.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <sys/types.h>

struct sqlite3;

namespace clm::server {

class EventQueue;

class SqliteStore final : public Store {
public:
  // Open (creating if needed, mode 0600) the database at path and bring its schema to
  // this build's version (Error(bad_file_format) for a newer one).
  explicit SqliteStore(std::filesystem::path path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  std::optional<CrlRecord> latest_crl(const std::string& catype) override;
  void publish_crl(const CrlRecord& crl) override;
  void scan_table(const TableSpec& table, const std::function<void(const Row&)>& row) override;
  void insert_rows(const TableSpec& table, const std::vector<Row>& rows) override;
  void defer_constraints() override;
  std::int64_t counter_value(Counter counter) override;
  void set_counter(Counter counter, std::int64_t last) override;
  void record_event(const EventRecord& e) override;
  std::vector<EventRecord> device_events(const std::string& deviceid) override;
  std::vector<EventRecord> newest_device_events(const std::string& deviceid, std::size_t n) override;

  const std::vector<int>& migrations_applied() const override { return m_applied; }

  struct Connection;  // one thread's (public for the thread-local table of connections)

private:
  // The events of deviceid in order, or the newest n of them.
  std::vector<EventRecord> events_of(const std::string& deviceid, std::optional<std::size_t> newest);
  // Return this thread's connection to the database, opened at its first use.
  Connection& connection();
  // Run body as a read on c (no write lock, no commit to sync); return false, having
  // rolled it back, when it tried to change something.
  bool read_transaction(Connection& c, const std::function<void()>& body);
  // Run body as a writing transaction on c, durability as transaction() says.
  void write_transaction(Connection& c, const std::function<void()>& body, Durability durability);
  void insert_event(Connection& c, const EventRecord& e);
  // Run change on this thread's connection inside a transaction: the open one, else a
  // durable one of its own.
  void write(const std::function<void(Connection&)>& change);
  // Return once every commit up to number through is on disk: fdatasync of the WAL,
  // one at a time, each covering every commit made before it started.
  void sync_wal(std::uint64_t through);

  std::filesystem::path m_path;
  std::uint64_t m_serial;  // this store's key in each thread's table of connections
  std::vector<int> m_applied;
  dev_t m_device = 0;  // identity of the file opened, to notice it being replaced
  ino_t m_inode = 0;
  std::mutex m_connections_mutex;
  std::vector<std::unique_ptr<Connection>> m_connections;  // every thread's; guarded by m_connections_mutex
  // One writing transaction of this process at a time.
  std::mutex m_write_mutex;
  // Durable commits: the WAL's file, commits counted and synced (guarded by m_sync_mutex).
  util::UniqueFd m_wal_fd;
  std::mutex m_sync_mutex;
  std::condition_variable m_synced_cv;
  std::uint64_t m_commits = 0;
  std::uint64_t m_synced = 0;
  bool m_syncing = false;
  // Since when commits wait to be synced (guarded by m_sync_mutex).
  std::optional<std::chrono::steady_clock::time_point> m_unsynced_since;
  std::unique_ptr<EventQueue> m_events;  // last: destroyed first, while the rest is there
};

}  // namespace clm::server
