// The server's persistent store, behind an interface so SQLite (the embedded
// default) and PostgreSQL (for several servers sharing one database) both fit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace clm::server {

// A store failure: errorcode 1601 (cannot reach the database) or 1602 (access failed).
class StoreError : public std::runtime_error {
public:
  StoreError(int errorcode, const std::string& message) : std::runtime_error(message), m_errorcode(errorcode) {}
  int errorcode() const { return m_errorcode; }

private:
  int m_errorcode;
};

enum class Status { valid, deleted };

// The state of a device: valid; disabled by an operator (every request for it is
// refused, 1704, until it is enabled again); deleted (1706, its certificates revoked and
// its keys deleted; the name stays taken).
enum class DeviceStatus { valid, disabled, deleted };

struct IdRecord {
  std::int64_t keyid = 0;
  std::string tenantid;
  std::string alias;
  std::string sealed_key;  // the password, sealed with the master key
  Status status = Status::valid;
  std::int64_t expiration_ms = 0;
};

// A certificate with its sealed private key (the CA pair and the TLS pair).
struct StoredKeyPair {
  std::string cert_pem;
  std::string sealed_key;
};

// Return the associated data the sealed key of the key pair name is bound to.
inline std::string key_pair_associated_data(const std::string& name)
{
  return "key_pairs/" + name;
}

// A device credentials were issued to, registered at its first issuance.
struct DeviceRecord {
  std::string deviceid;    // server-assigned, ten digits
  std::string devicename;  // unique
  std::string sealed_key;  // the devicekey, sealed with the master key
  std::string ipaddress;   // empty when never reported
  std::string macaddress;  // aa:bb:cc:dd:ee:ff, empty when never reported
  std::string ext_data = "{}";  // JSON object text
  DeviceStatus status = DeviceStatus::valid;
  std::int64_t created_ms = 0;
  // The ID that registered it; nullopt for a device registered before owners were
  // recorded ("unclaimed"): the first ID to act on it becomes its owner.
  std::optional<std::int64_t> owner_keyid;
  // When the registration expires (every request for it is then refused, 1705); nullopt:
  // never.
  std::optional<std::int64_t> expires_ms;
  std::string group;  // the device group it belongs to; empty: none
};

enum class CertKind { ca, client, server };
enum class CertStatus { valid, revoked, updated };

// A certificate the server issued (or one of its own CA certificates) under a key number.
struct CertRecord {
  std::int64_t keynumber = 0;
  std::string serial;                  // upper-case hex, as OpenSSL prints it
  std::string catype;                  // the CA that signed it: "CA" (CA certificates) or "ca1" (leaves)
  std::optional<std::string> ca_name;  // for CA certificates: their key pair ("CA", "ca1")
  std::optional<std::string> deviceid; // for leaves: the device it is bound to
  CertKind kind = CertKind::client;
  std::string subject;                 // /C=../CN=.. as requested
  std::string cert_der;
  std::string sealed_key;              // leaf private key (PKCS#8 PEM) sealed; empty for CA certificates
  CertStatus status = CertStatus::valid;
  std::int64_t not_after_ms = 0;
  std::string filepath;                // where the device last said it keeps the certificate
  std::optional<std::int64_t> replaced_by;
  std::optional<std::int64_t> revoked_at_ms;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> owner_keyid;  // read only: the owner of the device it is bound to
};

enum class KeyStatus { valid, updated, deleted };

// A symmetric ("common") key the server issued, under a key number from the shared sequence.
struct KeyRecord {
  std::int64_t keynumber = 0;
  std::string keytype;                      // "AES" or "TWINE"
  int keylength = 0;                        // bits: 128/256 (AES), 80/128 (TWINE)
  std::string alias;
  std::string sealed_key;                   // the key, sealed with the master key; empty once deleted
  KeyStatus status = KeyStatus::valid;
  std::int64_t expiration_ms = 0;
  std::optional<std::int64_t> replaced_by;  // the key an update put in its place
  std::string deviceid;                     // the device that created it
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> owner_keyid;  // read only: the owner of that device, whose key it is
};

// Whose keys a lookup may find: a key belongs to the ID owning the device that created it.
struct KeyScope {
  std::optional<std::int64_t> owner;  // nullopt: every ID's keys (a fleet read)

  // Return the scope of the keys of ID keyid.
  static KeyScope of(std::int64_t keyid) { return KeyScope{keyid}; }
  // Return the scope of every key (an ID holding the fleet read grant).
  static KeyScope fleet() { return KeyScope{std::nullopt}; }
  // Return whether key (as a lookup returned it, with its owner) is in this scope.
  bool covers(const KeyRecord& key) const { return !owner || key.owner_keyid == owner; }
};

