// A read cache in front of a store, for what every get of a device reads: its ID, the
// device, the key or certificate asked for, and the key's binding. A repeated key get
// then reads nothing from the database, and a binding that did not change is not
// written. Everything else passes through.
//
// What it keeps is what the store returned: secrets stay sealed. It never answers
// from memory what the store would answer differently at that moment, within these
// rules:
//   - A transaction that writes, or one that must see the latest rows (durable ones:
//     issuance reads what it changes), reads the store from then on, never the cache.
//   - Each change through this object forgets the rows it touched once its transaction
//     ends (committed or not), before the caller answers; a row read from the store
//     while a change was under way is not kept (a generation count tells).
//   - When other processes write the store (PostgreSQL: several servers), the store
//     delivers their changes as notices (Store::watch_changes) and each forgets what it
//     names, so a change made through another server is seen here within the notice's
//     delivery (milliseconds). Without notices (the listening connection lost) the
//     cache holds nothing and is not used until they resume.
#pragma once

#include "store.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>

namespace clm::server {

class CachedStore final : public Store {
public:
  // Keep at most capacity rows of inner (ID, device, key, certificate and binding rows
  // count one each), least recently used forgotten first.
  CachedStore(std::unique_ptr<Store> inner, std::size_t capacity);
  ~CachedStore() override;
  CachedStore(const CachedStore&) = delete;
  CachedStore& operator=(const CachedStore&) = delete;

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t rows = 0;
    bool in_use = false;  // false while change notices are not arriving
  };
  Stats stats() const;

  void set_concurrency(std::size_t n) override { m_inner->set_concurrency(n); }
  const std::vector<int>& migrations_applied() const override { return m_inner->migrations_applied(); }
  bool initialized() override { return m_inner->initialized(); }
  void initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs) override;
  std::optional<StoredKeyPair> key_pair(const std::string& name) override { return m_inner->key_pair(name); }
  IdRecord create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal) override;
  std::optional<IdRecord> find_id(std::int64_t keyid) override;
  std::vector<IdRecord> valid_ids(std::int64_t now_ms) override { return m_inner->valid_ids(now_ms); }
  void set_id_status(std::int64_t keyid, Status status) override;
  void check_health() override { m_inner->check_health(); }
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
  bool has_fleet_grant(std::int64_t keyid) override { return m_inner->has_fleet_grant(keyid); }
  std::vector<FleetGrant> fleet_grants() override { return m_inner->fleet_grants(); }
  bool serial_exists(const std::string& serial) override { return m_inner->serial_exists(serial); }
  void insert_certificate(const CertRecord& r) override;
  std::optional<CertRecord> find_certificate(std::int64_t keynumber) override;
  std::optional<CertRecord> find_certificate_by_serial(const std::string& serial) override
  {
    return m_inner->find_certificate_by_serial(serial);
  }
  std::optional<CertRecord> find_ca_certificate(const std::string& ca_name) override
  {
    return m_inner->find_ca_certificate(ca_name);
  }
  void update_certificate(const CertRecord& r) override;
  std::vector<CertRecord> revoked_certificates(const std::string& catype) override
  {
    return m_inner->revoked_certificates(catype);
  }
  // Nothing cached holds a group's schedule, and a group is deleted only once no device
  // names it: group changes pass through.
  void put_group(const GroupRecord& g) override { m_inner->put_group(g); }
  std::optional<GroupRecord> find_group(const std::string& name) override { return m_inner->find_group(name); }
  std::int64_t group_size(const std::string& name) override { return m_inner->group_size(name); }
  std::vector<GroupRecord> groups() override { return m_inner->groups(); }
  void delete_group(const std::string& name) override { m_inner->delete_group(name); }
  std::vector<CredentialRecord> expiring_credentials(std::int64_t by_ms, const CredentialCursor& after,
                                                     std::size_t limit) override
  {
    return m_inner->expiring_credentials(by_ms, after, limit);
  }
  std::vector<CredentialRecord> due_credentials(std::int64_t now_ms, const std::optional<std::string>& group,
                                                const CredentialCursor& after, std::size_t limit) override
  {
    return m_inner->due_credentials(now_ms, group, after, limit);
  }
  std::vector<std::pair<std::string, std::int64_t>> device_counts(std::int64_t now_ms) override
  {
    return m_inner->device_counts(now_ms);
  }
  std::vector<StateCount> credential_counts(std::int64_t now_ms) override
  {
    return m_inner->credential_counts(now_ms);
  }
  ExpiryCounts expiry_counts(const std::vector<std::int64_t>& limits_ms) override
  {
    return m_inner->expiry_counts(limits_ms);
  }
  std::vector<DayCount> issued_per_day(std::int64_t from_ms) override { return m_inner->issued_per_day(from_ms); }
  std::vector<DeviceRecord> search_devices(const DeviceFilter& filter) override
  {
    return m_inner->search_devices(filter);
  }
  std::vector<CertRecord> valid_certificates_of_device(const std::string& deviceid) override
  {
    return m_inner->valid_certificates_of_device(deviceid);
  }
  std::vector<KeyRecord> valid_keys_of_device(const std::string& deviceid) override
  {
    return m_inner->valid_keys_of_device(deviceid);
  }
  void insert_key(const KeyRecord& r) override;
  std::optional<KeyRecord> find_key(std::int64_t keynumber) override;
  std::optional<KeyRecord> find_latest_key_by_alias(const std::string& alias, const std::optional<std::string>& deviceid,
                                                    const KeyScope& scope, std::int64_t now_ms,
                                                    IncludeExpired expired) override
  {
    return m_inner->find_latest_key_by_alias(alias, deviceid, scope, now_ms, expired);
  }
  void update_key(const KeyRecord& r) override;
  void bind_key(std::int64_t keynumber, const std::string& deviceid, const std::string& filepath) override;
  std::optional<std::string> find_binding(std::int64_t keynumber, const std::string& deviceid) override;
  std::vector<std::optional<DeviceKeyRecord>> find_keys_for_device(const std::string& deviceid,
                                                                   const std::vector<std::int64_t>& keynumbers) override
  {
    return m_inner->find_keys_for_device(deviceid, keynumbers);
  }
  std::vector<std::int64_t> valid_keynumbers_of_device(const std::string& deviceid, const KeyScope& scope,
                                                       std::int64_t now_ms) override
  {
    return m_inner->valid_keynumbers_of_device(deviceid, scope, now_ms);
  }
  void prefetch_devices(const std::vector<std::string>& devicenames) override { m_inner->prefetch_devices(devicenames); }
  void prefetch_device_key(const std::string& devicename, std::int64_t keynumber, const std::string& deviceid) override;
  void prefetch_valid_keynumbers(const std::vector<std::string>& deviceids, const KeyScope& scope,
                                 std::int64_t now_ms) override
  {
    m_inner->prefetch_valid_keynumbers(deviceids, scope, now_ms);
  }
  void prefetch_keys_for_devices(
    const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& wanted) override
  {
    m_inner->prefetch_keys_for_devices(wanted);
  }
  std::optional<CrlRecord> latest_crl(const std::string& catype) override { return m_inner->latest_crl(catype); }
  void publish_crl(const CrlRecord& crl) override;
  void scan_table(const TableSpec& table, const std::function<void(const Row&)>& row) override
  {
    m_inner->scan_table(table, row);
  }
  void insert_rows(const TableSpec& table, const std::vector<Row>& rows) override;
  void defer_constraints() override { m_inner->defer_constraints(); }
  std::int64_t counter_value(Counter counter) override { return m_inner->counter_value(counter); }
  void set_counter(Counter counter, std::int64_t last) override;
  void announce_changes(const std::string& names) override { m_inner->announce_changes(names); }
  void record_event(const EventRecord& e) override;
  std::vector<EventRecord> device_events(const std::string& deviceid) override
  {
    return m_inner->device_events(deviceid);
  }
  void flush_events() override { m_inner->flush_events(); }
  std::vector<EventRecord> newest_device_events(const std::string& deviceid, std::size_t n) override
  {
    return m_inner->newest_device_events(deviceid, n);
  }

