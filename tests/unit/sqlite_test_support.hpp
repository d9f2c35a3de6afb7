// Reaching into a SQLite database file behind the store's back, as another process would:
// the tests use it to make the states an older build or a damaged file leaves.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace clm::test {

// Run sql on the database file at db_path through a connection of its own. Like any second
// process it waits (up to 5 s) while the store's writers hold the file, instead of failing busy.
inline void exec_sql(const std::filesystem::path& db_path, const std::string& sql)
{
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << msg;
}

}  // namespace clm::test
