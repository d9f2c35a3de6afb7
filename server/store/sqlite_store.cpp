#include "sqlite_store.hpp"

#include "event_queue.hpp"
#include "records.hpp"
#include "sqlite_db.hpp"

#include <clm/error.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/validate.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <limits>
#include <cstring>
#include <unordered_map>
#include <cstdio>
#include <iterator>
#include <vector>

namespace clm::server {

namespace {

// The schema as versioned migrations (records.hpp), each applied in the transaction
// that records it. A store made before schema_migrations existed is adopted at the
// version its columns show; version 1 creates only what is missing, so the tables of
// any earlier layout are completed.
constexpr Migration k_migrations[] = {
  {1, "IDs, devices, certificates, keys, bindings, events", R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS key_pairs (
  name       TEXT PRIMARY KEY,
  cert_pem   TEXT NOT NULL,
  sealed_key BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS ids (
  keyid      INTEGER PRIMARY KEY,
  tenantid   TEXT NOT NULL,
  alias      TEXT NOT NULL,
  sealed_key BLOB NOT NULL,
  status     TEXT NOT NULL,
  expiration INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sequences (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
-- One key number sequence for everything issued: certificates and symmetric keys.
CREATE TABLE IF NOT EXISTS keynumbers (
  keynumber INTEGER PRIMARY KEY AUTOINCREMENT,
  kind      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
  deviceid   TEXT PRIMARY KEY,
  devicename TEXT NOT NULL UNIQUE,
  sealed_key BLOB NOT NULL,
  ipaddress  TEXT NOT NULL DEFAULT '',
  macaddress TEXT NOT NULL DEFAULT '',
  ext_data   TEXT NOT NULL DEFAULT '{}',
  status     TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS certs (
  keynumber     INTEGER PRIMARY KEY REFERENCES keynumbers (keynumber),
  serial        TEXT NOT NULL UNIQUE,
  catype        TEXT NOT NULL,
  ca_name       TEXT UNIQUE,
  deviceid      TEXT REFERENCES devices (deviceid),
  kind          TEXT NOT NULL,
  subject       TEXT NOT NULL,
  cert_der      BLOB NOT NULL,
  sealed_key    BLOB NOT NULL,
  status        TEXT NOT NULL,
  not_after_ms  INTEGER NOT NULL,
  filepath      TEXT NOT NULL DEFAULT '',
  replaced_by   INTEGER REFERENCES certs (keynumber),
  revoked_at_ms INTEGER,
  created_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS certs_by_device ON certs (deviceid);
CREATE INDEX IF NOT EXISTS certs_by_status ON certs (catype, status);
-- Symmetric keys; rows are kept after deletion so that a number is never reused.
CREATE TABLE IF NOT EXISTS keys (
  keynumber     INTEGER PRIMARY KEY REFERENCES keynumbers (keynumber),
  keytype       TEXT NOT NULL,
  keylength     INTEGER NOT NULL,
  alias         TEXT NOT NULL,
  sealed_key    BLOB NOT NULL,
  status        TEXT NOT NULL,
  expiration_ms INTEGER NOT NULL,
  replaced_by   INTEGER REFERENCES keys (keynumber),
  deviceid      TEXT NOT NULL REFERENCES devices (deviceid),
  created_ms    INTEGER NOT NULL
);
-- Alias lookups want the largest valid number: one index walk, newest first.
CREATE INDEX IF NOT EXISTS keys_by_alias ON keys (alias, status, keynumber);
-- Which device keeps which key in which file: one row per key and device.
CREATE TABLE IF NOT EXISTS key_bindings (
  keynumber INTEGER NOT NULL REFERENCES keys (keynumber),
  deviceid  TEXT NOT NULL REFERENCES devices (deviceid),
  filepath  TEXT NOT NULL,
  PRIMARY KEY (keynumber, deviceid)
);
CREATE INDEX IF NOT EXISTS key_bindings_by_device ON key_bindings (deviceid, keynumber);
CREATE TABLE IF NOT EXISTS events (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  deviceid  TEXT NOT NULL REFERENCES devices (deviceid),
  api       TEXT NOT NULL,
  mode      TEXT NOT NULL,
  keynumber INTEGER REFERENCES keynumbers (keynumber),
  filepath  TEXT NOT NULL DEFAULT '',
  at_ms     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_device ON events (deviceid, id);
)sql"},
  {2, "device owners, the caller of each event, fleet read grants", R"sql(
-- The ID that registered the device; NULL: registered before owners were recorded.
ALTER TABLE devices ADD COLUMN owner_keyid INTEGER REFERENCES ids (keyid);
-- The ID that made the call; NULL in events older than the column.
ALTER TABLE events ADD COLUMN keyid INTEGER;
-- IDs an operator let read every device's keys (clm-server grant).
CREATE TABLE fleet_grants (
  keyid      INTEGER PRIMARY KEY REFERENCES ids (keyid),
  granted_ms INTEGER NOT NULL
);
)sql"},
  {3, "one counter scheme for key ids, device ids and key numbers; published CRLs", R"sql(
-- Every number the store hands out comes from sequences (PostgreSQL: a sequence each).
INSERT OR IGNORE INTO sequences (name, value) SELECT 'keyid', COALESCE(MAX(keyid), 0) FROM ids;
INSERT OR IGNORE INTO sequences (name, value)
  SELECT 'keynumber', MAX(COALESCE((SELECT MAX(keynumber) FROM keynumbers), 0),
                          COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'keynumbers'), 0));
-- The CRLs signed, the latest answered by every server sharing the store.
CREATE TABLE crls (
  catype         TEXT NOT NULL,
  number         INTEGER NOT NULL,
  revoked_digest TEXT NOT NULL,
  this_update_ms INTEGER NOT NULL,
  pem            TEXT NOT NULL,
  PRIMARY KEY (catype, number)
);
)sql"},
  {4, "device lifecycle: disabled devices, registration expiry, device groups, who changed a device", R"sql(
-- Groups of devices with a schedule: symmetric keys rotated every rotate_days, certificates
-- renewed within renew_days of their end (NULL: no such schedule).
CREATE TABLE device_groups (
  name        TEXT PRIMARY KEY,
  rotate_days INTEGER,
  renew_days  INTEGER,
  created_ms  INTEGER NOT NULL
);
-- When the registration ends (NULL: never) and the group (NULL: none).
ALTER TABLE devices ADD COLUMN expires_ms INTEGER;
ALTER TABLE devices ADD COLUMN group_name TEXT REFERENCES device_groups (name);
CREATE INDEX devices_by_group ON devices (group_name, devicename);
CREATE INDEX devices_by_status ON devices (status, devicename);
-- A deleted device's keys are found by their device.
CREATE INDEX keys_by_device ON keys (deviceid, status);
-- Who made a change that no ID made: 'admin' (the operator's license key), 'schedule'.
ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
)sql"},
  {5, "the fleet's reports: credentials by expiry and issuance, replacements, registration expiry",
   k_fleet_report_indexes},
};

static_assert(migrations_complete(k_migrations), "k_migrations must be numbered 1, 2, 3, ... k_schema_version");

// How long deferred commits may wait for a durable one while commits keep coming.
constexpr auto k_deferred_window = std::chrono::seconds(1);

// Write parameter i of a statement as "?i" (a number may appear twice in one text).
std::string sqlite_placeholder(int i)
{
  return "?" + std::to_string(i);
}

std::string select_certs(const char* where)
{
  return std::string("SELECT ") + k_cert_columns + " FROM certs " + where;
}

std::string select_keys(const char* where)
{
  return std::string("SELECT ") + k_key_columns + " FROM keys " + where;
}

// Return every row st steps through, each read with read (as PostgreSQL's all<>).
template <typename Read>
auto all_rows(SqliteStatement& st, Read read)
{
  std::vector<decltype(read(st))> out;
  while (st.step()) {
    out.push_back(read(st));
  }
  return out;
}

// Return whether the database holds a table named table.
bool has_table(SqliteStatementCache& cache, const std::string& table)
{
  SqliteStatement st(cache, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
  st.bind(1, table);
  return st.step();
}

// Return whether table has a column named column.
bool has_column(SqliteStatementCache& cache, const std::string& table, const std::string& column)
{
  SqliteStatement st(cache, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  st.bind(1, table).bind(2, column);
  return st.step();
}

// Return the schema version of the database: the last migration recorded, or for a
// store from before schema_migrations 2 when its devices have owners, else 0 (empty,
// or tables of version 1 or earlier, which migration 1 completes).
int current_version(SqliteStatementCache& cache)
{
  if (has_table(cache, "schema_migrations")) {
    SqliteStatement st(cache, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    st.step();
    return static_cast<int>(st.int64(0));
  }
  return has_table(cache, "devices") && has_column(cache, "devices", "owner_keyid") ? 2 : 0;
}

// Bring the database to k_schema_version; return the versions applied now. Refuses
// (exit 32) a database of a newer version than this build knows. Each migration is
// one BEGIN IMMEDIATE transaction, which serializes processes opening the same file.
std::vector<int> migrate(sqlite3* db, SqliteStatementCache& cache, const std::filesystem::path& path)
{
  std::vector<int> applied;
  int depth = 0;
  for (;;) {
    SqliteTransaction tx(db, depth);
    const int version = current_version(cache);
    if (version > k_schema_version) {
      refuse_newer_schema(path.string(), version);
    }
    sqlite_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "name TEXT NOT NULL, applied_ms INTEGER NOT NULL)");
    const std::int64_t now_ms = wall_clock_ms();
    // A store adopted from before schema_migrations: record what it holds already.
    for (const Migration& m : k_migrations) {
      if (m.version <= version) {
        SqliteStatement st(cache, "INSERT OR IGNORE INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)");
        st.bind(1, std::int64_t{m.version}).bind(2, std::string(m.name)).bind(3, std::int64_t{now_ms}).step();
      }
    }
    if (has_table(cache, "meta")) {
      // The version row of older builds: schema_migrations says it now.
      SqliteStatement(cache, "DELETE FROM meta WHERE key = 'schema_version'").step();
    }
    if (version == k_schema_version) {
      tx.commit();
      return applied;
    }
    const Migration& next = k_migrations[version];
    sqlite_exec(db, next.sql);
    SqliteStatement st(cache, "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)");
    st.bind(1, std::int64_t{next.version}).bind(2, std::string(next.name)).bind(3, std::int64_t{now_ms}).step();
    tx.commit();
    applied.push_back(next.version);
  }
}

}  // namespace

// One thread's connection to the database, with its statements and the state of the
// transaction it has open.
struct SqliteStore::Connection {
  explicit Connection(const std::filesystem::path& path)
  {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      throw StoreError(1601, path.string() + ": " + msg);
    }
    try {
      // Another process writing (migrate, grant) makes us wait for it, not fail.
      sqlite3_busy_timeout(db, 5000);
      // WAL: readers proceed during a write. NORMAL: a commit appends to the WAL without
      // fsync; what must be durable is synced after the commit (WalSync), outside the lock.
      sqlite_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    } catch (...) {
      sqlite3_close(db);
      throw;
    }
    statements = std::make_unique<SqliteStatementCache>(db);
  }
  ~Connection()
  {
    statements.reset();  // a connection with unfinalized statements does not close
    sqlite3_close(db);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db = nullptr;
  std::unique_ptr<SqliteStatementCache> statements;
  int depth = 0;                            // open transaction levels
  Durability commit = Durability::full;     // how the open outer transaction commits
  bool reading = false;                     // the open transaction is a read (see transaction)
  std::vector<EventRecord> events;          // recorded by that read, queued when it ends
};

namespace {

// Thrown by a change inside a read transaction: transaction() runs the body again as a
// writing one. A StoreError, so that should it ever escape, the request fails with 1602.
class ReadTransactionWrites : public StoreError {
public:
  ReadTransactionWrites() : StoreError(1602, "internal: a read transaction made a change") {}
};

}  // namespace

namespace {

// Each thread's connections, by store: the key is the store's serial number, never reused,
// so a connection of a destroyed store is never taken for one of a new store.
thread_local std::unordered_map<std::uint64_t, SqliteStore::Connection*> t_connections;
std::atomic<std::uint64_t> g_store_serial{0};

}  // namespace

SqliteStore::Connection& SqliteStore::connection()
{
  if (const auto it = t_connections.find(m_serial); it != t_connections.end()) {
    return *it->second;
  }
  auto conn = std::make_unique<Connection>(m_path);
  Connection* raw = conn.get();
  {
    std::lock_guard lock(m_connections_mutex);
    m_connections.push_back(std::move(conn));
  }
  t_connections.emplace(m_serial, raw);
  return *raw;
}

SqliteStore::SqliteStore(std::filesystem::path path) : m_path(std::move(path)), m_serial(++g_store_serial)
{
  // Create the file 0600 ourselves: SQLite would use the umask.
  if (const int fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
    ::close(fd);
  }
  Connection& c = connection();
  m_applied = migrate(c.db, *c.statements, m_path);
  // The WAL exists while a connection is open (the first one stays until the end): its
  // file is what a durable commit syncs.
  const std::string wal = m_path.string() + "-wal";
  m_wal_fd.reset(::open(wal.c_str(), O_RDWR | O_CLOEXEC));
  if (!m_wal_fd.valid()) {
    throw StoreError(1601, util::errno_message(wal, "", errno));
  }
  sync_wal(m_commits);  // the migrations applied
  // The queue's thread writes on its own connection; a writing transaction takes what
  // is queued first, so this one needs no body.
  m_events = std::make_unique<EventQueue>([this] { write_transaction(connection(), [] {}, Durability::deferred); });
  struct stat st {};
  if (::stat(m_path.c_str(), &st) == 0) {
    m_device = st.st_dev;
    m_inode = st.st_ino;
  }
}

SqliteStore::~SqliteStore()
{
  m_events->stop();  // writes what it holds, on its own thread's connection (it needs m_events)
  m_wal_fd.close();
  t_connections.erase(m_serial);
  // Other threads' entries for this store stay behind, unused: its serial is never reused.
}

void SqliteStore::sync_wal(std::uint64_t through)
{
  std::unique_lock lock(m_sync_mutex);
  while (m_synced < through) {
    if (m_syncing) {
      m_synced_cv.wait(lock);  // one fdatasync at a time; the next one covers us
      continue;
    }
    m_syncing = true;
    const std::uint64_t target = m_commits;
    lock.unlock();
    const int rc = ::fdatasync(m_wal_fd.get());
    const int err = errno;
    lock.lock();
    m_syncing = false;
    m_synced_cv.notify_all();
    if (rc != 0) {
      throw StoreError(1602, util::errno_message(m_path.string() + "-wal", "fdatasync", err));
    }
    m_synced = std::max(m_synced, target);
    if (m_synced >= m_commits) {
      m_unsynced_since.reset();
    }
  }
}

bool SqliteStore::read_transaction(Connection& c, const std::function<void()>& body)
{
  // A read runs on this thread's connection beside every other read and the writer, on
  // a snapshot (BEGIN takes no lock until something is read). Its audit events go to the
  // event writer once it ends; a change it makes ends it, and the caller runs the body
  // again as a writing transaction.
  c.reading = true;
  c.events.clear();
  try {
    SqliteTransaction tx(c.db, c.depth, SqliteTransaction::Kind::read);
    body();
    tx.commit();
  } catch (const ReadTransactionWrites&) {
    c.reading = false;
    c.events.clear();
    return false;
  } catch (...) {
    c.reading = false;
    c.events.clear();
    throw;
  }
  c.reading = false;
  m_events->add(std::move(c.events));
  c.events.clear();
  return true;
}

void SqliteStore::write(const std::function<void(Connection&)>& change)
{
  Connection& c = connection();
  if (c.reading) {
    throw ReadTransactionWrites();
  }
  if (c.depth > 0) {
    change(c);
    return;
  }
  transaction([&] { change(c); });
}

bool SqliteStore::initialized()
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, "SELECT value FROM meta WHERE key = 'initialized'");
  return st.step();
}

void SqliteStore::initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs)
{
  transaction([&] {
    Connection& c = connection();
    for (const auto& [name, pair] : pairs) {
      SqliteStatement st(*c.statements, "INSERT OR REPLACE INTO key_pairs (name, cert_pem, sealed_key) VALUES (?, ?, ?)");
      st.bind(1, name).bind(2, pair.cert_pem).bind_blob(3, pair.sealed_key).step();
    }
    SqliteStatement(*c.statements, "INSERT OR REPLACE INTO meta (key, value) VALUES ('initialized', '1')").step();
  });
}

std::optional<StoredKeyPair> SqliteStore::key_pair(const std::string& name)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, "SELECT cert_pem, sealed_key FROM key_pairs WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) {
    return std::nullopt;
  }
  return StoredKeyPair{st.text(0), st.text(1)};
}

IdRecord SqliteStore::create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal)
{
  IdRecord r = fields;
  transaction([&] {
    r.keyid = next_number(Counter::keyid);
    if (r.keyid > 9'999'999'999) {
      throw StoreError(1205, "keyid numbers exhausted");
    }
    r.sealed_key = seal(r.keyid);
    Connection& c = connection();
    SqliteStatement ins(*c.statements, "INSERT INTO ids (keyid, tenantid, alias, sealed_key, status, expiration) "
                                       "VALUES (?, ?, ?, ?, ?, ?)");
    ins.bind(1, r.keyid).bind(2, r.tenantid).bind(3, r.alias).bind_blob(4, r.sealed_key);
    ins.bind(5, std::string(status_name(r.status))).bind(6, r.expiration_ms).step();
  });
  return r;
}

std::optional<IdRecord> SqliteStore::find_id(std::int64_t keyid)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, std::string("SELECT ") + k_id_columns + " FROM ids WHERE keyid = ?");
  st.bind(1, keyid);
  if (!st.step()) {
    return std::nullopt;
  }
  return id_from(st);
}