private:
  struct Binding {
    std::string filepath;
  };
  using Value = std::variant<IdRecord, DeviceRecord, KeyRecord, CertRecord, Binding>;
  struct Entry {
    std::string name;   // "i<keyid>", "n<devicename>", "k<keynumber>", "c<keynumber>", "b<keynumber>:<deviceid>"
    std::string alias;  // a device's second name, "d<deviceid>" (what changes name); else empty
    Value value;
  };

  // The cache as a transaction of the calling thread sees it.
  bool readable() const;
  std::uint64_t read_generation() const;
  template <typename T>
  std::optional<T> lookup(const std::string& name);
  void remember(std::uint64_t generation, std::string name, std::string alias, Value value);
  template <typename T, typename Fetch>
  std::optional<T> read_through(const std::string& name, Fetch&& fetch);
  // Run change (a write to the inner store) as part of the calling thread's transaction,
  // or in one of its own when names must be forgotten; forget names once it ends.
  template <typename Change>
  auto write(std::vector<std::string> names, Change&& change) -> decltype(change());
  void forget(const std::vector<std::string>& names);
  void forget_all();
  void heard(const ChangeNotice& notice);
  void erase(std::list<Entry>::iterator it);  // m_mutex held

  std::unique_ptr<Store> m_inner;
  const std::size_t m_capacity;
  mutable std::mutex m_mutex;
  std::list<Entry> m_entries;                                              // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> m_index;     // by name and by alias
  std::atomic<std::uint64_t> m_generation{0};  // advanced by every forget, under m_mutex
  std::atomic<bool> m_in_use{true};
  std::atomic<std::uint64_t> m_hits{0};
  std::atomic<std::uint64_t> m_misses{0};
  bool m_shared = false;  // other processes write the store: changes are announced
};

}  // namespace clm::server