// Which devices an operator's search wants: each set field narrows it. Devices come in
// devicename order (bytewise), those after `after`, at most limit.
struct DeviceFilter {
  std::string prefix;                       // devicename starts with it
  std::optional<DeviceStatus> status;
  std::optional<std::string> group;         // "" : in no group
  std::optional<std::int64_t> expires_by_ms;  // a registration expiry at or before it
  std::string after;                        // the last devicename of the page before
  std::size_t limit = 100;
};

// A group of devices and its schedule: symmetric keys are due for rotation rotate_days
// after they were issued, certificates due for renewal renew_days before they end
// (nullopt: no such schedule).
struct GroupRecord {
  std::string name;
  std::optional<std::int64_t> rotate_days;
  std::optional<std::int64_t> renew_days;
  std::int64_t created_ms = 0;
  std::int64_t devices = 0;  // read only, by groups() and group_size(): how many devices are in it
};

enum class CredentialKind { key, certificate };

// A device's valid key or certificate, as the fleet's reports list it.
struct CredentialRecord {
  std::string devicename;
  std::string deviceid;
  std::string group;  // of the device; empty: none
  CredentialKind kind = CredentialKind::key;
  std::int64_t keynumber = 0;
  std::string name;  // a key's alias, a certificate's serial
  std::int64_t expires_ms = 0;
  std::int64_t due_ms = 0;  // when its group's schedule makes it due (due_credentials only)
};

// Where a page of credentials ends: the next page starts after (at_ms, keynumber), at_ms
// being the expiry (expiring_credentials) or the due time (due_credentials).
struct CredentialCursor {
  std::int64_t at_ms = 0;
  std::int64_t keynumber = 0;
};

// How many credentials expire by each of several times: counts[i] of the valid device
// certificates and valid keys whose end is at or before limits_ms[i].
struct ExpiryCounts {
  std::vector<std::int64_t> limits_ms;
  std::vector<std::int64_t> counts;
  std::int64_t total = 0;  // every valid device certificate and valid key
};

// What was issued on one UTC day (day: days since 1970): keys and device certificates,
// and of them those that replaced another (an update).
struct DayCount {
  std::int64_t day = 0;
  std::int64_t issued = 0;
  std::int64_t rotated = 0;
};

// How many records of one kind are in one state (Store::credential_counts).
struct StateCount {
  std::string kind;   // "certificate" (device certificates, not the CA's), "key", "device", "id"
  std::string state;  // the stored status, or "expired" for a valid one whose end has passed
  std::int64_t count = 0;
};

// An operator's grant letting one ID read every device's keys (getlist, getkeylist).
struct FleetGrant {
  std::int64_t keyid = 0;
  std::int64_t granted_ms = 0;
};

// A key a device asked for by number, and whether that device is bound to it.
struct DeviceKeyRecord {
  KeyRecord key;
  bool bound = false;
};

// Whether an alias lookup may return keys whose expiration has passed.
enum class IncludeExpired { yes, no };

// One successful API call against a device (the audit trail).
struct EventRecord {
  std::int64_t id = 0;  // assigned by the store
  std::string deviceid;
  std::string api;      // "CredInfo", "KeyInfo"
  std::string mode;     // "create", "get", ...
  std::optional<std::int64_t> keynumber;
  std::string filepath;
  std::int64_t at_ms = 0;
  std::optional<std::int64_t> keyid;  // the ID that made the call; nullopt in events older than the column
  std::string actor;  // who made a change no ID made: "admin" (the operator's license key); else empty
};

// The numbers the store hands out: IDs, devices, key numbers (certificates and keys
// share one), and the numbers of the CRLs signed.
enum class Counter { keyid, deviceid, keynumber, crl_number };

// A CRL as published: every server sharing the store answers the latest one, so
// they all answer the same CRL.
struct CrlRecord {
  std::string catype;
  std::int64_t number = 0;
  std::string revoked_digest;  // of the revoked serials and dates it lists
  std::int64_t this_update_ms = 0;
  std::string pem;
};