std::vector<IdRecord> SqliteStore::valid_ids(std::int64_t now_ms)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, (std::string("SELECT ") + k_id_columns
                      + " FROM ids WHERE status = 'valid' AND expiration > ? ORDER BY keyid").c_str());
  st.bind(1, now_ms);
  return all_rows(st, [](SqliteStatement& row) { return id_from(row); });
}

void SqliteStore::set_id_status(std::int64_t keyid, Status status)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "UPDATE ids SET status = ? WHERE keyid = ?");
    st.bind(1, std::string(status_name(status))).bind(2, keyid).step();
  });
}

void SqliteStore::check_health()
{
  Connection& c = connection();
  // A database file removed or replaced under a running server means this process
  // writes where nobody will read: report it instead of carrying on.
  struct stat st_path {};
  if (::stat(m_path.c_str(), &st_path) != 0) {
    throw StoreError(1601, m_path.string() + ": database file is missing");
  }
  if (st_path.st_dev != m_device || st_path.st_ino != m_inode) {
    throw StoreError(1601, m_path.string() + ": database file was replaced; restart the server to use it");
  }
  SqliteStatement st(*c.statements, "SELECT COUNT(*) FROM meta");
  st.step();
}

void SqliteStore::transaction(const std::function<void()>& body, Durability durability)
{
  Connection& c = connection();
  if (c.depth > 0) {
    if (durability == Durability::full) {
      if (c.reading) {
        throw ReadTransactionWrites();
      }
      c.commit = Durability::full;
    }
    SqliteTransaction tx(c.db, c.depth);
    body();
    tx.commit();
    return;
  }
  if (durability == Durability::deferred && read_transaction(c, body)) {
    return;
  }
  write_transaction(c, body, durability);
}

