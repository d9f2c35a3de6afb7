#include "sqlite_db.hpp"

namespace clm::server {

void sqlite_fail(sqlite3* db, const std::string& what)
{
  throw StoreError(1602, what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

void sqlite_exec(sqlite3* db, const char* sql)
{
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(1602, std::string("exec: ") + msg);
  }
}

SqliteStatement::SqliteStatement(SqliteStatementCache& cache, const std::string& sql) : m_db(cache.db)
{
  auto [it, added] = cache.entries.try_emplace(sql);
  if (!it->second.busy) {
    if (added && sqlite3_prepare_v3(m_db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &it->second.stmt, nullptr) != SQLITE_OK) {
      cache.entries.erase(it);
      sqlite_fail(m_db, "prepare");
    }
    m_entry = &it->second;
    m_entry->busy = true;
    m_stmt = m_entry->stmt;
    return;
  }
  if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &m_stmt, nullptr) != SQLITE_OK) {
    sqlite_fail(m_db, "prepare");
  }
}

SqliteStatement::~SqliteStatement()
{
  if (m_entry) {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    m_entry->busy = false;
  } else {
    sqlite3_finalize(m_stmt);
  }
}

bool SqliteStatement::step()
{
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc != SQLITE_DONE) {
    sqlite_fail(m_db, "step");
  }
  return false;
}

void SqliteStatement::check(int rc)
{
  if (rc != SQLITE_OK) {
    sqlite_fail(m_db, "bind");
  }
}

SqliteTransaction::SqliteTransaction(sqlite3* db, int& depth, Kind kind)
  : m_db(db), m_depth(depth), m_outer(depth == 0)
{
  sqlite_exec(db, !m_outer ? "SAVEPOINT nested" : kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN");
  ++m_depth;
}

SqliteTransaction::~SqliteTransaction()
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

void SqliteTransaction::commit()
{
  sqlite_exec(m_db, m_outer ? "COMMIT" : "RELEASE nested");
  m_done = true;
  --m_depth;
}

}  // namespace clm::server
