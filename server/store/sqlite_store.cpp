#include "sqlite_store.hpp"

#include <clm/validate.hpp>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unordered_map>

namespace clm::server {

namespace {

constexpr const char* k_schema = R"sql(
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
  created_ms INTEGER NOT NULL,
  -- The ID that registered the device; NULL: registered before owners were recorded.
  owner_keyid INTEGER REFERENCES ids (keyid)
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
  at_ms     INTEGER NOT NULL,
  keyid     INTEGER  -- the ID that made the call; NULL in events older than the column
);
CREATE INDEX IF NOT EXISTS events_by_device ON events (deviceid, id);
-- IDs an operator let read every device's keys (clm-server grant).
CREATE TABLE IF NOT EXISTS fleet_grants (
  keyid      INTEGER PRIMARY KEY REFERENCES ids (keyid),
  granted_ms INTEGER NOT NULL
);
)sql";

[[noreturn]] void fail(sqlite3* db, const std::string& what)
{
  throw StoreError(1602, what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

}  // namespace

// Prepared statements kept for the life of the connection, by SQL text: preparing costs
// more than running most of our statements, and a batch request runs them thousands of times.
struct SqliteStatementCache {
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool busy = false;  // borrowed by a live Statement
  };

  explicit SqliteStatementCache(sqlite3* connection) : db(connection) {}
  ~SqliteStatementCache()
  {
    for (auto& [sql, entry] : entries) {
      sqlite3_finalize(entry.stmt);
    }
  }
  SqliteStatementCache(const SqliteStatementCache&) = delete;
  SqliteStatementCache& operator=(const SqliteStatementCache&) = delete;

  sqlite3* db;
  std::unordered_map<std::string, Entry> entries;
};