void SqliteStore::write_transaction(Connection& c, const std::function<void()>& body, Durability durability)
{
  // One writing transaction of this process at a time: a mutex hands the write lock on
  // at once, where SQLite's busy handler would poll. Reads outside transactions take no
  // lock; each thread reads on a connection of its own.
  std::unique_lock writing(m_write_mutex);
  c.commit = durability;
  std::uint64_t ticket = 0;
  // The events reads recorded before go first: the audit trail keeps the order of the
  // calls that made them.
  std::vector<EventRecord> queued = m_events->take();
  try {
    SqliteTransaction tx(c.db, c.depth);
    for (const EventRecord& e : queued) {
      insert_event(c, e);
    }
    body();
    tx.commit();
  } catch (...) {
    c.commit = Durability::full;
    m_events->put_back(std::move(queued));
    throw;
  }
  m_events->written(queued.size());
  const auto now = std::chrono::steady_clock::now();
  bool durable = c.commit == Durability::full;
  c.commit = Durability::full;
  {
    std::lock_guard lock(m_sync_mutex);
    ticket = ++m_commits;
    if (!m_unsynced_since) {
      m_unsynced_since = now;
    }
    // Deferred commits wait for a durable one at most k_deferred_window.
    durable = durable || now - *m_unsynced_since >= k_deferred_window;
  }
  writing.unlock();
  if (durable) {
    // Outside the write lock: other commits go on meanwhile, and one fdatasync covers
    // every commit made before it started (group commit).
    sync_wal(ticket);
  }
}

