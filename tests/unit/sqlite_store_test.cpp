// Tests of the embedded SQLite store: file mode, initialization, key pairs,
// IDs, and the errorcodes (1601/1602/1205) its failures carry.
#include "store/sqlite_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::server::IdRecord;
using clm::server::SqliteStore;
using clm::server::Status;
using clm::server::StoredKeyPair;
using clm::server::StoreError;
using clm::test::mode_of;
using clm::test::TempDirTest;
using clm::test::write_plain;

constexpr std::int64_t k_now = 1'700'000'000'000;
constexpr std::int64_t k_day_ms = 86'400'000;

// Return the errorcode of the StoreError f throws, or nullopt when it throws none.
template <typename F>
std::optional<int> store_errorcode_of(F&& f)
{
  try {
    f();
  } catch (const StoreError& e) {
    return e.errorcode();
  }
  return std::nullopt;
}

// Run sql on the database file through a separate connection, as another process would.
void exec_sql(const fs::path& db_path, const std::string& sql)
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

IdRecord id_fields(const std::string& alias, std::int64_t expiration_ms, const std::string& tenantid = "TenantA")
{
  IdRecord r;
  r.tenantid = tenantid;
  r.alias = alias;
  r.expiration_ms = expiration_ms;
  return r;
}

std::string seal_for(std::int64_t keyid)
{
  return "sealed-" + std::to_string(keyid);
}

class SqliteStoreTest : public TempDirTest {
protected:
  SqliteStoreTest() : TempDirTest("clm-store") {}

  fs::path db_path() const { return dir() / "clm.db"; }

  // Create an ID that expires a day after k_now; return it.
  static IdRecord add(SqliteStore& store, const std::string& alias, std::int64_t expiration_ms = k_now + k_day_ms)
  {
    return store.create_id(id_fields(alias, expiration_ms), seal_for);
  }
};

// ---- file and initialization -----------------------------------------------

TEST_F(SqliteStoreTest, database_file_is_created_0600)
{
  const SqliteStore store(db_path());
  ASSERT_TRUE(fs::exists(db_path()));
  EXPECT_EQ(mode_of(db_path()), 0600u);
}

TEST_F(SqliteStoreTest, wal_and_shm_files_are_0600_too)
{
  SqliteStore store(db_path());
  add(store, "host01");
  for (const char* suffix : {"-wal", "-shm"}) {
    const fs::path p = db_path().string() + suffix;
    if (fs::exists(p)) {
      EXPECT_EQ(mode_of(p), 0600u) << p;
    }
  }
}

TEST_F(SqliteStoreTest, missing_directory_is_1601)
{
  EXPECT_EQ(store_errorcode_of([&] { SqliteStore store(dir() / "missing" / "clm.db"); }), 1601);
}

TEST_F(SqliteStoreTest, fresh_store_is_not_initialized)
{
  SqliteStore store(db_path());
  EXPECT_FALSE(store.initialized());
}

TEST_F(SqliteStoreTest, initialize_marks_the_store_initialized)
{
  SqliteStore store(db_path());
  store.initialize({});
  EXPECT_TRUE(store.initialized());
}

TEST_F(SqliteStoreTest, initialization_survives_reopening)
{
  {
    SqliteStore store(db_path());
    store.initialize({{"CA", StoredKeyPair{"cert", "key"}}});
  }
  SqliteStore reopened(db_path());
  EXPECT_TRUE(reopened.initialized());
  EXPECT_TRUE(reopened.key_pair("CA").has_value());
}

// ---- key pairs -------------------------------------------------------------

TEST_F(SqliteStoreTest, key_pairs_round_trip)
{
  SqliteStore store(db_path());
  const std::string binary_key("\x00\x01sealed\xff\x00tail", 14);
  store.initialize({{"CA", StoredKeyPair{"-----BEGIN CERTIFICATE-----\nA\n", binary_key}},
                    {"tls", StoredKeyPair{"tls cert", "tls key"}}});
  const auto ca = store.key_pair("CA");
  ASSERT_TRUE(ca.has_value());
  EXPECT_EQ(ca->cert_pem, "-----BEGIN CERTIFICATE-----\nA\n");
  EXPECT_EQ(ca->sealed_key, binary_key) << "binary sealed key was altered";
  const auto tls = store.key_pair("tls");
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->cert_pem, "tls cert");
  EXPECT_EQ(tls->sealed_key, "tls key");
}

TEST_F(SqliteStoreTest, unknown_key_pair_is_nullopt)
{
  SqliteStore store(db_path());
  store.initialize({{"CA", StoredKeyPair{"c", "k"}}});
  EXPECT_FALSE(store.key_pair("ca1").has_value());
  EXPECT_FALSE(store.key_pair("").has_value());
}