namespace {

// A prepared statement borrowed from the cache and reset on scope exit; one prepared
// for this use alone (finalized on scope exit) when the cached one is in use already.
class Statement {
public:
  Statement(SqliteStatementCache& cache, const std::string& sql) : m_db(cache.db)
  {
    auto [it, added] = cache.entries.try_emplace(sql);
    if (!it->second.busy) {
      if (added && sqlite3_prepare_v3(m_db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &it->second.stmt, nullptr) != SQLITE_OK) {
        cache.entries.erase(it);
        fail(m_db, "prepare");
      }
      m_entry = &it->second;
      m_entry->busy = true;
      m_stmt = m_entry->stmt;
      return;
    }
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &m_stmt, nullptr) != SQLITE_OK) {
      fail(m_db, "prepare");
    }
  }
  ~Statement()
  {
    if (m_entry) {
      sqlite3_reset(m_stmt);
      sqlite3_clear_bindings(m_stmt);
      m_entry->busy = false;
    } else {
      sqlite3_finalize(m_stmt);
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v)
  {
    check(sqlite3_bind_int64(m_stmt, i, v));
    return *this;
  }
  Statement& bind(int i, const std::string& v)
  {
    check(sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind_blob(int i, const std::string& v)
  {
    check(sqlite3_bind_blob(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  // Bind v, or NULL when it is absent.
  template <typename T>
  Statement& bind(int i, const std::optional<T>& v)
  {
    if (v) {
      return bind(i, *v);
    }
    check(sqlite3_bind_null(m_stmt, i));
    return *this;
  }

  // Reset to run again; the bindings stay.
  void rewind() { sqlite3_reset(m_stmt); }

  // Step once; return true when a row is available.
  bool step()
  {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) {
      return true;
    }
    if (rc != SQLITE_DONE) {
      fail(m_db, "step");
    }
    return false;
  }

  std::int64_t int64(int col) { return sqlite3_column_int64(m_stmt, col); }
  bool is_null(int col) { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::optional<std::int64_t> optional_int64(int col)
  {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
  }
  std::optional<std::string> optional_text(int col)
  {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }
  std::string text(int col)
  {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(m_stmt, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))) : std::string();
  }

private:
  void check(int rc)
  {
    if (rc != SQLITE_OK) {
      fail(m_db, "bind");
    }
  }

  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  SqliteStatementCache::Entry* m_entry = nullptr;  // set when borrowed from the cache
};

void exec(sqlite3* db, const char* sql)
{
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(1602, std::string("exec: ") + msg);
  }
}

// BEGIN IMMEDIATE ... COMMIT, rolled back when the scope is left by an exception.
// Inside another transaction it is a SAVEPOINT, so a failed inner part rolls back alone.
// depth counts the open levels of the connection; the caller holds its mutex.
class Transaction {
public:
  Transaction(sqlite3* db, int& depth) : m_db(db), m_depth(depth), m_outer(depth == 0)
  {
    exec(db, m_outer ? "BEGIN IMMEDIATE" : "SAVEPOINT nested");
    ++m_depth;
  }
  ~Transaction()
  {
    if (!m_done) {
      if (m_outer) {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
      } else {
        sqlite3_exec(m_db, "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
      }
      --m_depth;
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit()
  {
    exec(m_db, m_outer ? "COMMIT" : "RELEASE nested");
    m_done = true;
    --m_depth;
  }

private:
  sqlite3* m_db;
  int& m_depth;
  bool m_outer;
  bool m_done = false;
};

const char* status_name(Status s)
{
  return s == Status::valid ? "valid" : "deleted";
}

IdRecord id_from(Statement& st)
{
  IdRecord r;
  r.keyid = st.int64(0);
  r.tenantid = st.text(1);
  r.alias = st.text(2);
  r.sealed_key = st.text(3);
  r.status = st.text(4) == "valid" ? Status::valid : Status::deleted;
  r.expiration_ms = st.int64(5);
  return r;
}

constexpr const char* k_id_columns = "keyid, tenantid, alias, sealed_key, status, expiration";

const char* kind_name(CertKind k)
{
  switch (k) {
  case CertKind::ca:
    return "ca";
  case CertKind::server:
    return "server";
  case CertKind::client:
    break;
  }
  return "client";
}

CertKind kind_from(const std::string& s)
{
  return s == "ca" ? CertKind::ca : s == "server" ? CertKind::server : CertKind::client;
}

const char* cert_status_name(CertStatus st)
{
  switch (st) {
  case CertStatus::revoked:
    return "revoked";
  case CertStatus::updated:
    return "updated";
  case CertStatus::valid:
    break;
  }
  return "valid";
}

CertStatus cert_status_from(const std::string& s)
{
  return s == "revoked" ? CertStatus::revoked : s == "updated" ? CertStatus::updated : CertStatus::valid;
}

constexpr const char* k_device_columns =
  "deviceid, devicename, sealed_key, ipaddress, macaddress, ext_data, status, created_ms, owner_keyid";

DeviceRecord device_from(Statement& st)
{
  DeviceRecord r;
  r.deviceid = st.text(0);
  r.devicename = st.text(1);
  r.sealed_key = st.text(2);
  r.ipaddress = st.text(3);
  r.macaddress = st.text(4);
  r.ext_data = st.text(5);
  r.status = st.text(6) == "valid" ? Status::valid : Status::deleted;
  r.created_ms = st.int64(7);
  r.owner_keyid = st.optional_int64(8);
  return r;
}

constexpr const char* k_cert_columns =
  "keynumber, serial, catype, ca_name, deviceid, kind, subject, cert_der, sealed_key, status, not_after_ms, "
  "filepath, replaced_by, revoked_at_ms, created_ms, "
  "(SELECT d.owner_keyid FROM devices d WHERE d.deviceid = certs.deviceid)";

CertRecord cert_from(Statement& st)
{
  CertRecord r;
  r.keynumber = st.int64(0);
  r.serial = st.text(1);
  r.catype = st.text(2);
  r.ca_name = st.optional_text(3);
  r.deviceid = st.optional_text(4);
  r.kind = kind_from(st.text(5));
  r.subject = st.text(6);
  r.cert_der = st.text(7);
  r.sealed_key = st.text(8);
  r.status = cert_status_from(st.text(9));
  r.not_after_ms = st.int64(10);
  r.filepath = st.text(11);
  r.replaced_by = st.optional_int64(12);
  r.revoked_at_ms = st.optional_int64(13);
  r.created_ms = st.int64(14);
  r.owner_keyid = st.optional_int64(15);
  return r;
}

std::string select_certs(const char* where)
{
  return std::string("SELECT ") + k_cert_columns + " FROM certs " + where;
}

const char* key_status_name(KeyStatus st)
{
  switch (st) {
  case KeyStatus::updated:
    return "updated";
  case KeyStatus::deleted:
    return "deleted";
  case KeyStatus::valid:
    break;
  }
  return "valid";
}

KeyStatus key_status_from(const std::string& s)
{
  return s == "updated" ? KeyStatus::updated : s == "deleted" ? KeyStatus::deleted : KeyStatus::valid;
}

// The owner of a key is that of the device that created it, looked up by primary key.
constexpr const char* k_key_owner = "(SELECT d.owner_keyid FROM devices d WHERE d.deviceid = keys.deviceid)";

const std::string k_key_columns =
  std::string("keynumber, keytype, keylength, alias, sealed_key, status, expiration_ms, replaced_by, deviceid, "
              "created_ms, ") + k_key_owner;

KeyRecord key_from(Statement& st)
{
  KeyRecord r;
  r.keynumber = st.int64(0);
  r.keytype = st.text(1);
  r.keylength = static_cast<int>(st.int64(2));
  r.alias = st.text(3);
  r.sealed_key = st.text(4);
  r.status = key_status_from(st.text(5));
  r.expiration_ms = st.int64(6);
  r.replaced_by = st.optional_int64(7);
  r.deviceid = st.text(8);
  r.created_ms = st.int64(9);
  r.owner_keyid = st.optional_int64(10);
  return r;
}

std::string select_keys(const char* where)
{
  return std::string("SELECT ") + k_key_columns + " FROM keys " + where;
}

// Return whether table has a column named column.
bool has_column(SqliteStatementCache& cache, const std::string& table, const std::string& column)
{
  Statement st(cache, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  st.bind(1, table).bind(2, column);
  return st.step();
}

// Bring a store made by an older version to the current schema: add the columns it
// lacks (their old rows get NULL). Idempotent, and serialized with other processes
// opening the same file by the write lock of BEGIN IMMEDIATE.
void migrate(sqlite3* db, SqliteStatementCache& cache)
{
  struct Added {
    const char* table;
    const char* column;
    const char* declaration;
  };
  static constexpr Added k_added[] = {
    {"devices", "owner_keyid", "INTEGER REFERENCES ids (keyid)"},
    {"events", "keyid", "INTEGER"},
  };
  int depth = 0;
  Transaction tx(db, depth);
  for (const Added& a : k_added) {
    if (!has_column(cache, a.table, a.column)) {
      exec(db, (std::string("ALTER TABLE ") + a.table + " ADD COLUMN " + a.column + " " + a.declaration).c_str());
    }
  }
  Statement(cache, "UPDATE meta SET value = '2' WHERE key = 'schema_version' AND value <> '2'").step();
  tx.commit();
}

}  // namespace

SqliteStore::SqliteStore(std::filesystem::path path) : m_path(std::move(path))
{
  // Create the file 0600 ourselves: SQLite would use the umask.
  if (const int fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); fd >= 0) {
    ::close(fd);
  }
  if (sqlite3_open_v2(m_path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    const std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
    sqlite3_close(m_db);
    m_db = nullptr;
    throw StoreError(1601, m_path.string() + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(m_db, 5000);
    // WAL lets readers proceed during a write; FULL keeps an issued credential across power loss.
    exec(m_db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    exec(m_db, k_schema);
  } catch (...) {
    sqlite3_close(m_db);  // the destructor does not run for a throwing constructor
    m_db = nullptr;
    throw;
  }
  m_statements = std::make_unique<SqliteStatementCache>(m_db);
  try {
    migrate(m_db, *m_statements);
  } catch (...) {
    m_statements.reset();
    sqlite3_close(m_db);
    m_db = nullptr;
    throw;
  }
  struct stat st {};
  if (::stat(m_path.c_str(), &st) == 0) {
    m_device = st.st_dev;
    m_inode = st.st_ino;
  }
}

SqliteStore::~SqliteStore()
{
  m_statements.reset();  // a connection with unfinalized statements does not close
  sqlite3_close(m_db);
}

bool SqliteStore::initialized()
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "SELECT value FROM meta WHERE key = 'initialized'");
  return st.step();
}

void SqliteStore::initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs)
{
  std::lock_guard lock(m_mutex);
  Transaction tx(m_db, m_depth);
  for (const auto& [name, pair] : pairs) {
    Statement st(*m_statements, "INSERT OR REPLACE INTO key_pairs (name, cert_pem, sealed_key) VALUES (?, ?, ?)");
    st.bind(1, name).bind(2, pair.cert_pem).bind_blob(3, pair.sealed_key).step();
  }
  Statement(*m_statements, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '2')").step();
  Statement(*m_statements, "INSERT OR REPLACE INTO meta (key, value) VALUES ('initialized', '1')").step();
  tx.commit();
}

std::optional<StoredKeyPair> SqliteStore::key_pair(const std::string& name)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "SELECT cert_pem, sealed_key FROM key_pairs WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) {
    return std::nullopt;
  }
  return StoredKeyPair{st.text(0), st.text(1)};
}

IdRecord SqliteStore::create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal)
{
  std::lock_guard lock(m_mutex);
  Transaction tx(m_db, m_depth);
  Statement next(*m_statements, "SELECT COALESCE(MAX(keyid), 0) + 1 FROM ids");
  next.step();
  IdRecord r = fields;
  r.keyid = next.int64(0);
  if (r.keyid > 9'999'999'999) {
    throw StoreError(1205, "keyid numbers exhausted");
  }
  r.sealed_key = seal(r.keyid);
  Statement ins(*m_statements, "INSERT INTO ids (keyid, tenantid, alias, sealed_key, status, expiration) VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, r.keyid).bind(2, r.tenantid).bind(3, r.alias).bind_blob(4, r.sealed_key);
  ins.bind(5, std::string(status_name(r.status))).bind(6, r.expiration_ms).step();
  tx.commit();
  return r;
}

std::optional<IdRecord> SqliteStore::find_id(std::int64_t keyid)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, (std::string("SELECT ") + k_id_columns + " FROM ids WHERE keyid = ?").c_str());
  st.bind(1, keyid);
  if (!st.step()) {
    return std::nullopt;
  }
  return id_from(st);
}