std::int64_t SqliteStore::next_number(Counter counter)
{
  std::int64_t value = 0;
  write([&](Connection& c) {
    SqliteStatement up(*c.statements, "INSERT INTO sequences (name, value) VALUES (?, 1) "
                                      "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value");
    up.bind(1, std::string(counter_name(counter)));
    if (!up.step()) {
      sqlite_fail(c.db, "next_number");
    }
    value = up.int64(0);
    while (up.step()) {
    }
  });
  return value;
}

std::int64_t SqliteStore::allocate_keynumber(const std::string& kind)
{
  std::int64_t keynumber = 0;
  write([&](Connection& c) {
    keynumber = next_number(Counter::keynumber);
    SqliteStatement st(*c.statements, "INSERT INTO keynumbers (keynumber, kind) VALUES (?, ?)");
    st.bind(1, keynumber).bind(2, kind).step();
  });
  return keynumber;
}

DeviceRecord SqliteStore::create_device(const DeviceRecord& fields,
                                        const std::function<std::string(const std::string&)>& seal)
{
  DeviceRecord r = fields;
  write([&](Connection& c) {
    const std::int64_t number = next_number(Counter::deviceid);
    if (number > 9'999'999'999) {
      throw StoreError(1602, "deviceid numbers exhausted");
    }
    r.deviceid = format_keyid(number);
    r.sealed_key = seal(r.deviceid);
    SqliteStatement ins(*c.statements,
                        "INSERT INTO devices (deviceid, devicename, sealed_key, ipaddress, macaddress, ext_data, status, "
                        "created_ms, owner_keyid, expires_ms, group_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ins.bind(1, r.deviceid).bind(2, r.devicename).bind_blob(3, r.sealed_key).bind(4, r.ipaddress);
    ins.bind(5, r.macaddress).bind(6, r.ext_data).bind(7, std::string(device_status_name(r.status)));
    ins.bind(8, r.created_ms).bind(9, r.owner_keyid).bind(10, r.expires_ms).bind(11, group_column(r.group)).step();
  });
  return r;
}

std::optional<DeviceRecord> SqliteStore::find_device_by_name(const std::string& devicename)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, (std::string("SELECT ") + k_device_columns + " FROM devices WHERE devicename = ?").c_str());
  st.bind(1, devicename);
  if (!st.step()) {
    return std::nullopt;
  }
  return device_from(st);
}