// What a store copy (clm-server migrate --from --to) moves: tables by name, their
// columns with the type each holds, and the order rows are read in (which the digests
// of the copy follow).
enum class ColumnType { integer, text, bytes };
struct ColumnSpec {
  const char* name;
  ColumnType type;
};
struct TableSpec {
  const char* name;
  std::vector<ColumnSpec> columns;
  const char* order_by;
};
// One value of a row in a copy: NULL, or an integer in decimal, or text or bytes.
using Cell = std::optional<std::string>;
using Row = std::vector<Cell>;

// When a commit reaches the disk. Issuance (create, update, revoke, delete) is answered
// only once durable. What a read writes (its audit event, a binding) may be deferred:
// the commit is visible and survives the process being killed at once, and reaches the
// disk with the next durable commit, or within about a second under load; only a power
// loss or kernel crash before then loses it.
enum class Durability { full, deferred };

// What another process sharing a store changed, as a cache in front of it hears it:
// the names of the changed rows (see CachedStore), or nullopt when notices stopped
// arriving and changes may have been missed (the cache forgets everything and waits
// for the next notice, which the store sends once it listens again).
using ChangeNotice = std::optional<std::vector<std::string>>;

class Store {
public:
  virtual ~Store() = default;

  // Let up to n requests use the store at once (a server: one per worker thread).
  virtual void set_concurrency(std::size_t n) { (void)n; }

  // Return the schema migrations opening the store applied, by version.
  virtual const std::vector<int>& migrations_applied() const = 0;

  // Return whether the store holds a completed initialization.
  virtual bool initialized() = 0;