std::vector<IdRecord> SqliteStore::valid_ids(std::int64_t now_ms)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, (std::string("SELECT ") + k_id_columns
                      + " FROM ids WHERE status = 'valid' AND expiration > ? ORDER BY keyid").c_str());
  st.bind(1, now_ms);
  std::vector<IdRecord> out;
  while (st.step()) {
    out.push_back(id_from(st));
  }
  return out;
}

void SqliteStore::set_id_status(std::int64_t keyid, Status status)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "UPDATE ids SET status = ? WHERE keyid = ?");
  st.bind(1, std::string(status_name(status))).bind(2, keyid).step();
}

void SqliteStore::check_health()
{
  std::lock_guard lock(m_mutex);
  // A database file removed or replaced under a running server means this process
  // writes where nobody will read: report it instead of carrying on.
  struct stat st_path {};
  if (::stat(m_path.c_str(), &st_path) != 0) {
    throw StoreError(1601, m_path.string() + ": database file is missing");
  }
  if (st_path.st_dev != m_device || st_path.st_ino != m_inode) {
    throw StoreError(1601, m_path.string() + ": database file was replaced; restart the server to use it");
  }
  Statement st(*m_statements, "SELECT COUNT(*) FROM meta");
  st.step();
}

void SqliteStore::transaction(const std::function<void()>& body)
{
  std::lock_guard lock(m_mutex);
  Transaction tx(m_db, m_depth);
  body();
  tx.commit();
}