TEST_F(SqliteStoreTest, initialize_replaces_a_key_pair_of_the_same_name)
{
  SqliteStore store(db_path());
  store.initialize({{"tls", StoredKeyPair{"old", "old"}}});
  store.initialize({{"tls", StoredKeyPair{"new", "new"}}});
  const auto tls = store.key_pair("tls");
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->cert_pem, "new");
}

// ---- IDs -------------------------------------------------------------------

TEST_F(SqliteStoreTest, create_id_assigns_1_2_3)
{
  SqliteStore store(db_path());
  EXPECT_EQ(add(store, "a").keyid, 1);
  EXPECT_EQ(add(store, "b").keyid, 2);
  EXPECT_EQ(add(store, "c").keyid, 3);
}

TEST_F(SqliteStoreTest, create_id_passes_the_new_keyid_to_seal)
{
  SqliteStore store(db_path());
  std::vector<std::int64_t> sealed_for;
  for (int i = 0; i < 3; ++i) {
    const IdRecord r = store.create_id(id_fields("a", k_now + k_day_ms), [&](std::int64_t keyid) {
      sealed_for.push_back(keyid);
      return seal_for(keyid);
    });
    EXPECT_EQ(r.sealed_key, seal_for(r.keyid));
  }
  EXPECT_EQ(sealed_for, (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(SqliteStoreTest, create_id_returns_the_stored_record)
{
  SqliteStore store(db_path());
  const IdRecord r = store.create_id(id_fields("host01", k_now + 5, "TenantB"), seal_for);
  EXPECT_EQ(r.keyid, 1);
  EXPECT_EQ(r.tenantid, "TenantB");
  EXPECT_EQ(r.alias, "host01");
  EXPECT_EQ(r.sealed_key, "sealed-1");
  EXPECT_EQ(r.status, Status::valid);
  EXPECT_EQ(r.expiration_ms, k_now + 5);
}

TEST_F(SqliteStoreTest, find_id_returns_what_create_id_stored)
{
  SqliteStore store(db_path());
  const std::string binary_seal("\x00\x80\xff\x00", 4);
  store.create_id(id_fields("host01", k_now + 5, "TenantB"), [&](std::int64_t) { return binary_seal; });
  const auto r = store.find_id(1);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->keyid, 1);
  EXPECT_EQ(r->tenantid, "TenantB");
  EXPECT_EQ(r->alias, "host01");
  EXPECT_EQ(r->sealed_key, binary_seal);
  EXPECT_EQ(r->status, Status::valid);
  EXPECT_EQ(r->expiration_ms, k_now + 5);
}

TEST_F(SqliteStoreTest, find_unknown_id_is_nullopt)
{
  SqliteStore store(db_path());
  add(store, "a");
  EXPECT_FALSE(store.find_id(0).has_value());
  EXPECT_FALSE(store.find_id(2).has_value());
  EXPECT_FALSE(store.find_id(9999999999).has_value());
}

TEST_F(SqliteStoreTest, ids_survive_reopening)
{
  {
    SqliteStore store(db_path());
    add(store, "a");
    add(store, "b");
  }
  SqliteStore reopened(db_path());
  ASSERT_TRUE(reopened.find_id(2).has_value());
  EXPECT_EQ(reopened.find_id(2)->alias, "b");
  EXPECT_EQ(add(reopened, "c").keyid, 3);
}

TEST_F(SqliteStoreTest, failed_seal_stores_nothing)
{
  SqliteStore store(db_path());
  EXPECT_THROW(store.create_id(id_fields("a", k_now + k_day_ms),
                               [](std::int64_t) -> std::string { throw std::runtime_error("seal failed"); }),
               std::runtime_error);
  EXPECT_FALSE(store.find_id(1).has_value());
  EXPECT_EQ(add(store, "b").keyid, 1);
}

TEST_F(SqliteStoreTest, set_id_status_marks_deleted_and_back)
{
  SqliteStore store(db_path());
  add(store, "a");
  store.set_id_status(1, Status::deleted);
  EXPECT_EQ(store.find_id(1)->status, Status::deleted);
  store.set_id_status(1, Status::valid);
  EXPECT_EQ(store.find_id(1)->status, Status::valid);
}

TEST_F(SqliteStoreTest, set_id_status_touches_only_that_id)
{
  SqliteStore store(db_path());
  add(store, "a");
  add(store, "b");
  store.set_id_status(2, Status::deleted);
  EXPECT_EQ(store.find_id(1)->status, Status::valid);
  EXPECT_EQ(store.find_id(2)->status, Status::deleted);
}

TEST_F(SqliteStoreTest, valid_ids_excludes_deleted_and_expired)
{
  SqliteStore store(db_path());
  add(store, "valid-1");
  add(store, "deleted");
  add(store, "expired", k_now - 1);
  add(store, "valid-2");
  store.set_id_status(2, Status::deleted);
  const auto ids = store.valid_ids(k_now);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].keyid, 1);
  EXPECT_EQ(ids[0].alias, "valid-1");
  EXPECT_EQ(ids[1].keyid, 4);
  EXPECT_EQ(ids[1].alias, "valid-2");
  EXPECT_EQ(ids[1].sealed_key, "sealed-4");
}