void SqliteStore::update_device(const DeviceRecord& r)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "UPDATE devices SET ipaddress = ?, macaddress = ?, ext_data = ?, status = ?, "
                                      "expires_ms = ?, group_name = ? WHERE deviceid = ?");
    st.bind(1, r.ipaddress).bind(2, r.macaddress).bind(3, r.ext_data).bind(4, std::string(device_status_name(r.status)));
    st.bind(5, r.expires_ms).bind(6, group_column(r.group)).bind(7, r.deviceid).step();
  });
}

bool SqliteStore::claim_device(const std::string& deviceid, std::int64_t keyid)
{
  if (connection().reading) {
    // Claimed already (by keyid or another): nothing to change, and a read stays a read.
    Connection& c = connection();
    SqliteStatement st(*c.statements, "SELECT owner_keyid FROM devices WHERE deviceid = ?");
    st.bind(1, deviceid);
    if (!st.step()) {
      return false;
    }
    if (const auto owner = st.optional_int64(0)) {
      return *owner == keyid;
    }
  }
  bool owner = false;
  write([&](Connection& c) {
    // One statement: of two IDs claiming at once, the second finds the owner set.
    SqliteStatement up(*c.statements, "UPDATE devices SET owner_keyid = ? WHERE deviceid = ? AND owner_keyid IS NULL");
    up.bind(1, keyid).bind(2, deviceid).step();
    if (sqlite3_changes(c.db) > 0) {
      c.commit = Durability::full;  // an owner is a grant of access: never deferred
    }
    SqliteStatement st(*c.statements, "SELECT owner_keyid FROM devices WHERE deviceid = ?");
    st.bind(1, deviceid);
    owner = st.step() && st.optional_int64(0) == keyid;
  });
  return owner;
}

bool SqliteStore::add_fleet_grant(std::int64_t keyid, std::int64_t now_ms)
{
  bool added = false;
  write([&](Connection& c) {
    SqliteStatement st(*c.statements,
                       "INSERT INTO fleet_grants (keyid, granted_ms) VALUES (?, ?) ON CONFLICT (keyid) DO NOTHING");
    st.bind(1, keyid).bind(2, now_ms).step();
    added = sqlite3_changes(c.db) == 1;
  });
  return added;
}

bool SqliteStore::remove_fleet_grant(std::int64_t keyid)
{
  bool removed = false;
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "DELETE FROM fleet_grants WHERE keyid = ?");
    st.bind(1, keyid).step();
    removed = sqlite3_changes(c.db) == 1;
  });
  return removed;
}

bool SqliteStore::has_fleet_grant(std::int64_t keyid)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, "SELECT 1 FROM fleet_grants WHERE keyid = ?");
  st.bind(1, keyid);
  return st.step();
}

std::vector<FleetGrant> SqliteStore::fleet_grants()
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, "SELECT keyid, granted_ms FROM fleet_grants ORDER BY keyid");
  return all_rows(st, [](SqliteStatement& row) { return FleetGrant{row.int64(0), row.int64(1)}; });
}

bool SqliteStore::serial_exists(const std::string& serial)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, "SELECT 1 FROM certs WHERE serial = ?");
  st.bind(1, serial);
  return st.step();
}

void SqliteStore::insert_certificate(const CertRecord& r)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "INSERT INTO certs (keynumber, serial, catype, ca_name, deviceid, kind, subject, cert_der, "
                       "sealed_key, status, not_after_ms, filepath, replaced_by, revoked_at_ms, created_ms) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, r.keynumber).bind(2, r.serial).bind(3, r.catype).bind(4, r.ca_name).bind(5, r.deviceid);
    st.bind(6, std::string(cert_kind_name(r.kind))).bind(7, r.subject).bind_blob(8, r.cert_der).bind_blob(9, r.sealed_key);
    st.bind(10, std::string(cert_status_name(r.status))).bind(11, r.not_after_ms).bind(12, r.filepath);
    st.bind(13, r.replaced_by).bind(14, r.revoked_at_ms).bind(15, r.created_ms);
    st.step();
  });
}

std::optional<CertRecord> SqliteStore::find_certificate(std::int64_t keynumber)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_certs("WHERE keynumber = ?").c_str());
  st.bind(1, keynumber);
  if (!st.step()) {
    return std::nullopt;
  }
  return cert_from(st);
}

std::optional<CertRecord> SqliteStore::find_certificate_by_serial(const std::string& serial)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_certs("WHERE serial = ?").c_str());
  st.bind(1, serial);
  if (!st.step()) {
    return std::nullopt;
  }
  return cert_from(st);
}

