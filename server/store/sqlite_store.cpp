#include "sqlite_store.hpp"

#include <clm/validate.hpp>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

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
)sql";

[[noreturn]] void fail(sqlite3* db, const std::string& what)
{
  throw StoreError(1602, what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

// A prepared statement, finalized on scope exit.
class Statement {
public:
  Statement(sqlite3* db, const char* sql) : m_db(db)
  {
    if (sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr) != SQLITE_OK) {
      fail(db, "prepare");
    }
  }
  ~Statement() { sqlite3_finalize(m_stmt); }
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
class Transaction {
public:
  explicit Transaction(sqlite3* db) : m_db(db) { exec(db, "BEGIN IMMEDIATE"); }
  ~Transaction()
  {
    if (!m_done) {
      sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit()
  {
    exec(m_db, "COMMIT");
    m_done = true;
  }

private:
  sqlite3* m_db;
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
  struct stat st {};
  if (::stat(m_path.c_str(), &st) == 0) {
    m_device = st.st_dev;
    m_inode = st.st_ino;
  }
}

SqliteStore::~SqliteStore()
{
  sqlite3_close(m_db);
}

bool SqliteStore::initialized()
{
  std::lock_guard lock(m_mutex);
  Statement st(m_db, "SELECT value FROM meta WHERE key = 'initialized'");
  return st.step();
}

void SqliteStore::initialize(const std::vector<std::pair<std::string, StoredKeyPair>>& pairs)
{
  std::lock_guard lock(m_mutex);
  Transaction tx(m_db);
  for (const auto& [name, pair] : pairs) {
    Statement st(m_db, "INSERT OR REPLACE INTO key_pairs (name, cert_pem, sealed_key) VALUES (?, ?, ?)");
    st.bind(1, name).bind(2, pair.cert_pem).bind_blob(3, pair.sealed_key).step();
  }
  Statement(m_db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '1')").step();
  Statement(m_db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('initialized', '1')").step();
  tx.commit();
}

std::optional<StoredKeyPair> SqliteStore::key_pair(const std::string& name)
{
  std::lock_guard lock(m_mutex);
  Statement st(m_db, "SELECT cert_pem, sealed_key FROM key_pairs WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) {
    return std::nullopt;
  }
  return StoredKeyPair{st.text(0), st.text(1)};
}

IdRecord SqliteStore::create_id(const IdRecord& fields, const std::function<std::string(std::int64_t)>& seal)
{
  std::lock_guard lock(m_mutex);
  Transaction tx(m_db);
  Statement next(m_db, "SELECT COALESCE(MAX(keyid), 0) + 1 FROM ids");
  next.step();
  IdRecord r = fields;
  r.keyid = next.int64(0);
  if (r.keyid > 9'999'999'999) {
    throw StoreError(1205, "keyid numbers exhausted");
  }
  r.sealed_key = seal(r.keyid);
  Statement ins(m_db, "INSERT INTO ids (keyid, tenantid, alias, sealed_key, status, expiration) VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(1, r.keyid).bind(2, r.tenantid).bind(3, r.alias).bind_blob(4, r.sealed_key);
  ins.bind(5, std::string(status_name(r.status))).bind(6, r.expiration_ms).step();
  tx.commit();
  return r;
}

std::optional<IdRecord> SqliteStore::find_id(std::int64_t keyid)
{
  std::lock_guard lock(m_mutex);
  Statement st(m_db, (std::string("SELECT ") + k_id_columns + " FROM ids WHERE keyid = ?").c_str());
  st.bind(1, keyid);
  if (!st.step()) {
    return std::nullopt;
  }
  return id_from(st);
}

std::vector<IdRecord> SqliteStore::valid_ids(std::int64_t now_ms)
{
  std::lock_guard lock(m_mutex);
  Statement st(m_db, (std::string("SELECT ") + k_id_columns
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
  Statement st(m_db, "UPDATE ids SET status = ? WHERE keyid = ?");
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
  Statement st(m_db, "SELECT COUNT(*) FROM meta");
  st.step();
}

}  // namespace clm::server