TEST_F(SqliteStoreTest, id_expiring_exactly_now_is_not_valid)
{
  SqliteStore store(db_path());
  add(store, "edge", k_now);
  EXPECT_TRUE(store.valid_ids(k_now).empty());
  EXPECT_EQ(store.valid_ids(k_now - 1).size(), 1u);
}

TEST_F(SqliteStoreTest, valid_ids_of_empty_store_is_empty)
{
  SqliteStore store(db_path());
  EXPECT_TRUE(store.valid_ids(k_now).empty());
}

TEST_F(SqliteStoreTest, exhausted_keyids_are_1205)
{
  SqliteStore store(db_path());
  exec_sql(db_path(), "INSERT INTO ids (keyid, tenantid, alias, sealed_key, status, expiration) "
                      "VALUES (9999999999, 'T', 'last', x'00', 'valid', 1)");
  bool sealed = false;
  const auto code = store_errorcode_of([&] {
    store.create_id(id_fields("one-too-many", k_now + k_day_ms), [&](std::int64_t keyid) {
      sealed = true;
      return seal_for(keyid);
    });
  });
  EXPECT_EQ(code, 1205);
  EXPECT_FALSE(sealed) << "a password was sealed for a keyid beyond 9999999999";
  EXPECT_FALSE(store.find_id(10000000000).has_value());
}

// ---- failures --------------------------------------------------------------

TEST_F(SqliteStoreTest, healthy_store_passes_check_health)
{
  SqliteStore store(db_path());
  store.initialize({});
  EXPECT_NO_THROW(store.check_health());
}

TEST_F(SqliteStoreTest, removed_database_file_is_1601)
{
  SqliteStore store(db_path());
  store.initialize({});
  ASSERT_EQ(::unlink(db_path().c_str()), 0);
  EXPECT_EQ(store_errorcode_of([&] { store.check_health(); }), 1601);
}

TEST_F(SqliteStoreTest, replaced_database_file_is_1601)
{
  SqliteStore store(db_path());
  store.initialize({});
  // A copy is moved over the path (as a restore from backup would): this connection
  // still uses the old, now unlinked file, so what it writes is lost to everyone else.
  const fs::path copy = dir() / "restored.db";
  fs::copy_file(db_path(), copy);
  ASSERT_EQ(::rename(copy.c_str(), db_path().c_str()), 0);
  EXPECT_EQ(store_errorcode_of([&] { store.check_health(); }), 1601);
}

TEST_F(SqliteStoreTest, file_that_is_not_a_database_is_refused)
{
  write_plain(db_path(), std::string(4096, 'x'));
  const auto code = store_errorcode_of([&] { SqliteStore store(db_path()); });
  ASSERT_TRUE(code.has_value()) << "opened a file that is not a database";
  EXPECT_TRUE(*code == 1601 || *code == 1602) << "errorcode " << *code;
}

TEST_F(SqliteStoreTest, dropped_table_is_1602)
{
  SqliteStore store(db_path());
  add(store, "a");
  exec_sql(db_path(), "DROP TABLE ids");
  EXPECT_EQ(store_errorcode_of([&] { store.find_id(1); }), 1602);
  EXPECT_EQ(store_errorcode_of([&] { store.valid_ids(k_now); }), 1602);
  EXPECT_EQ(store_errorcode_of([&] { add(store, "b"); }), 1602);
  EXPECT_EQ(store_errorcode_of([&] { store.set_id_status(1, Status::deleted); }), 1602);
}

TEST_F(SqliteStoreTest, dropped_meta_table_fails_health_check)
{
  SqliteStore store(db_path());
  store.initialize({});
  exec_sql(db_path(), "DROP TABLE meta");
  const auto code = store_errorcode_of([&] { store.check_health(); });
  ASSERT_TRUE(code.has_value()) << "check_health passed without its table";
  EXPECT_EQ(*code, 1602);
}

TEST_F(SqliteStoreTest, store_error_is_a_runtime_error_with_a_message)
{
  SqliteStore store(db_path());
  exec_sql(db_path(), "DROP TABLE ids");
  try {
    store.find_id(1);
    FAIL() << "no StoreError";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()), "");
  }
}

}  // namespace