std::int64_t SqliteStore::next_sequence(const std::string& name)
{
  std::lock_guard lock(m_mutex);
  Transaction tx(m_db, m_depth);
  Statement up(*m_statements, "INSERT INTO sequences (name, value) VALUES (?, 1) "
                     "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value");
  up.bind(1, name);
  if (!up.step()) {
    fail(m_db, "next_sequence");
  }
  const std::int64_t value = up.int64(0);
  while (up.step()) {
  }
  tx.commit();
  return value;
}

std::int64_t SqliteStore::allocate_keynumber(const std::string& kind)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "INSERT INTO keynumbers (kind) VALUES (?)");
  st.bind(1, kind).step();
  return sqlite3_last_insert_rowid(m_db);
}

DeviceRecord SqliteStore::create_device(const DeviceRecord& fields,
                                        const std::function<std::string(const std::string&)>& seal)
{
  std::lock_guard lock(m_mutex);
  Transaction tx(m_db, m_depth);
  const std::int64_t number = next_sequence("deviceid");
  if (number > 9'999'999'999) {
    throw StoreError(1602, "deviceid numbers exhausted");
  }
  DeviceRecord r = fields;
  r.deviceid = format_keyid(number);
  r.sealed_key = seal(r.deviceid);
  Statement ins(*m_statements, "INSERT INTO devices (deviceid, devicename, sealed_key, ipaddress, macaddress, ext_data, "
                      "status, created_ms, owner_keyid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, r.deviceid).bind(2, r.devicename).bind_blob(3, r.sealed_key).bind(4, r.ipaddress);
  ins.bind(5, r.macaddress).bind(6, r.ext_data).bind(7, std::string(status_name(r.status))).bind(8, r.created_ms);
  ins.bind(9, r.owner_keyid).step();
  tx.commit();
  return r;
}

std::optional<DeviceRecord> SqliteStore::find_device_by_name(const std::string& devicename)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, (std::string("SELECT ") + k_device_columns + " FROM devices WHERE devicename = ?").c_str());
  st.bind(1, devicename);
  if (!st.step()) {
    return std::nullopt;
  }
  return device_from(st);
}