  // Save the named key pairs and mark the store initialized, in one transaction.
  virtual void initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs) = 0;

  // Return the named key pair, or nullopt.
  virtual std::optional<StoredKeyPair> key_pair(const std::string& name) = 0;

  // Insert a new ID; seal(keyid) gives the sealed password bound to the number it gets.
  // Return the stored record.
  virtual IdRecord create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal) = 0;

  // Return the ID with this number, or nullopt.
  virtual std::optional<IdRecord> find_id(std::int64_t keyid) = 0;

  // Return every ID with status valid whose expiration is after now_ms.
  virtual std::vector<IdRecord> valid_ids(std::int64_t now_ms) = 0;

  // Set the status of an ID.
  virtual void set_id_status(std::int64_t keyid, Status status) = 0;

  // Check that the database is reachable and answers; throw StoreError otherwise.
  virtual void check_health() = 0;

  // Run body as one transaction: the store calls it makes commit together, or not at
  // all when it throws (the exception propagates). Transactions nest. The commit is
  // durable (on disk) before this returns; see Durability for the other kind.
  void transaction(const std::function<void()>& body) { transaction(body, Durability::full); }

  // Run body as transaction(body) does, its commit durable or deferred. A durable part
  // nested in a deferred transaction, or a change the store itself deems durable (a
  // device claimed), makes the whole commit durable.
  virtual void transaction(const std::function<void()>& body, Durability durability) = 0;

  // Return the next number of counter (1 for its first use): unique across every process
  // sharing the store, and increasing. One taken by a transaction that rolls back may be
  // skipped (PostgreSQL) or given again (SQLite); a committed one is never given again.
  virtual std::int64_t next_number(Counter counter) = 0;

  // Allocate a key number (Counter::keynumber) and record what kind of thing holds it.
  virtual std::int64_t allocate_keynumber(const std::string& kind) = 0;

  // Insert a new device; the store assigns its deviceid, and seal(deviceid) gives the
  // sealed devicekey bound to it. Return the stored record.
  virtual DeviceRecord create_device(const DeviceRecord& fields,
                                     const std::function<std::string(const std::string&)>& seal) = 0;

  // Return the device with this name, or nullopt.
  virtual std::optional<DeviceRecord> find_device_by_name(const std::string& devicename) = 0;

  // Save what may change of the device r.deviceid: ipaddress, macaddress, ext_data,
  // status, expires_ms and group (which must name an existing group, or be empty).
  virtual void update_device(const DeviceRecord& r) = 0;

  // Make keyid the owner of device deviceid if it has none; return whether keyid owns it now.
  virtual bool claim_device(const std::string& deviceid, std::int64_t keyid) = 0;

  // Grant ID keyid the fleet read; return false when it held the grant already.
  virtual bool add_fleet_grant(std::int64_t keyid, std::int64_t now_ms) = 0;

  // Withdraw the fleet read grant of ID keyid; return false when it held none.
  virtual bool remove_fleet_grant(std::int64_t keyid) = 0;

  // Return whether ID keyid holds the fleet read grant.
  virtual bool has_fleet_grant(std::int64_t keyid) = 0;

  // Return every fleet read grant, by keyid.
  virtual std::vector<FleetGrant> fleet_grants() = 0;

  // Return whether a certificate with this serial exists.
  virtual bool serial_exists(const std::string& serial) = 0;

  // Insert a certificate under a key number allocate_keynumber returned.
  virtual void insert_certificate(const CertRecord& r) = 0;

  // Return the certificate with this key number, or nullopt.
  virtual std::optional<CertRecord> find_certificate(std::int64_t keynumber) = 0;

  // Return the certificate with this serial (normalized upper-case hex), or nullopt.
  virtual std::optional<CertRecord> find_certificate_by_serial(const std::string& serial) = 0;

  // Return the CA certificate of the key pair name ("CA", "ca1"), or nullopt.
  virtual std::optional<CertRecord> find_ca_certificate(const std::string& ca_name) = 0;

  // Save the status, filepath, replaced_by and revoked_at_ms of certificate r.keynumber.
  virtual void update_certificate(const CertRecord& r) = 0;

  // Return every revoked certificate signed by catype, oldest revocation first.
  virtual std::vector<CertRecord> revoked_certificates(const std::string& catype) = 0;

  // Return the devices filter wants (see DeviceFilter).
  virtual std::vector<DeviceRecord> search_devices(const DeviceFilter& filter) = 0;

  // Save group g (create it, or change the schedule of the one named so, keeping its
  // created_ms).
  virtual void put_group(const GroupRecord& g) = 0;

  // Return the group named name (its devices not counted: 0), or nullopt.
  virtual std::optional<GroupRecord> find_group(const std::string& name) = 0;

  // Return how many devices are in the group named name.
  virtual std::int64_t group_size(const std::string& name) = 0;

  // Return every group with its device count, by name (bytewise).
  virtual std::vector<GroupRecord> groups() = 0;

  // Delete the group named name (which holds no devices).
  virtual void delete_group(const std::string& name) = 0;

  // Return the valid keys and certificates of devices whose end is at or before by_ms,
  // by (expires_ms, keynumber), those after `after`, at most limit.
  virtual std::vector<CredentialRecord> expiring_credentials(std::int64_t by_ms, const CredentialCursor& after,
                                                             std::size_t limit) = 0;

  // Return the valid keys and certificates of valid devices in groups (in group, when one
  // is given) that their group's schedule makes due at or before now_ms, by (due_ms,
  // keynumber), those after `after`, at most limit.
  virtual std::vector<CredentialRecord> due_credentials(std::int64_t now_ms, const std::optional<std::string>& group,
                                                        const CredentialCursor& after, std::size_t limit) = 0;

  // Return how many devices are in each state (by device_status_name), and how many valid
  // ones have a registration that expired at or before now_ms (under "expired").
  virtual std::vector<std::pair<std::string, std::int64_t>> device_counts(std::int64_t now_ms) = 0;

  // Return how many device certificates, keys, devices and IDs are in each state, one
  // COUNT per table and state. A valid one whose end (a certificate's not_after, a key's
  // or an ID's expiration, a device's registration expiry) is at or before now_ms counts
  // as "expired" instead, so a kind's states add up to its rows. States with no row are
  // left out.
  virtual std::vector<StateCount> credential_counts(std::int64_t now_ms) = 0;

  // Return how many valid device credentials end at or before each of limits_ms.
  virtual ExpiryCounts expiry_counts(const std::vector<std::int64_t>& limits_ms) = 0;

  // Return what was issued each UTC day from from_ms on, by day; days with none omitted.
  virtual std::vector<DayCount> issued_per_day(std::int64_t from_ms) = 0;

  // Return the valid certificates bound to device deviceid, by key number.
  virtual std::vector<CertRecord> valid_certificates_of_device(const std::string& deviceid) = 0;

  // Return the valid keys device deviceid created, by key number.
  virtual std::vector<KeyRecord> valid_keys_of_device(const std::string& deviceid) = 0;

  // Insert a key under a key number allocate_keynumber returned.
  virtual void insert_key(const KeyRecord& r) = 0;

  // Return the key with this key number, or nullopt.
  virtual std::optional<KeyRecord> find_key(std::int64_t keynumber) = 0;

  // Return the key with the largest key number among those in scope with status valid
  // carrying alias, bound to deviceid when one is given, and expiring after now_ms unless
  // expired is yes; or nullopt.
  virtual std::optional<KeyRecord> find_latest_key_by_alias(const std::string& alias,
                                                            const std::optional<std::string>& deviceid,
                                                            const KeyScope& scope, std::int64_t now_ms,
                                                            IncludeExpired expired) = 0;

  // Save the status, alias, replaced_by and sealed_key of key r.keynumber.
  virtual void update_key(const KeyRecord& r) = 0;

  // Record that device deviceid keeps key keynumber in filepath (replacing its earlier path).
  virtual void bind_key(std::int64_t keynumber, const std::string& deviceid, const std::string& filepath) = 0;

  // Return the file path device deviceid keeps key keynumber in, or nullopt when it is not bound.
  virtual std::optional<std::string> find_binding(std::int64_t keynumber, const std::string& deviceid) = 0;

  // Return, for each number of keynumbers in order, the key with that number (deleted
  // ones included) and whether deviceid is bound to it; nullopt where there is no key.
  virtual std::vector<std::optional<DeviceKeyRecord>> find_keys_for_device(
    const std::string& deviceid, const std::vector<std::int64_t>& keynumbers) = 0;

  // Return, in increasing order, the numbers of the keys in scope bound to deviceid whose
  // status is valid and whose expiration is after now_ms.
  virtual std::vector<std::int64_t> valid_keynumbers_of_device(const std::string& deviceid, const KeyScope& scope,
                                                               std::int64_t now_ms) = 0;

  // Hints, given inside a transaction: a store that pays a round trip per query may
  // load now, one query each, what the calls that follow will ask (find_device_by_name
  // of these names; valid_keynumbers_of_device of these devices with this scope and
  // time; find_keys_for_device of these devices and numbers; for one key get,
  // find_device_by_name, find_key and find_binding together). The answers of those
  // calls are the same with or without a hint; a change made in the transaction drops
  // what was loaded.
  virtual void prefetch_devices(const std::vector<std::string>& devicenames) { (void)devicenames; }
  virtual void prefetch_device_key(const std::string& devicename, std::int64_t keynumber, const std::string& deviceid)
  {
    (void)devicename, (void)keynumber, (void)deviceid;
  }
  virtual void prefetch_valid_keynumbers(const std::vector<std::string>& deviceids, const KeyScope& scope,
                                         std::int64_t now_ms)
  {
    (void)deviceids, (void)scope, (void)now_ms;
  }
  virtual void prefetch_keys_for_devices(const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& wanted)
  {
    (void)wanted;
  }

  // Return the CRL of catype with the largest number, or nullopt.
  virtual std::optional<CrlRecord> latest_crl(const std::string& catype) = 0;

  // Save a CRL (its number from next_number(Counter::crl_number)).
  virtual void publish_crl(const CrlRecord& crl) = 0;

  // For store copies: call row with every row of table, in its order.
  virtual void scan_table(const TableSpec& table, const std::function<void(const Row&)>& row) = 0;
  // For store copies: insert rows into table as they are (numbers included).
  virtual void insert_rows(const TableSpec& table, const std::vector<Row>& rows) = 0;
  // For store copies, inside a transaction: check foreign keys at its commit only.
  virtual void defer_constraints() = 0;
  // Return the last number counter gave (0: none yet).
  virtual std::int64_t counter_value(Counter counter) = 0;
  // Make counter continue after last.
  virtual void set_counter(Counter counter, std::int64_t last) = 0;

  // Change notices, for a cache in front of a store several processes write. Called
  // inside a transaction, announce_changes(names) tells every process watching the
  // store that the rows names name (CachedStore's invalidation names, space-separated)
  // changed, once the transaction commits. watch_changes(notice) starts delivering the
  // announcements of the other processes to notice, on a thread of the store's, and
  // returns true; a store that only this process writes while it serves (SQLite)
  // returns false and never calls notice.
  virtual void announce_changes(const std::string& names) { (void)names; }
  virtual bool watch_changes(std::function<void(const ChangeNotice&)> notice)
  {
    (void)notice;
    return false;
  }

  // Append an event to the audit trail.
  virtual void record_event(const EventRecord& e) = 0;

  // Write the audit events other requests queued (deferred) so far, so that a
  // transaction begun after this lists them; call outside a transaction.
  virtual void flush_events() {}

  // Return the events of a device, oldest first.
  virtual std::vector<EventRecord> device_events(const std::string& deviceid) = 0;

  // Return the newest n audit events of device deviceid, oldest first (what a device
  // that has made a million calls shows without reading them all).
  virtual std::vector<EventRecord> newest_device_events(const std::string& deviceid, std::size_t n) = 0;
};

}  // namespace clm::server