std::optional<CertRecord> SqliteStore::find_ca_certificate(const std::string& ca_name)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_certs("WHERE ca_name = ?").c_str());
  st.bind(1, ca_name);
  if (!st.step()) {
    return std::nullopt;
  }
  return cert_from(st);
}

void SqliteStore::update_certificate(const CertRecord& r)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "UPDATE certs SET status = ?, filepath = ?, replaced_by = ?, revoked_at_ms = ? "
                       "WHERE keynumber = ?");
    st.bind(1, std::string(cert_status_name(r.status))).bind(2, r.filepath).bind(3, r.replaced_by);
    st.bind(4, r.revoked_at_ms).bind(5, r.keynumber).step();
    if (sqlite3_changes(c.db) != 1) {
      throw StoreError(1602, "update_certificate: no certificate " + std::to_string(r.keynumber));
    }
  });
}

std::vector<CertRecord> SqliteStore::revoked_certificates(const std::string& catype)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_certs("WHERE catype = ? AND status = 'revoked' ORDER BY revoked_at_ms, keynumber").c_str());
  st.bind(1, catype);
  return all_rows(st, [](SqliteStatement& row) { return cert_from(row); });
}

std::vector<DeviceRecord> SqliteStore::search_devices(const DeviceFilter& f)
{
  Connection& c = connection();
  const std::string end = prefix_end(f.prefix);
  SqliteStatement st(*c.statements,
                     std::string("SELECT ") + k_device_columns
                       + " FROM devices WHERE devicename > ? AND devicename >= ? AND (? = '' OR devicename < ?) "
                         "AND (? IS NULL OR status = ?) AND (? IS NULL OR COALESCE(group_name, '') = ?) "
                         "AND (? IS NULL OR expires_ms <= ?) ORDER BY devicename LIMIT ?");
  const std::optional<std::string> status =
    f.status ? std::optional<std::string>(std::string(device_status_name(*f.status))) : std::nullopt;
  st.bind(1, f.after).bind(2, f.prefix).bind(3, end).bind(4, end).bind(5, status).bind(6, status);
  st.bind(7, f.group).bind(8, f.group).bind(9, f.expires_by_ms).bind(10, f.expires_by_ms);
  st.bind(11, static_cast<std::int64_t>(f.limit));
  return all_rows(st, [](SqliteStatement& row) { return device_from(row); });
}

void SqliteStore::put_group(const GroupRecord& g)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "INSERT INTO device_groups (name, rotate_days, renew_days, created_ms) "
                                      "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                                      "rotate_days = excluded.rotate_days, renew_days = excluded.renew_days");
    st.bind(1, g.name).bind(2, g.rotate_days).bind(3, g.renew_days).bind(4, g.created_ms).step();
  });
}

std::optional<GroupRecord> SqliteStore::find_group(const std::string& name)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, std::string("SELECT ") + k_group_columns + " FROM device_groups g WHERE g.name = ?");
  st.bind(1, name);
  if (!st.step()) {
    return std::nullopt;
  }
  return group_from(st);
}

std::int64_t SqliteStore::group_size(const std::string& name)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, std::string(k_group_size) + "?");
  st.bind(1, name).step();
  return st.int64(0);
}

std::vector<GroupRecord> SqliteStore::groups()
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, std::string(k_groups_counted) + " ORDER BY g.name");
  return all_rows(st, [](SqliteStatement& row) {
    GroupRecord g = group_from(row);
    g.devices = row.int64(4);
    return g;
  });
}

void SqliteStore::delete_group(const std::string& name)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "DELETE FROM device_groups WHERE name = ?");
    st.bind(1, name).step();
  });
}

std::vector<CredentialRecord> SqliteStore::expiring_credentials(std::int64_t by_ms, const CredentialCursor& after,
                                                                std::size_t limit)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, expiring_credentials_sql(sqlite_placeholder));
  st.bind(1, by_ms).bind(2, after.at_ms).bind(3, after.keynumber).bind(4, static_cast<std::int64_t>(limit));
  return all_rows(st, [](SqliteStatement& row) { return credential_from(row); });
}

std::vector<CredentialRecord> SqliteStore::due_credentials(std::int64_t now_ms, const std::optional<std::string>& group,
                                                           const CredentialCursor& after, std::size_t limit)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, due_credentials_sql(sqlite_placeholder));
  st.bind(1, group).bind(2, now_ms).bind(3, after.at_ms).bind(4, after.keynumber);
  st.bind(5, static_cast<std::int64_t>(limit));
  return all_rows(st, [](SqliteStatement& row) { return credential_from(row); });
}

std::vector<std::pair<std::string, std::int64_t>> SqliteStore::device_counts(std::int64_t now_ms)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, device_counts_sql(sqlite_placeholder));
  st.bind(1, now_ms);
  return all_rows(st, [](SqliteStatement& row) { return std::pair(row.text(0), row.int64(1)); });
}

std::vector<StateCount> SqliteStore::credential_counts(std::int64_t now_ms)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, credential_counts_sql(sqlite_placeholder));
  st.bind(1, now_ms);
  return disjoint_states(
    all_rows(st, [](SqliteStatement& row) { return StateCount{row.text(0), row.text(1), row.int64(2)}; }));
}

ExpiryCounts SqliteStore::expiry_counts(const std::vector<std::int64_t>& limits_ms)
{
  Connection& c = connection();
  ExpiryCounts out;
  out.limits_ms = limits_ms;
  const std::string sql = expiry_count_sql(sqlite_placeholder);
  auto count = [&](std::int64_t by) {
    SqliteStatement st(*c.statements, sql);
    st.bind(1, by).step();
    return st.int64(0);
  };
  for (const std::int64_t by : limits_ms) {
    out.counts.push_back(count(by));
  }
  out.total = count(std::numeric_limits<std::int64_t>::max());
  return out;
}