void SqliteStore::update_device_info(const DeviceRecord& r)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "UPDATE devices SET ipaddress = ?, macaddress = ?, ext_data = ? WHERE deviceid = ?");
  st.bind(1, r.ipaddress).bind(2, r.macaddress).bind(3, r.ext_data).bind(4, r.deviceid).step();
}

bool SqliteStore::claim_device(const std::string& deviceid, std::int64_t keyid)
{
  std::lock_guard lock(m_mutex);
  // One statement: of two IDs claiming at once, the second finds the owner set.
  Statement up(*m_statements, "UPDATE devices SET owner_keyid = ? WHERE deviceid = ? AND owner_keyid IS NULL");
  up.bind(1, keyid).bind(2, deviceid).step();
  Statement st(*m_statements, "SELECT owner_keyid FROM devices WHERE deviceid = ?");
  st.bind(1, deviceid);
  return st.step() && st.optional_int64(0) == keyid;
}

bool SqliteStore::add_fleet_grant(std::int64_t keyid, std::int64_t now_ms)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "INSERT INTO fleet_grants (keyid, granted_ms) VALUES (?, ?) ON CONFLICT (keyid) DO NOTHING");
  st.bind(1, keyid).bind(2, now_ms).step();
  return sqlite3_changes(m_db) == 1;
}

bool SqliteStore::remove_fleet_grant(std::int64_t keyid)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "DELETE FROM fleet_grants WHERE keyid = ?");
  st.bind(1, keyid).step();
  return sqlite3_changes(m_db) == 1;
}

bool SqliteStore::has_fleet_grant(std::int64_t keyid)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "SELECT 1 FROM fleet_grants WHERE keyid = ?");
  st.bind(1, keyid);
  return st.step();
}

