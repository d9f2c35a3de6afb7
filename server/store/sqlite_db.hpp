// The SQLite engine under SqliteStore: cached prepared statements, nested transactions,
// errors as StoreError. What rows mean is SqliteStore's business, not this file's.
#pragma once

#include "store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace clm::server {

// Throw StoreError 1602 saying what failed and SQLite's message for db.
[[noreturn]] void sqlite_fail(sqlite3* db, const std::string& what);

// Run sql (several statements allowed); StoreError 1602 on failure.
void sqlite_exec(sqlite3* db, const char* sql);

// Prepared statements kept for the life of the connection, by SQL text: preparing costs
// more than running most of our statements, and a batch request runs them thousands of times.
struct SqliteStatementCache {
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool busy = false;  // borrowed by a live SqliteStatement
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

// A prepared statement borrowed from the cache and reset on scope exit; one prepared
// for this use alone (finalized on scope exit) when the cached one is in use already.
class SqliteStatement {
public:
  SqliteStatement(SqliteStatementCache& cache, const std::string& sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int i, std::int64_t v)
  {
    check(sqlite3_bind_int64(m_stmt, i, v));
    return *this;
  }
  SqliteStatement& bind(int i, const std::string& v)
  {
    check(sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  SqliteStatement& bind_blob(int i, const std::string& v)
  {
    check(sqlite3_bind_blob(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  // Bind v, or NULL when it is absent.
  template <typename T>
  SqliteStatement& bind(int i, const std::optional<T>& v)
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
  bool step();

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
  void check(int rc);

  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
  SqliteStatementCache::Entry* m_entry = nullptr;  // set when borrowed from the cache
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when the scope is left by an exception.
// Inside another transaction it is a SAVEPOINT, so a failed inner part rolls back alone.
// depth counts the open levels of the connection; the caller holds its mutex.
class SqliteTransaction {
public:
  // write: BEGIN IMMEDIATE (the write lock at once); read: BEGIN (a snapshot at the first read).
  enum class Kind { write, read };
  SqliteTransaction(sqlite3* db, int& depth, Kind kind = Kind::write);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

private:
  sqlite3* m_db;
  int& m_depth;
  bool m_outer;
  bool m_done = false;
};

}  // namespace clm::server