std::vector<DayCount> SqliteStore::issued_per_day(std::int64_t from_ms)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, issued_per_day_sql(sqlite_placeholder));
  st.bind(1, from_ms);
  return all_rows(st, [](SqliteStatement& row) { return DayCount{row.int64(0), row.int64(1), row.int64(2)}; });
}

std::vector<CertRecord> SqliteStore::valid_certificates_of_device(const std::string& deviceid)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_certs("WHERE deviceid = ? AND status = 'valid' ORDER BY keynumber").c_str());
  st.bind(1, deviceid);
  return all_rows(st, [](SqliteStatement& row) { return cert_from(row); });
}

std::vector<KeyRecord> SqliteStore::valid_keys_of_device(const std::string& deviceid)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_keys("WHERE deviceid = ? AND status = 'valid' ORDER BY keynumber").c_str());
  st.bind(1, deviceid);
  return all_rows(st, [](SqliteStatement& row) { return key_from(row); });
}

void SqliteStore::insert_key(const KeyRecord& r)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "INSERT INTO keys (keynumber, keytype, keylength, alias, sealed_key, status, expiration_ms, "
                       "replaced_by, deviceid, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, r.keynumber).bind(2, r.keytype).bind(3, std::int64_t{r.keylength}).bind(4, r.alias);
    st.bind_blob(5, r.sealed_key).bind(6, std::string(key_status_name(r.status))).bind(7, r.expiration_ms);
    st.bind(8, r.replaced_by).bind(9, r.deviceid).bind(10, r.created_ms);
    st.step();
  });
}

std::optional<KeyRecord> SqliteStore::find_key(std::int64_t keynumber)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_keys("WHERE keynumber = ?").c_str());
  st.bind(1, keynumber);
  if (!st.step()) {
    return std::nullopt;
  }
  return key_from(st);
}

std::optional<KeyRecord> SqliteStore::find_latest_key_by_alias(const std::string& alias,
                                                               const std::optional<std::string>& deviceid,
                                                               const KeyScope& scope, std::int64_t now_ms,
                                                               IncludeExpired expired)
{
  Connection& c = connection();
  // keys_by_alias gives the candidates newest first; the first that passes is the answer.
  SqliteStatement st(*c.statements, select_keys((std::string("WHERE alias = ? AND status = 'valid' AND (? OR expiration_ms > ?) "
                                 "AND (? IS NULL OR EXISTS (SELECT 1 FROM key_bindings b "
                                 "WHERE b.keynumber = keys.keynumber AND b.deviceid = ?)) "
                                 "AND (? IS NULL OR ") + k_key_owner + " = ?) "
                                 "ORDER BY keynumber DESC LIMIT 1").c_str())
                       .c_str());
  st.bind(1, alias).bind(2, std::int64_t{expired == IncludeExpired::yes ? 1 : 0}).bind(3, now_ms);
  st.bind(4, deviceid).bind(5, deviceid).bind(6, scope.owner).bind(7, scope.owner);
  if (!st.step()) {
    return std::nullopt;
  }
  return key_from(st);
}

void SqliteStore::update_key(const KeyRecord& r)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "UPDATE keys SET status = ?, alias = ?, replaced_by = ?, sealed_key = ? WHERE keynumber = ?");
    st.bind(1, std::string(key_status_name(r.status))).bind(2, r.alias).bind(3, r.replaced_by);
    st.bind_blob(4, r.sealed_key).bind(5, r.keynumber).step();
    if (sqlite3_changes(c.db) != 1) {
      throw StoreError(1602, "update_key: no key " + std::to_string(r.keynumber));
    }
  });
}

void SqliteStore::bind_key(std::int64_t keynumber, const std::string& deviceid, const std::string& filepath)
{
  if (connection().reading && find_binding(keynumber, deviceid) == filepath) {
    return;  // a read that changes nothing stays a read
  }
  write([&](Connection& c) {
    // A binding that holds this path already is left alone: a repeated get writes no page.
    SqliteStatement st(*c.statements, "INSERT INTO key_bindings (keynumber, deviceid, filepath) VALUES (?, ?, ?) "
                       "ON CONFLICT (keynumber, deviceid) DO UPDATE SET filepath = excluded.filepath "
                       "WHERE filepath <> excluded.filepath");
    st.bind(1, keynumber).bind(2, deviceid).bind(3, filepath).step();
  });
}

std::optional<std::string> SqliteStore::find_binding(std::int64_t keynumber, const std::string& deviceid)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, "SELECT filepath FROM key_bindings WHERE keynumber = ? AND deviceid = ?");
  st.bind(1, keynumber).bind(2, deviceid);
  if (!st.step()) {
    return std::nullopt;
  }
  return st.text(0);
}

std::vector<std::optional<DeviceKeyRecord>> SqliteStore::find_keys_for_device(
  const std::string& deviceid, const std::vector<std::int64_t>& keynumbers)
{
  Connection& c = connection();
  // One primary-key lookup per number, the binding checked in the same step.
  SqliteStatement st(*c.statements, std::string("SELECT ") + k_key_columns
                                + ", EXISTS (SELECT 1 FROM key_bindings b WHERE b.keynumber = keys.keynumber "
                                  "AND b.deviceid = ?1) FROM keys WHERE keynumber = ?2");
  constexpr int k_bound_column = k_key_column_count;
  st.bind(1, deviceid);
  std::vector<std::optional<DeviceKeyRecord>> out;
  out.reserve(keynumbers.size());
  for (const std::int64_t keynumber : keynumbers) {
    st.rewind();
    st.bind(2, keynumber);
    if (!st.step()) {
      out.emplace_back();
      continue;
    }
    out.emplace_back(DeviceKeyRecord{key_from(st), st.int64(k_bound_column) != 0});
  }
  return out;
}