std::vector<FleetGrant> SqliteStore::fleet_grants()
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "SELECT keyid, granted_ms FROM fleet_grants ORDER BY keyid");
  std::vector<FleetGrant> out;
  while (st.step()) {
    out.push_back(FleetGrant{st.int64(0), st.int64(1)});
  }
  return out;
}

bool SqliteStore::serial_exists(const std::string& serial)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "SELECT 1 FROM certs WHERE serial = ?");
  st.bind(1, serial);
  return st.step();
}

void SqliteStore::insert_certificate(const CertRecord& r)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "INSERT INTO certs (keynumber, serial, catype, ca_name, deviceid, kind, subject, cert_der, "
                     "sealed_key, status, not_after_ms, filepath, replaced_by, revoked_at_ms, created_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, r.keynumber).bind(2, r.serial).bind(3, r.catype).bind(4, r.ca_name).bind(5, r.deviceid);
  st.bind(6, std::string(kind_name(r.kind))).bind(7, r.subject).bind_blob(8, r.cert_der).bind_blob(9, r.sealed_key);
  st.bind(10, std::string(cert_status_name(r.status))).bind(11, r.not_after_ms).bind(12, r.filepath);
  st.bind(13, r.replaced_by).bind(14, r.revoked_at_ms).bind(15, r.created_ms);
  st.step();
}

std::optional<CertRecord> SqliteStore::find_certificate(std::int64_t keynumber)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, select_certs("WHERE keynumber = ?").c_str());
  st.bind(1, keynumber);
  if (!st.step()) {
    return std::nullopt;
  }
  return cert_from(st);
}

std::optional<CertRecord> SqliteStore::find_certificate_by_serial(const std::string& serial)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, select_certs("WHERE serial = ?").c_str());
  st.bind(1, serial);
  if (!st.step()) {
    return std::nullopt;
  }
  return cert_from(st);
}

std::optional<CertRecord> SqliteStore::find_ca_certificate(const std::string& ca_name)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, select_certs("WHERE ca_name = ?").c_str());
  st.bind(1, ca_name);
  if (!st.step()) {
    return std::nullopt;
  }
  return cert_from(st);
}

void SqliteStore::update_certificate(const CertRecord& r)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "UPDATE certs SET status = ?, filepath = ?, replaced_by = ?, revoked_at_ms = ? "
                     "WHERE keynumber = ?");
  st.bind(1, std::string(cert_status_name(r.status))).bind(2, r.filepath).bind(3, r.replaced_by);
  st.bind(4, r.revoked_at_ms).bind(5, r.keynumber).step();
  if (sqlite3_changes(m_db) != 1) {
    throw StoreError(1602, "update_certificate: no certificate " + std::to_string(r.keynumber));
  }
}

std::vector<CertRecord> SqliteStore::revoked_certificates(const std::string& catype)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, select_certs("WHERE catype = ? AND status = 'revoked' ORDER BY revoked_at_ms, keynumber").c_str());
  st.bind(1, catype);
  std::vector<CertRecord> out;
  while (st.step()) {
    out.push_back(cert_from(st));
  }
  return out;
}

void SqliteStore::insert_key(const KeyRecord& r)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "INSERT INTO keys (keynumber, keytype, keylength, alias, sealed_key, status, expiration_ms, "
                     "replaced_by, deviceid, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, r.keynumber).bind(2, r.keytype).bind(3, std::int64_t{r.keylength}).bind(4, r.alias);
  st.bind_blob(5, r.sealed_key).bind(6, std::string(key_status_name(r.status))).bind(7, r.expiration_ms);
  st.bind(8, r.replaced_by).bind(9, r.deviceid).bind(10, r.created_ms);
  st.step();
}