std::vector<std::int64_t> SqliteStore::valid_keynumbers_of_device(const std::string& deviceid, const KeyScope& scope,
                                                                  std::int64_t now_ms)
{
  Connection& c = connection();
  // key_bindings_by_device gives the device's numbers in order; each key is one lookup.
  SqliteStatement st(*c.statements, "SELECT b.keynumber FROM key_bindings b JOIN keys k ON k.keynumber = b.keynumber "
                              "WHERE b.deviceid = ? AND k.status = 'valid' AND k.expiration_ms > ? "
                              "AND (? IS NULL OR (SELECT d.owner_keyid FROM devices d WHERE d.deviceid = k.deviceid) = ?) "
                              "ORDER BY b.keynumber");
  st.bind(1, deviceid).bind(2, now_ms).bind(3, scope.owner).bind(4, scope.owner);
  return all_rows(st, [](SqliteStatement& row) { return row.int64(0); });
}

std::optional<CrlRecord> SqliteStore::latest_crl(const std::string& catype)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements,
                     std::string("SELECT ") + k_crl_columns + " FROM crls WHERE catype = ? ORDER BY number DESC LIMIT 1");
  st.bind(1, catype);
  if (!st.step()) {
    return std::nullopt;
  }
  return crl_from(st);
}

void SqliteStore::publish_crl(const CrlRecord& crl)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "INSERT INTO crls (catype, number, revoked_digest, this_update_ms, pem) "
                       "VALUES (?, ?, ?, ?, ?)");
    st.bind(1, crl.catype).bind(2, crl.number).bind(3, crl.revoked_digest).bind(4, crl.this_update_ms).bind(5, crl.pem);
    st.step();
  });
}

void SqliteStore::scan_table(const TableSpec& table, const std::function<void(const Row&)>& row)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, select_statement(table));
  Row values;
  while (st.step()) {
    read_cells(st, table, values);
    row(values);
  }
}

void SqliteStore::insert_rows(const TableSpec& table, const std::vector<Row>& rows)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, insert_statement(table, [](int) { return std::string("?"); }));
    for (const Row& row : rows) {
      st.rewind();
      for (std::size_t i = 0; i < row.size(); ++i) {
        const int param = static_cast<int>(i) + 1;
        if (!row[i]) {
          st.bind(param, std::optional<std::int64_t>());
        } else if (table.columns[i].type == ColumnType::integer) {
          st.bind(param, std::int64_t{std::stoll(*row[i])});
        } else if (table.columns[i].type == ColumnType::bytes) {
          st.bind_blob(param, *row[i]);
        } else {
          st.bind(param, *row[i]);
        }
      }
      st.step();
    }
  });
}

void SqliteStore::defer_constraints()
{
  Connection& c = connection();
  sqlite_exec(c.db, "PRAGMA defer_foreign_keys = ON");
}

std::int64_t SqliteStore::counter_value(Counter counter)
{
  Connection& c = connection();
  SqliteStatement st(*c.statements, "SELECT value FROM sequences WHERE name = ?");
  st.bind(1, std::string(counter_name(counter)));
  return st.step() ? st.int64(0) : 0;
}

void SqliteStore::set_counter(Counter counter, std::int64_t last)
{
  write([&](Connection& c) {
    SqliteStatement st(*c.statements, "INSERT OR REPLACE INTO sequences (name, value) VALUES (?, ?)");
    st.bind(1, std::string(counter_name(counter))).bind(2, last).step();
  });
}

void SqliteStore::record_event(const EventRecord& e)
{
  if (Connection& c = connection(); c.reading) {
    c.events.push_back(e);
    return;
  }
  write([&](Connection& c) { insert_event(c, e); });
}

void SqliteStore::insert_event(Connection& c, const EventRecord& e)
{
  SqliteStatement st(*c.statements, "INSERT INTO events (deviceid, api, mode, keynumber, filepath, at_ms, keyid, "
                                    "actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, e.deviceid).bind(2, e.api).bind(3, e.mode).bind(4, e.keynumber).bind(5, e.filepath).bind(6, e.at_ms);
  st.bind(7, e.keyid).bind(8, e.actor).step();
}

std::vector<EventRecord> SqliteStore::device_events(const std::string& deviceid)
{
  return events_of(deviceid, std::nullopt);
}

void SqliteStore::flush_events()
{
  m_events->flush();
}

std::vector<EventRecord> SqliteStore::newest_device_events(const std::string& deviceid, std::size_t n)
{
  return events_of(deviceid, n);
}

std::vector<EventRecord> SqliteStore::events_of(const std::string& deviceid, std::optional<std::size_t> newest)
{
  Connection& c = connection();
  if (c.reading && !c.events.empty()) {
    throw ReadTransactionWrites();  // its own events must be written to be listed
  }
  if (c.depth == 0) {
    m_events->flush();  // what reads recorded is written before it is listed
  }
  // The newest n: events_by_device (deviceid, id) walked backwards, then put in order.
  SqliteStatement st(*c.statements, std::string("SELECT ") + k_event_columns + " FROM events WHERE deviceid = ? "
                                      + (newest ? "ORDER BY id DESC LIMIT ?" : "ORDER BY id"));
  st.bind(1, deviceid);
  if (newest) {
    st.bind(2, static_cast<std::int64_t>(*newest));
  }
  auto events = all_rows(st, [](SqliteStatement& row) { return event_from(row); });
  if (newest) {
    std::reverse(events.begin(), events.end());
  }
  return events;
}


}  // namespace clm::server