std::optional<KeyRecord> SqliteStore::find_key(std::int64_t keynumber)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, select_keys("WHERE keynumber = ?").c_str());
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
  std::lock_guard lock(m_mutex);
  // keys_by_alias gives the candidates newest first; the first that passes is the answer.
  Statement st(*m_statements, select_keys((std::string("WHERE alias = ? AND status = 'valid' AND (? OR expiration_ms > ?) "
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
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "UPDATE keys SET status = ?, alias = ?, replaced_by = ?, sealed_key = ? WHERE keynumber = ?");
  st.bind(1, std::string(key_status_name(r.status))).bind(2, r.alias).bind(3, r.replaced_by);
  st.bind_blob(4, r.sealed_key).bind(5, r.keynumber).step();
  if (sqlite3_changes(m_db) != 1) {
    throw StoreError(1602, "update_key: no key " + std::to_string(r.keynumber));
  }
}

void SqliteStore::bind_key(std::int64_t keynumber, const std::string& deviceid, const std::string& filepath)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "INSERT INTO key_bindings (keynumber, deviceid, filepath) VALUES (?, ?, ?) "
                     "ON CONFLICT (keynumber, deviceid) DO UPDATE SET filepath = excluded.filepath");
  st.bind(1, keynumber).bind(2, deviceid).bind(3, filepath).step();
}

std::optional<std::string> SqliteStore::find_binding(std::int64_t keynumber, const std::string& deviceid)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "SELECT filepath FROM key_bindings WHERE keynumber = ? AND deviceid = ?");
  st.bind(1, keynumber).bind(2, deviceid);
  if (!st.step()) {
    return std::nullopt;
  }
  return st.text(0);
}

std::vector<std::optional<DeviceKeyRecord>> SqliteStore::find_keys_for_device(
  const std::string& deviceid, const std::vector<std::int64_t>& keynumbers)
{
  std::lock_guard lock(m_mutex);
  // One primary-key lookup per number, the binding checked in the same step.
  Statement st(*m_statements, std::string("SELECT ") + k_key_columns
                                + ", EXISTS (SELECT 1 FROM key_bindings b WHERE b.keynumber = keys.keynumber "
                                  "AND b.deviceid = ?1) FROM keys WHERE keynumber = ?2");
  constexpr int k_bound_column = 11;
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
  std::lock_guard lock(m_mutex);
  // key_bindings_by_device gives the device's numbers in order; each key is one lookup.
  Statement st(*m_statements, "SELECT b.keynumber FROM key_bindings b JOIN keys k ON k.keynumber = b.keynumber "
                              "WHERE b.deviceid = ? AND k.status = 'valid' AND k.expiration_ms > ? "
                              "AND (? IS NULL OR (SELECT d.owner_keyid FROM devices d WHERE d.deviceid = k.deviceid) = ?) "
                              "ORDER BY b.keynumber");
  st.bind(1, deviceid).bind(2, now_ms).bind(3, scope.owner).bind(4, scope.owner);
  std::vector<std::int64_t> out;
  while (st.step()) {
    out.push_back(st.int64(0));
  }
  return out;
}

void SqliteStore::record_event(const EventRecord& e)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "INSERT INTO events (deviceid, api, mode, keynumber, filepath, at_ms, keyid) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, e.deviceid).bind(2, e.api).bind(3, e.mode).bind(4, e.keynumber).bind(5, e.filepath).bind(6, e.at_ms);
  st.bind(7, e.keyid).step();
}

std::vector<EventRecord> SqliteStore::device_events(const std::string& deviceid)
{
  std::lock_guard lock(m_mutex);
  Statement st(*m_statements, "SELECT id, deviceid, api, mode, keynumber, filepath, at_ms, keyid FROM events "
                     "WHERE deviceid = ? ORDER BY id");
  st.bind(1, deviceid);
  std::vector<EventRecord> out;
  while (st.step()) {
    EventRecord e;
    e.id = st.int64(0);
    e.deviceid = st.text(1);
    e.api = st.text(2);
    e.mode = st.text(3);
    e.keynumber = st.optional_int64(4);
    e.filepath = st.text(5);
    e.at_ms = st.int64(6);
    e.keyid = st.optional_int64(7);
    out.push_back(std::move(e));
  }
  return out;
}


}  // namespace clm::server
