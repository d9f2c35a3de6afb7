// Tests of the stores: the contract every backend keeps (StoreContract, CertContract:
// SQLite and PostgreSQL), and what is SQLite's own (file modes, a file replaced under
// it, schemas of older versions).
#include "store/cached_store.hpp"
#include "store/postgres_store.hpp"
#include "store/records.hpp"
#include "store/sqlite_store.hpp"
#include "pg_test_schema.hpp"
#include "sqlite_test_support.hpp"
#include "test_support.hpp"

#include <clm/error.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::server::CertKind;
using clm::server::CertRecord;
using clm::server::CertStatus;
using clm::server::DeviceRecord;
using clm::server::DeviceStatus;
using clm::server::EventRecord;
using clm::server::IdRecord;
using clm::server::KeyRecord;
using clm::server::KeyStatus;
using clm::server::SqliteStore;
using clm::server::Store;
using clm::server::Status;
using clm::server::StoredKeyPair;
using clm::server::StoreError;
using clm::test::exec_sql;
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

DeviceRecord device_fields(const std::string& name);

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
  static IdRecord add(Store& store, const std::string& alias, std::int64_t expiration_ms = k_now + k_day_ms)
  {
    return store.create_id(id_fields(alias, expiration_ms), seal_for);
  }
};

// The tests every backend must pass: SQLite in a temporary directory, and PostgreSQL
// in a schema of its own in the database CLM_TEST_PG_URI names (skipped without it;
// scripts/test starts a cluster and sets it).
// Name a parametrized test by its backend: StoreContract.create_id_assigns_1_2_3/sqlite.
std::string backend_name(const ::testing::TestParamInfo<std::string>& backend)
{
  return backend.param;
}

class StoreContract : public SqliteStoreTest, public ::testing::WithParamInterface<std::string> {
protected:
  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(SqliteStoreTest::SetUp());
    if (GetParam().rfind("postgresql", 0) == 0) {
      const char* uri = std::getenv("CLM_TEST_PG_URI");
      if (!uri || !*uri) {
        GTEST_SKIP() << "CLM_TEST_PG_URI is not set";
      }
      m_schema = std::make_unique<clm::test::PgTestSchema>(uri);
    }
  }
  void TearDown() override
  {
    m_schema.reset();
    SqliteStoreTest::TearDown();
  }

  // Run sql in the database under test, through a connection of its own.
  void exec_backend(const std::string& sql) const
  {
    if (m_schema) {
      m_schema->run(sql);
    } else {
      exec_sql(db_path(), sql);
    }
  }

  // Open the store under test (again: the same data).
  std::unique_ptr<Store> open() const
  {
    std::unique_ptr<Store> store;
    if (m_schema) {
      store = std::make_unique<clm::server::PostgresStore>(m_schema->uri(), 4);
    } else {
      store = std::make_unique<SqliteStore>(db_path());
    }
    if (cached()) {
      return std::make_unique<clm::server::CachedStore>(std::move(store), 1000);
    }
    return store;
  }

  // Whether the store under test has the server's read cache in front of it.
  bool cached() const { return GetParam().find("_cached") != std::string::npos; }

  // The PostgreSQL schema under test, or nullptr for SQLite.
  const clm::test::PgTestSchema* schema() const { return m_schema.get(); }

private:
  std::unique_ptr<clm::test::PgTestSchema> m_schema;
};

// Each also with the server's read cache in front (store/cached_store.hpp): it must
// not change a single answer.
INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values("sqlite", "postgresql", "sqlite_cached", "postgresql_cached"),
                         backend_name);

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

TEST_P(StoreContract, fresh_store_is_not_initialized)
{
  auto owned = open();
  Store& store = *owned;
  EXPECT_FALSE(store.initialized());
}

TEST_P(StoreContract, initialize_marks_the_store_initialized)
{
  auto owned = open();
  Store& store = *owned;
  store.initialize({});
  EXPECT_TRUE(store.initialized());
}

TEST_P(StoreContract, initialization_survives_reopening)
{
  {
    auto owned = open();
  Store& store = *owned;
    store.initialize({{"CA", StoredKeyPair{"cert", "key"}}});
  }
  auto reopened_owner = open();
  Store& reopened = *reopened_owner;
  EXPECT_TRUE(reopened.initialized());
  EXPECT_TRUE(reopened.key_pair("CA").has_value());
}

// ---- key pairs -------------------------------------------------------------

TEST_P(StoreContract, key_pairs_round_trip)
{
  auto owned = open();
  Store& store = *owned;
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

TEST_P(StoreContract, unknown_key_pair_is_nullopt)
{
  auto owned = open();
  Store& store = *owned;
  store.initialize({{"CA", StoredKeyPair{"c", "k"}}});
  EXPECT_FALSE(store.key_pair("ca1").has_value());
  EXPECT_FALSE(store.key_pair("").has_value());
}

TEST_P(StoreContract, initialize_replaces_a_key_pair_of_the_same_name)
{
  auto owned = open();
  Store& store = *owned;
  store.initialize({{"tls", StoredKeyPair{"old", "old"}}});
  store.initialize({{"tls", StoredKeyPair{"new", "new"}}});
  const auto tls = store.key_pair("tls");
  ASSERT_TRUE(tls.has_value());
  EXPECT_EQ(tls->cert_pem, "new");
}

// ---- IDs -------------------------------------------------------------------

TEST_P(StoreContract, create_id_assigns_1_2_3)
{
  auto owned = open();
  Store& store = *owned;
  EXPECT_EQ(add(store, "a").keyid, 1);
  EXPECT_EQ(add(store, "b").keyid, 2);
  EXPECT_EQ(add(store, "c").keyid, 3);
}

TEST_P(StoreContract, create_id_passes_the_new_keyid_to_seal)
{
  auto owned = open();
  Store& store = *owned;
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

TEST_P(StoreContract, create_id_returns_the_stored_record)
{
  auto owned = open();
  Store& store = *owned;
  const IdRecord r = store.create_id(id_fields("host01", k_now + 5, "TenantB"), seal_for);
  EXPECT_EQ(r.keyid, 1);
  EXPECT_EQ(r.tenantid, "TenantB");
  EXPECT_EQ(r.alias, "host01");
  EXPECT_EQ(r.sealed_key, "sealed-1");
  EXPECT_EQ(r.status, Status::valid);
  EXPECT_EQ(r.expiration_ms, k_now + 5);
}

TEST_P(StoreContract, find_id_returns_what_create_id_stored)
{
  auto owned = open();
  Store& store = *owned;
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

TEST_P(StoreContract, find_unknown_id_is_nullopt)
{
  auto owned = open();
  Store& store = *owned;
  add(store, "a");
  EXPECT_FALSE(store.find_id(0).has_value());
  EXPECT_FALSE(store.find_id(2).has_value());
  EXPECT_FALSE(store.find_id(9999999999).has_value());
}

TEST_P(StoreContract, ids_survive_reopening)
{
  {
    auto owned = open();
  Store& store = *owned;
    add(store, "a");
    add(store, "b");
  }
  auto reopened_owner = open();
  Store& reopened = *reopened_owner;
  ASSERT_TRUE(reopened.find_id(2).has_value());
  EXPECT_EQ(reopened.find_id(2)->alias, "b");
  EXPECT_EQ(add(reopened, "c").keyid, 3);
}

TEST_P(StoreContract, failed_seal_stores_nothing)
{
  auto owned = open();
  Store& store = *owned;
  EXPECT_THROW(store.create_id(id_fields("a", k_now + k_day_ms),
                               [](std::int64_t) -> std::string { throw std::runtime_error("seal failed"); }),
               std::runtime_error);
  EXPECT_FALSE(store.find_id(1).has_value());
  const std::int64_t b = add(store, "b").keyid;  // 1 (SQLite) or 2 (PostgreSQL skips)
  EXPECT_GE(b, 1);
  EXPECT_EQ(store.find_id(b)->alias, "b");
}

TEST_P(StoreContract, set_id_status_marks_deleted_and_back)
{
  auto owned = open();
  Store& store = *owned;
  add(store, "a");
  store.set_id_status(1, Status::deleted);
  EXPECT_EQ(store.find_id(1)->status, Status::deleted);
  store.set_id_status(1, Status::valid);
  EXPECT_EQ(store.find_id(1)->status, Status::valid);
}

TEST_P(StoreContract, set_id_status_touches_only_that_id)
{
  auto owned = open();
  Store& store = *owned;
  add(store, "a");
  add(store, "b");
  store.set_id_status(2, Status::deleted);
  EXPECT_EQ(store.find_id(1)->status, Status::valid);
  EXPECT_EQ(store.find_id(2)->status, Status::deleted);
}

TEST_P(StoreContract, valid_ids_excludes_deleted_and_expired)
{
  auto owned = open();
  Store& store = *owned;
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

TEST_P(StoreContract, id_expiring_exactly_now_is_not_valid)
{
  auto owned = open();
  Store& store = *owned;
  add(store, "edge", k_now);
  EXPECT_TRUE(store.valid_ids(k_now).empty());
  EXPECT_EQ(store.valid_ids(k_now - 1).size(), 1u);
}

TEST_P(StoreContract, valid_ids_of_empty_store_is_empty)
{
  auto owned = open();
  Store& store = *owned;
  EXPECT_TRUE(store.valid_ids(k_now).empty());
}

// ---- schema versions and row states ----------------------------------------

TEST_F(SqliteStoreTest, a_new_store_applies_every_migration_once_and_records_it)
{
  {
    SqliteStore store(db_path());
    std::vector<int> all;
    for (int v = 1; v <= clm::server::k_schema_version; ++v) {
      all.push_back(v);
    }
    EXPECT_EQ(store.migrations_applied(), all);
  }
  SqliteStore again(db_path());
  EXPECT_TRUE(again.migrations_applied().empty()) << "nothing is applied twice";
}

TEST_F(SqliteStoreTest, a_store_of_a_newer_schema_is_refused_exit_32_naming_the_versions)
{
  { SqliteStore store(db_path()); }
  exec_sql(db_path(), "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (99, 'from the future', 1)");
  try {
    SqliteStore store(db_path());
    FAIL() << "a store of schema version 99 was opened";
  } catch (const clm::Error& e) {
    EXPECT_EQ(e.code(), clm::ExitCode::bad_file_format);
    const std::string what = e.what();
    EXPECT_NE(what.find("version 99"), std::string::npos) << what;
    EXPECT_NE(what.find(db_path().string()), std::string::npos) << what;
  }
}

TEST_F(SqliteStoreTest, a_state_no_version_knows_is_an_error_never_valid)
{
  SqliteStore store(db_path());
  const IdRecord id = add(store, "odd");
  exec_sql(db_path(), "UPDATE ids SET status = 'suspended' WHERE keyid = " + std::to_string(id.keyid));
  try {
    store.find_id(id.keyid);
    FAIL() << "an ID with status 'suspended' was read";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.errorcode(), 1602);
    EXPECT_NE(std::string(e.what()).find("ids.status: 'suspended'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(store_errorcode_of([&] { store.valid_ids(0); }), std::nullopt) << "the row is not valid, so not listed";
  const DeviceRecord d = store.create_device(device_fields("odd-gw"), [](const std::string&) { return std::string("k"); });
  exec_sql(db_path(), "UPDATE devices SET status = '' WHERE deviceid = '" + d.deviceid + "'");
  EXPECT_EQ(store_errorcode_of([&] { store.find_device_by_name("odd-gw"); }), 1602);
}

TEST_F(SqliteStoreTest, exhausted_keyids_are_1205)
{
  SqliteStore store(db_path());
  exec_sql(db_path(), "INSERT INTO ids (keyid, tenantid, alias, sealed_key, status, expiration) "
                      "VALUES (9999999999, 'T', 'last', x'00', 'valid', 1);"
                      "INSERT OR REPLACE INTO sequences (name, value) VALUES ('keyid', 9999999999)");
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

TEST_P(StoreContract, healthy_store_passes_check_health)
{
  auto owned = open();
  Store& store = *owned;
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

TEST_P(StoreContract, store_error_is_a_runtime_error_with_a_message)
{
  auto owned = open();
  Store& store = *owned;
  ASSERT_NO_FATAL_FAILURE(exec_backend("DROP TABLE events"));
  try {
    store.device_events("0000000001");
    FAIL() << "no StoreError";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()), "");
  }
}

// ---- transactions -----------------------------------------------------------

TEST_P(StoreContract, transaction_commits_every_call_inside_it)
{
  auto owned = open();
  Store& store = *owned;
  store.transaction([&] {
    add(store, "a");
    add(store, "b");
  });
  EXPECT_TRUE(store.find_id(2).has_value());
}

TEST_P(StoreContract, throwing_transaction_rolls_everything_back)
{
  auto owned = open();
  Store& store = *owned;
  EXPECT_THROW(store.transaction([&] {
    add(store, "a");
    store.allocate_keynumber("certificate");
    throw std::runtime_error("refused");
  }),
               std::runtime_error);
  EXPECT_FALSE(store.find_id(1).has_value());
  EXPECT_GE(store.allocate_keynumber("certificate"), 1);
  EXPECT_FALSE(store.find_certificate(1).has_value());
}

TEST_P(StoreContract, failed_inner_transaction_rolls_back_alone)
{
  auto owned = open();
  Store& store = *owned;
  std::int64_t inner = 0;
  std::int64_t after = 0;
  store.transaction([&] {
    add(store, "outer");
    EXPECT_THROW(store.transaction([&] {
      inner = add(store, "inner").keyid;
      throw std::runtime_error("inner refused");
    }),
                 std::runtime_error);
    after = add(store, "after").keyid;
  });
  ASSERT_TRUE(store.find_id(1).has_value());
  EXPECT_EQ(store.find_id(1)->alias, "outer");
  ASSERT_TRUE(store.find_id(after).has_value());
  EXPECT_EQ(store.find_id(after)->alias, "after");
  if (inner != after) {
    EXPECT_FALSE(store.find_id(inner).has_value());
  }
  EXPECT_EQ(store.valid_ids(k_now).size(), 2U);
}

TEST_P(StoreContract, store_is_usable_after_a_failed_transaction)
{
  auto owned = open();
  Store& store = *owned;
  EXPECT_THROW(store.transaction([] { throw std::runtime_error("x"); }), std::runtime_error);
  store.transaction([&] { add(store, "a"); });
  EXPECT_TRUE(store.find_id(1).has_value());
}

// ---- sequences and key numbers ------------------------------------------------

TEST_P(StoreContract, a_transaction_after_the_database_dropped_its_connections_runs_on_new_ones)
{
  if (!schema()) {
    GTEST_SKIP() << "PostgreSQL only: SQLite has no connections to lose";
  }
  auto owned = open();
  Store& store = *owned;
  add(store, "before");
  ASSERT_NO_THROW(schema()->drop_connections());
  store.transaction([&] { add(store, "after"); });
  EXPECT_EQ(store.valid_ids(k_now).size(), 2u);
}

TEST_P(StoreContract, a_store_of_a_newer_schema_is_not_opened)
{
  EXPECT_EQ(open()->migrations_applied().size(), static_cast<std::size_t>(clm::server::k_schema_version));
  ASSERT_NO_FATAL_FAILURE(exec_backend("INSERT INTO schema_migrations (version, name, applied_ms) "
                                       "VALUES (99, 'future', 1)"));
  const auto e = clm::test::error_of([&] { open(); });
  ASSERT_TRUE(e.has_value()) << "a schema of version 99 was opened";
  EXPECT_EQ(e->code(), clm::ExitCode::bad_file_format);
  EXPECT_NE(std::string(e->what()).find("version 99"), std::string::npos) << e->what();
}

TEST_P(StoreContract, counters_count_from_1_independently)
{
  auto owned = open();
  Store& store = *owned;
  using clm::server::Counter;
  EXPECT_EQ(store.next_number(Counter::crl_number), 1);
  EXPECT_EQ(store.next_number(Counter::crl_number), 2);
  EXPECT_EQ(store.next_number(Counter::deviceid), 1);
  EXPECT_EQ(store.next_number(Counter::crl_number), 3);
  // A number taken inside a transaction that rolls back: skipped or given again.
  EXPECT_THROW(store.transaction([&] {
    EXPECT_EQ(store.next_number(Counter::crl_number), 4);
    throw std::runtime_error("rolled back");
  }), std::runtime_error);
  EXPECT_GE(store.next_number(Counter::crl_number), 4);
}

TEST_P(StoreContract, key_numbers_are_one_sequence_for_every_kind_and_survive_reopening)
{
  {
    auto owned = open();
  Store& store = *owned;
    EXPECT_EQ(store.allocate_keynumber("certificate"), 1);
    EXPECT_EQ(store.allocate_keynumber("symmetric"), 2);
  }
  auto reopened_owner = open();
  Store& reopened = *reopened_owner;
  EXPECT_EQ(reopened.allocate_keynumber("certificate"), 3);
}

// ---- devices -------------------------------------------------------------------

DeviceRecord device_fields(const std::string& name)
{
  DeviceRecord d;
  d.devicename = name;
  d.ipaddress = "192.0.2.1";
  d.macaddress = "aa:bb:cc:dd:ee:ff";
  d.ext_data = R"({"osname":"Debian"})";
  d.created_ms = k_now;
  return d;
}

TEST_P(StoreContract, create_device_assigns_ten_digit_ids_and_seals_with_them)
{
  auto owned = open();
  Store& store = *owned;
  std::vector<std::string> sealed_for;
  auto seal = [&](const std::string& id) {
    sealed_for.push_back(id);
    return "sealed-" + id;
  };
  const DeviceRecord a = store.create_device(device_fields("a"), seal);
  const DeviceRecord b = store.create_device(device_fields("b"), seal);
  EXPECT_EQ(a.deviceid, "0000000001");
  EXPECT_EQ(b.deviceid, "0000000002");
  EXPECT_EQ(sealed_for, (std::vector<std::string>{"0000000001", "0000000002"}));
  EXPECT_EQ(a.sealed_key, "sealed-0000000001");
}

TEST_P(StoreContract, find_device_by_name_returns_what_was_stored)
{
  auto owned = open();
  Store& store = *owned;
  store.create_device(device_fields("gw-01"), [](const std::string&) { return std::string("\x00\xff", 2); });
  const auto d = store.find_device_by_name("gw-01");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->deviceid, "0000000001");
  EXPECT_EQ(d->devicename, "gw-01");
  EXPECT_EQ(d->sealed_key, std::string("\x00\xff", 2));
  EXPECT_EQ(d->ipaddress, "192.0.2.1");
  EXPECT_EQ(d->macaddress, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(d->ext_data, R"({"osname":"Debian"})");
  EXPECT_EQ(d->status, DeviceStatus::valid);
  EXPECT_EQ(d->created_ms, k_now);
  EXPECT_FALSE(d->expires_ms.has_value());
  EXPECT_EQ(d->group, "");
  EXPECT_FALSE(store.find_device_by_name("gw-02").has_value());
}

TEST_P(StoreContract, duplicate_devicename_is_refused)
{
  auto owned = open();
  Store& store = *owned;
  store.create_device(device_fields("a"), [](const std::string&) { return std::string("k"); });
  EXPECT_EQ(store_errorcode_of([&] {
    store.create_device(device_fields("a"), [](const std::string&) { return std::string("k"); });
  }),
            1602);
  // The failed insert left nothing: the next device is numbered after the first.
  EXPECT_GT(store.create_device(device_fields("b"), [](const std::string&) { return std::string("k"); }).deviceid,
            "0000000001");
  EXPECT_FALSE(store.find_device_by_name("a")->deviceid.empty());
}

TEST_P(StoreContract, search_devices_filters_by_prefix_state_group_and_expiry_in_name_order_by_pages)
{
  auto owned = open();
  Store& store = *owned;
  for (const char* name : {"cam-2", "cam-10", "gw-1", "cam-1", "cam"}) {
    store.create_device(device_fields(name), [](const std::string&) { return std::string("k"); });
  }
  auto names = [&](const clm::server::DeviceFilter& f) {
    std::vector<std::string> out;
    for (const DeviceRecord& d : store.search_devices(f)) {
      out.push_back(d.devicename);
    }
    return out;
  };
  using V = std::vector<std::string>;
  clm::server::DeviceFilter f;
  EXPECT_EQ(names(f), (V{"cam", "cam-1", "cam-10", "cam-2", "gw-1"})) << "bytewise name order";
  f.prefix = "cam-";
  EXPECT_EQ(names(f), (V{"cam-1", "cam-10", "cam-2"}));
  f.limit = 2;
  EXPECT_EQ(names(f), (V{"cam-1", "cam-10"}));
  f.after = "cam-10";
  EXPECT_EQ(names(f), (V{"cam-2"}));
  f = {};
  DeviceRecord d = *store.find_device_by_name("cam-10");
  d.status = DeviceStatus::disabled;
  d.expires_ms = k_now + 5;
  store.update_device(d);
  f.status = DeviceStatus::disabled;
  EXPECT_EQ(names(f), (V{"cam-10"}));
  f.status = DeviceStatus::valid;
  EXPECT_EQ(names(f).size(), 4u);
  f = {};
  f.expires_by_ms = k_now + 4;
  EXPECT_TRUE(names(f).empty());
  f.expires_by_ms = k_now + 5;
  EXPECT_EQ(names(f), (V{"cam-10"}));
  f = {};
  f.group = "";
  EXPECT_EQ(names(f).size(), 5u) << "every device is in no group";
  f.group = "cameras";
  EXPECT_TRUE(names(f).empty());
  f = {};
  f.prefix = "zz";
  EXPECT_TRUE(names(f).empty());
}

TEST_P(StoreContract, update_device_replaces_address_ext_data_state_and_expiry)
{
  auto owned = open();
  Store& store = *owned;
  DeviceRecord d = store.create_device(device_fields("a"), [](const std::string&) { return std::string("k"); });
  d.ipaddress = "10.0.0.1";
  d.macaddress = "";
  d.ext_data = "{}";
  d.devicename = "ignored";
  d.status = DeviceStatus::disabled;
  d.expires_ms = k_now + 1000;
  store.update_device(d);
  auto back = store.find_device_by_name("a");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->ipaddress, "10.0.0.1");
  EXPECT_EQ(back->macaddress, "");
  EXPECT_EQ(back->ext_data, "{}");
  EXPECT_EQ(back->status, DeviceStatus::disabled);
  EXPECT_EQ(back->expires_ms, k_now + 1000);
  // Back to valid, without an expiry; then deleted.
  d.status = DeviceStatus::valid;
  d.expires_ms.reset();
  store.update_device(d);
  back = store.find_device_by_name("a");
  EXPECT_EQ(back->status, DeviceStatus::valid);
  EXPECT_FALSE(back->expires_ms.has_value());
  d.status = DeviceStatus::deleted;
  store.update_device(d);
  EXPECT_EQ(store.find_device_by_name("a")->status, DeviceStatus::deleted);
}

// ---- certificates ------------------------------------------------------------------

class CertContract : public StoreContract {
protected:
  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(StoreContract::SetUp());
    if (IsSkipped()) {
      return;
    }
    m_store = open();
    m_device = m_store->create_device(device_fields("dev"), [](const std::string&) { return std::string("k"); });
  }
  void TearDown() override
  {
    m_store.reset();
    StoreContract::TearDown();
  }

  // Insert a valid AES key of the device with alias, sealed as "s-" + alias; return it.
  clm::server::KeyRecord aes_key(const std::string& alias)
  {
    clm::server::KeyRecord k;
    k.keynumber = m_store->allocate_keynumber("key");
    k.keytype = "AES";
    k.keylength = 128;
    k.alias = alias;
    k.sealed_key = "s-" + alias;
    k.expiration_ms = k_now + k_day_ms;
    k.deviceid = m_device.deviceid;
    k.created_ms = k_now;
    m_store->insert_key(k);
    return k;
  }

  // Insert a leaf of the device with serial; return it.
  CertRecord leaf(const std::string& serial)
  {
    CertRecord r;
    r.keynumber = m_store->allocate_keynumber("certificate");
    r.serial = serial;
    r.catype = "ca1";
    r.deviceid = m_device.deviceid;
    r.kind = CertKind::server;
    r.subject = "/CN=gw";
    r.cert_der = std::string("\x30\x82\x00\x01", 4);
    r.sealed_key = std::string("\x00sealed", 7);
    r.not_after_ms = k_now + k_day_ms;
    r.filepath = "/etc/cert.pem";
    r.created_ms = k_now;
    m_store->insert_certificate(r);
    return r;
  }

  Store& store() { return *m_store; }

private:
  std::unique_ptr<Store> m_store;
  DeviceRecord m_device;

protected:
  const DeviceRecord& device() const { return m_device; }
};

INSTANTIATE_TEST_SUITE_P(Backends, CertContract,
                         ::testing::Values("sqlite", "postgresql", "sqlite_cached", "postgresql_cached"),
                         backend_name);

TEST_P(CertContract, certificate_round_trips_by_keynumber_and_serial)
{
  const CertRecord r = leaf("0123456789ABCDEF");
  for (const auto& found : {store().find_certificate(r.keynumber), store().find_certificate_by_serial(r.serial)}) {
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->keynumber, r.keynumber);
    EXPECT_EQ(found->serial, r.serial);
    EXPECT_EQ(found->catype, "ca1");
    EXPECT_FALSE(found->ca_name.has_value());
    EXPECT_EQ(found->deviceid, "0000000001");
    EXPECT_EQ(found->kind, CertKind::server);
    EXPECT_EQ(found->subject, "/CN=gw");
    EXPECT_EQ(found->cert_der, r.cert_der);
    EXPECT_EQ(found->sealed_key, r.sealed_key);
    EXPECT_EQ(found->status, CertStatus::valid);
    EXPECT_EQ(found->not_after_ms, k_now + k_day_ms);
    EXPECT_EQ(found->filepath, "/etc/cert.pem");
    EXPECT_FALSE(found->replaced_by.has_value());
    EXPECT_FALSE(found->revoked_at_ms.has_value());
    EXPECT_EQ(found->created_ms, k_now);
  }
  EXPECT_FALSE(store().find_certificate(r.keynumber + 1).has_value());
  EXPECT_FALSE(store().find_certificate_by_serial("0123456789ABCDEE").has_value());
  EXPECT_TRUE(store().serial_exists("0123456789ABCDEF"));
  EXPECT_FALSE(store().serial_exists("0123456789abcdef"));
}

TEST_P(CertContract, a_devices_valid_certificates_and_keys_are_listed_by_number)
{
  CertRecord first = leaf("01");
  const CertRecord second = leaf("02");
  const auto k1 = aes_key("one");
  auto k2 = aes_key("two");
  const DeviceRecord other =
    store().create_device(device_fields("other"), [](const std::string&) { return std::string("k"); });
  first.status = CertStatus::revoked;
  store().update_certificate(first);
  k2.status = KeyStatus::deleted;
  store().update_key(k2);
  const auto certs = store().valid_certificates_of_device(device().deviceid);
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0].keynumber, second.keynumber);
  const auto keys = store().valid_keys_of_device(device().deviceid);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].keynumber, k1.keynumber);
  EXPECT_EQ(keys[0].sealed_key, "s-one");
  EXPECT_TRUE(store().valid_certificates_of_device(other.deviceid).empty());
  EXPECT_TRUE(store().valid_keys_of_device(other.deviceid).empty());
}

TEST_P(CertContract, groups_are_put_found_listed_counted_and_deleted)
{
  using clm::server::GroupRecord;
  EXPECT_FALSE(store().find_group("cameras").has_value());
  store().put_group(GroupRecord{"cameras", 30, std::nullopt, k_now, 0});
  store().put_group(GroupRecord{"b", std::nullopt, 14, k_now + 1, 0});
  DeviceRecord d = device();
  d.group = "cameras";
  store().update_device(d);
  auto g = store().find_group("cameras");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->rotate_days, 30);
  EXPECT_FALSE(g->renew_days.has_value());
  EXPECT_EQ(g->created_ms, k_now);
  EXPECT_EQ(store().group_size("cameras"), 1);
  EXPECT_EQ(store().group_size("b"), 0);
  // Put again: the schedule changes, the creation time stays.
  store().put_group(GroupRecord{"cameras", std::nullopt, 7, k_now + 99, 0});
  g = store().find_group("cameras");
  EXPECT_FALSE(g->rotate_days.has_value());
  EXPECT_EQ(g->renew_days, 7);
  EXPECT_EQ(g->created_ms, k_now);
  const auto all = store().groups();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "b") << "bytewise name order";
  EXPECT_EQ(all[0].devices, 0);
  EXPECT_EQ(all[1].name, "cameras");
  EXPECT_EQ(all[1].devices, 1);
  store().delete_group("b");
  EXPECT_FALSE(store().find_group("b").has_value());
  EXPECT_EQ(store().groups().size(), 1u);
}

TEST_P(CertContract, expiring_credentials_come_soonest_first_by_pages)
{
  using clm::server::CredentialCursor;
  using clm::server::CredentialKind;
  // Each ends k_now + 1 day: they come by key number.
  aes_key("late");
  auto k2 = aes_key("soon");
  CertRecord c1 = leaf("C1");
  auto gone = aes_key("gone");
  gone.status = KeyStatus::updated;
  store().update_key(gone);
  auto listed = [&](std::int64_t by, CredentialCursor after, std::size_t limit) {
    std::vector<std::string> out;
    for (const auto& c : store().expiring_credentials(by, after, limit)) {
      out.push_back((c.kind == CredentialKind::key ? "k:" : "c:") + c.name + "@" + std::to_string(c.expires_ms - k_now)
                    + "/" + c.devicename);
    }
    return out;
  };
  using V = std::vector<std::string>;
  const CredentialCursor start{std::numeric_limits<std::int64_t>::min(), 0};
  const std::string day = std::to_string(k_day_ms);
  EXPECT_EQ(listed(k_now + k_day_ms, start, 10), (V{"k:late@" + day + "/dev", "k:soon@" + day + "/dev",
                                                   "c:C1@" + day + "/dev"}));
  EXPECT_TRUE(listed(k_now, start, 10).empty());
  EXPECT_EQ(listed(k_now + k_day_ms, start, 2).size(), 2u);
  // The page after the second starts at the third, by (expiry, keynumber).
  EXPECT_EQ(listed(k_now + k_day_ms, CredentialCursor{k_now + k_day_ms, k2.keynumber}, 10), (V{"c:C1@" + day + "/dev"}));
  c1.status = CertStatus::revoked;
  store().update_certificate(c1);
  EXPECT_EQ(listed(k_now + k_day_ms, start, 10).size(), 2u);
}

TEST_P(CertContract, due_credentials_follow_the_group_schedule)
{
  using clm::server::CredentialCursor;
  using clm::server::GroupRecord;
  const auto key = aes_key("k");            // issued k_now
  const CertRecord cert = leaf("C1");       // ends k_now + 1 day
  const CredentialCursor start{std::numeric_limits<std::int64_t>::min(), 0};
  EXPECT_TRUE(store().due_credentials(k_now + 1000 * k_day_ms, std::nullopt, start, 10).empty()) << "in no group";
  store().put_group(GroupRecord{"cameras", 30, 7, k_now, 0});
  DeviceRecord d = device();
  d.group = "cameras";
  store().update_device(d);
  // The certificate is due 7 days before its end (already), the key 30 days after issue.
  auto due = store().due_credentials(k_now, std::nullopt, start, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].keynumber, cert.keynumber);
  EXPECT_EQ(due[0].due_ms, k_now + k_day_ms - 7 * k_day_ms);
  EXPECT_EQ(due[0].group, "cameras");
  due = store().due_credentials(k_now + 30 * k_day_ms, "cameras", start, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[1].keynumber, key.keynumber);
  EXPECT_EQ(due[1].due_ms, k_now + 30 * k_day_ms);
  EXPECT_EQ(due[1].name, "k");
  EXPECT_EQ(store().due_credentials(k_now + 30 * k_day_ms, "cameras", CredentialCursor{due[0].due_ms, due[0].keynumber}, 10)
              .size(),
            1u);
  EXPECT_TRUE(store().due_credentials(k_now + 30 * k_day_ms, "other", start, 10).empty());
  d.status = DeviceStatus::disabled;
  store().update_device(d);
  EXPECT_TRUE(store().due_credentials(k_now + 30 * k_day_ms, std::nullopt, start, 10).empty())
    << "a disabled device has nothing due";
}

TEST_P(CertContract, summary_counts_devices_credentials_by_expiry_and_issuance_by_day)
{
  auto k1 = aes_key("one");  // ends k_now + 1 day, issued k_now
  CertRecord c1 = leaf("C1");
  auto k2 = aes_key("two");
  k2.status = KeyStatus::updated;
  clm::server::KeyRecord k3 = k2;  // the key that replaced k2, issued a day later
  k3.keynumber = store().allocate_keynumber("key");
  k3.status = KeyStatus::valid;
  k3.created_ms = k_now + k_day_ms;
  k3.expiration_ms = k_now + 100 * k_day_ms;
  store().insert_key(k3);
  k2.replaced_by = k3.keynumber;
  store().update_key(k2);
  const auto counts = store().expiry_counts({k_now, k_now + k_day_ms});
  EXPECT_EQ(counts.counts, (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(counts.total, 3);
  DeviceRecord other = store().create_device(device_fields("other"), [](const std::string&) { return std::string("k"); });
  other.status = DeviceStatus::disabled;
  store().update_device(other);
  DeviceRecord d = device();
  d.expires_ms = k_now - 1;
  store().update_device(d);
  std::map<std::string, std::int64_t> states;
  for (const auto& [state, n] : store().device_counts(k_now)) {
    states[state] = n;
  }
  EXPECT_EQ(states["valid"], 1);
  EXPECT_EQ(states["disabled"], 1);
  EXPECT_EQ(states["deleted"], 0);
  EXPECT_EQ(states["expired"], 1);
  const auto days = store().issued_per_day(k_now - k_day_ms);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, k_now / k_day_ms);
  EXPECT_EQ(days[0].issued, 3) << "k1, c1, k2";
  EXPECT_EQ(days[0].rotated, 0);
  EXPECT_EQ(days[1].day, k_now / k_day_ms + 1);
  EXPECT_EQ(days[1].issued, 1);
  EXPECT_EQ(days[1].rotated, 1) << "k3 replaced k2";
  (void)k1, (void)c1;
}

TEST_P(CertContract, credential_counts_count_each_kind_by_state_a_valid_one_past_its_end_as_expired)
{
  // Certificates, each ending k_now + 1 day: valid, revoked, updated; a CA certificate is
  // no device's and not counted.
  leaf("C1");
  CertRecord revoked = leaf("C2");
  revoked.status = CertStatus::revoked;
  store().update_certificate(revoked);
  CertRecord updated = leaf("C3");
  updated.status = CertStatus::updated;
  store().update_certificate(updated);
  CertRecord ca;
  ca.keynumber = store().allocate_keynumber("certificate");
  ca.serial = "0A";
  ca.catype = "CA";
  ca.ca_name = "ca1";
  ca.kind = CertKind::ca;
  ca.subject = "/O=clm/CN=ca1";
  ca.cert_der = "der";
  store().insert_certificate(ca);
  // Keys, each expiring k_now + 1 day: valid, updated, deleted.
  aes_key("valid");
  auto key_updated = aes_key("updated");
  key_updated.status = KeyStatus::updated;
  store().update_key(key_updated);
  auto key_deleted = aes_key("deleted");
  key_deleted.status = KeyStatus::deleted;
  store().update_key(key_deleted);
  // Devices: "dev" valid without an end; disabled, deleted, and valid with an ended registration.
  const auto seal = [](const std::string&) { return std::string("k"); };
  for (const auto& [name, status, expires] :
       {std::tuple{"disabled", DeviceStatus::disabled, std::optional<std::int64_t>{}},
        std::tuple{"deleted", DeviceStatus::deleted, std::optional<std::int64_t>{}},
        std::tuple{"ended", DeviceStatus::valid, std::optional<std::int64_t>{k_now - 1}}}) {
    DeviceRecord d = store().create_device(device_fields(name), seal);
    d.status = status;
    d.expires_ms = expires;
    store().update_device(d);
  }
  // IDs: valid until k_now + 1 day, deleted, and one that expired at k_now exactly.
  store().create_id(id_fields("valid", k_now + k_day_ms), seal_for);
  const IdRecord gone = store().create_id(id_fields("deleted", k_now + k_day_ms), seal_for);
  store().set_id_status(gone.keyid, Status::deleted);
  store().create_id(id_fields("ended", k_now), seal_for);

  const auto counted = [&](std::int64_t now_ms) {
    std::map<std::string, std::int64_t> out;
    for (const auto& c : store().credential_counts(now_ms)) {
      EXPECT_EQ(out.count(c.kind + "/" + c.state), 0u) << "one row per kind and state: " << c.kind << "/" << c.state;
      out[c.kind + "/" + c.state] = c.count;
    }
    return out;
  };
  using Counts = std::map<std::string, std::int64_t>;
  EXPECT_EQ(counted(k_now), (Counts{{"certificate/revoked", 1},
                                    {"certificate/updated", 1},
                                    {"certificate/valid", 1},
                                    {"device/deleted", 1},
                                    {"device/disabled", 1},
                                    {"device/expired", 1},
                                    {"device/valid", 1},
                                    {"id/deleted", 1},
                                    {"id/expired", 1},
                                    {"id/valid", 1},
                                    {"key/deleted", 1},
                                    {"key/updated", 1},
                                    {"key/valid", 1}}));
  // A day on, the valid certificate, key and ID have ended (at their end exactly: expired).
  EXPECT_EQ(counted(k_now + k_day_ms), (Counts{{"certificate/expired", 1},
                                               {"certificate/revoked", 1},
                                               {"certificate/updated", 1},
                                               {"device/deleted", 1},
                                               {"device/disabled", 1},
                                               {"device/expired", 1},
                                               {"device/valid", 1},
                                               {"id/deleted", 1},
                                               {"id/expired", 2},
                                               {"key/deleted", 1},
                                               {"key/expired", 1},
                                               {"key/updated", 1}}));
}

TEST_P(CertContract, credential_counts_of_an_empty_store_are_only_the_fixtures_device)
{
  const auto counts = store().credential_counts(k_now);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].kind, "device");
  EXPECT_EQ(counts[0].state, "valid");
  EXPECT_EQ(counts[0].count, 1);
}

TEST_P(CertContract, duplicate_serial_is_refused)
{
  leaf("AA");
  EXPECT_EQ(store_errorcode_of([&] { leaf("AA"); }), 1602);
}

TEST_P(CertContract, certificate_needs_an_allocated_keynumber_and_a_known_device)
{
  CertRecord r = leaf("01");
  r.keynumber = 99;
  r.serial = "02";
  EXPECT_EQ(store_errorcode_of([&] { store().insert_certificate(r); }), 1602);
  r.keynumber = store().allocate_keynumber("certificate");
  r.deviceid = "0000000077";
  EXPECT_EQ(store_errorcode_of([&] { store().insert_certificate(r); }), 1602);
}

TEST_P(CertContract, ca_certificate_is_found_by_name)
{
  CertRecord r;
  r.keynumber = store().allocate_keynumber("certificate");
  r.serial = "0A";
  r.catype = "CA";
  r.ca_name = "ca1";
  r.kind = CertKind::ca;
  r.subject = "/O=clm/CN=ca1";
  r.cert_der = "der";
  store().insert_certificate(r);
  const auto found = store().find_ca_certificate("ca1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->keynumber, r.keynumber);
  EXPECT_EQ(found->kind, CertKind::ca);
  EXPECT_FALSE(found->deviceid.has_value());
  EXPECT_FALSE(store().find_ca_certificate("CA").has_value());
}

TEST_P(CertContract, update_certificate_saves_status_links_and_filepath)
{
  const CertRecord old_cert = leaf("01");
  CertRecord r = leaf("02");
  r.status = CertStatus::revoked;
  r.revoked_at_ms = k_now + 5;
  r.filepath = "/new.pem";
  r.replaced_by = old_cert.keynumber;
  r.subject = "/CN=not-saved";
  store().update_certificate(r);
  const auto back = store().find_certificate(r.keynumber);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->status, CertStatus::revoked);
  EXPECT_EQ(back->revoked_at_ms, k_now + 5);
  EXPECT_EQ(back->filepath, "/new.pem");
  EXPECT_EQ(back->replaced_by, old_cert.keynumber);
  EXPECT_EQ(back->subject, "/CN=gw");
  EXPECT_EQ(store().find_certificate(old_cert.keynumber)->status, CertStatus::valid);
}

TEST_P(CertContract, update_of_unknown_certificate_is_1602)
{
  CertRecord r;
  r.keynumber = 42;
  EXPECT_EQ(store_errorcode_of([&] { store().update_certificate(r); }), 1602);
}

TEST_P(CertContract, revoked_certificates_lists_revoked_of_that_ca_oldest_first)
{
  CertRecord late = leaf("01");
  CertRecord updated = leaf("02");
  CertRecord early = leaf("03");
  leaf("04");
  late.status = CertStatus::revoked;
  late.revoked_at_ms = k_now + 20;
  early.status = CertStatus::revoked;
  early.revoked_at_ms = k_now + 10;
  updated.status = CertStatus::updated;
  store().update_certificate(late);
  store().update_certificate(early);
  store().update_certificate(updated);
  const auto revoked = store().revoked_certificates("ca1");
  ASSERT_EQ(revoked.size(), 2u);
  EXPECT_EQ(revoked[0].serial, "03");
  EXPECT_EQ(revoked[1].serial, "01");
  EXPECT_TRUE(store().revoked_certificates("CA").empty());
}

TEST_P(CertContract, events_are_listed_per_device_in_order)
{
  const CertRecord r = leaf("01");
  for (const char* mode : {"create", "get", "revoke"}) {
    EventRecord e;
    e.deviceid = "0000000001";
    e.api = "CredInfo";
    e.mode = mode;
    e.keynumber = r.keynumber;
    e.filepath = "/f";
    e.at_ms = k_now;
    store().record_event(e);
  }
  const auto events = store().device_events("0000000001");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].mode, "create");
  EXPECT_EQ(events[2].mode, "revoke");
  EXPECT_LT(events[0].id, events[1].id);
  EXPECT_EQ(events[1].keynumber, r.keynumber);
  EXPECT_EQ(events[1].filepath, "/f");
  EXPECT_EQ(events[1].api, "CredInfo");
  EXPECT_TRUE(store().device_events("0000000002").empty());
  // The newest two, oldest first; more than there are is all of them; actor kept.
  EventRecord by_admin;
  by_admin.deviceid = "0000000001";
  by_admin.api = "DeviceInfo";
  by_admin.mode = "disable";
  by_admin.at_ms = k_now;
  by_admin.actor = "admin";
  store().record_event(by_admin);
  const auto newest = store().newest_device_events("0000000001", 2);
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].mode, "revoke");
  EXPECT_EQ(newest[1].mode, "disable");
  EXPECT_EQ(newest[1].actor, "admin");
  EXPECT_FALSE(newest[1].keyid.has_value());
  EXPECT_EQ(store().newest_device_events("0000000001", 100).size(), 4u);
  EXPECT_TRUE(store().newest_device_events("0000000002", 5).empty());
}

TEST_P(CertContract, events_of_a_transaction_keep_their_order_and_a_rolled_back_part_leaves_none)
{
  const auto event = [&](const std::string& mode, std::optional<std::int64_t> keyid) {
    EventRecord e;
    e.deviceid = "0000000001";
    e.api = "KeyInfo";
    e.mode = mode;
    e.filepath = mode == "quoted" ? "/a \"b\" {c,d} \\e" : "";
    e.at_ms = k_now;
    e.keyid = keyid;
    store().record_event(e);
  };
  store().transaction([&] {
    event("first", 7);
    EXPECT_THROW(store().transaction([&] {
      event("rolled back", std::nullopt);
      throw std::runtime_error("refused");
    }),
                 std::runtime_error);
    event("quoted", std::nullopt);
    EXPECT_EQ(store().device_events("0000000001").size(), 2u) << "a transaction sees its own events";
    event("last", 8);
  }, clm::server::Durability::deferred);
  EXPECT_THROW(store().transaction([&] {
    event("never", 9);
    throw std::runtime_error("refused");
  }),
               std::runtime_error);
  const auto events = store().device_events("0000000001");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].mode, "first");
  EXPECT_EQ(events[0].keyid, 7);
  EXPECT_EQ(events[1].mode, "quoted");
  EXPECT_EQ(events[1].filepath, "/a \"b\" {c,d} \\e");
  EXPECT_FALSE(events[1].keyid.has_value());
  EXPECT_FALSE(events[1].keynumber.has_value());
  EXPECT_EQ(events[2].mode, "last");
  EXPECT_LT(events[1].id, events[2].id);
}

// Prefetch hints change no answer: the same calls give the same records with and
// without them, for devices and keys that exist and that do not, and after a change.
TEST_P(CertContract, batch_hints_change_no_answer)
{
  using clm::server::KeyRecord;
  using clm::server::KeyScope;
  using clm::server::KeyStatus;
  const KeyRecord a = aes_key("a");
  const KeyRecord b = aes_key("b");
  store().bind_key(a.keynumber, device().deviceid, "/a");
  const DeviceRecord other = store().create_device(device_fields("other"), [](const std::string&) { return std::string("k"); });
  const std::vector<std::int64_t> numbers{b.keynumber, a.keynumber, 999};
  const auto plain = [&] {
    std::string out;
    for (const char* name : {"dev", "other", "nobody"}) {
      const auto d = store().find_device_by_name(name);
      out += d ? d->deviceid + d->devicename + ";" : "none;";
    }
    for (const std::string& id : {device().deviceid, other.deviceid}) {
      for (const std::int64_t n : store().valid_keynumbers_of_device(id, KeyScope::fleet(), k_now)) {
        out += std::to_string(n) + ",";
      }
      for (const auto& r : store().find_keys_for_device(id, numbers)) {
        out += r ? std::to_string(r->key.keynumber) + r->key.alias + (r->bound ? "+" : "-") + ";" : "none;";
      }
    }
    return out;
  };
  const std::string expected = plain();
  EXPECT_NE(expected.find("none"), std::string::npos);
  std::string hinted;
  std::string after_change;
  store().transaction([&] {
    store().prefetch_devices({"dev", "other", "nobody"});
    store().prefetch_valid_keynumbers({device().deviceid, other.deviceid}, KeyScope::fleet(), k_now);
    store().prefetch_keys_for_devices({{device().deviceid, numbers}, {other.deviceid, numbers}});
    hinted = plain();
    // A change drops what was loaded: the answers follow it.
    store().bind_key(b.keynumber, device().deviceid, "/b");
    KeyRecord updated = a;
    updated.status = KeyStatus::updated;
    store().update_key(updated);
    after_change = plain();
  }, clm::server::Durability::deferred);
  EXPECT_EQ(hinted, expected);
  EXPECT_EQ(after_change, plain()) << "answers inside the transaction after a change are those of the store";
  EXPECT_NE(after_change, expected);
}

TEST_P(CertContract, a_key_get_hint_changes_no_answer)
{
  using clm::server::KeyRecord;
  using clm::server::KeyStatus;
  const KeyRecord k = aes_key("one");
  store().bind_key(k.keynumber, device().deviceid, "/one");
  const DeviceRecord other = store().create_device(device_fields("other"), [](const std::string&) { return std::string("k"); });
  // What a key get reads: the device by name, the key, the binding; each there or not.
  const auto read = [&](const std::string& name, std::int64_t number, const std::string& deviceid) {
    std::string out;
    const auto d = store().find_device_by_name(name);
    out += d ? d->deviceid + d->devicename + d->sealed_key + ";" : "none;";
    const auto key = store().find_key(number);
    out += key ? std::to_string(key->keynumber) + key->alias + key->sealed_key + std::string(key_status_name(key->status))
                   + ";"
               : "none;";
    out += store().find_binding(number, deviceid).value_or("unbound");
    return out;
  };
  const std::vector<std::tuple<std::string, std::int64_t, std::string>> cases{
    {"dev", k.keynumber, device().deviceid},
    {"other", k.keynumber, other.deviceid},
    {"nobody", 999, "0000000099"},
  };
  for (const auto& [name, number, deviceid] : cases) {
    const std::string expected = read(name, number, deviceid);
    std::string hinted;
    std::string after_change;
    try {
      store().transaction([&] {
        store().prefetch_device_key(name, number, deviceid);
        hinted = read(name, number, deviceid);
        if (number == k.keynumber) {
          // A change drops what was loaded: the answers follow it.
          store().bind_key(number, deviceid, "/moved");
          KeyRecord updated = k;
          updated.status = KeyStatus::updated;
          store().update_key(updated);
          store().prefetch_device_key(name, number, deviceid);
          after_change = read(name, number, deviceid);
          EXPECT_NE(after_change, expected) << name;
          throw std::runtime_error("roll back");
        }
      }, clm::server::Durability::deferred);
    } catch (const std::runtime_error&) {
      // rolled back, for the next case
    }
    EXPECT_EQ(hinted, expected) << name;
  }
  EXPECT_EQ(store().find_binding(k.keynumber, device().deviceid), "/one");
}

TEST_F(SqliteStoreTest, database_from_before_the_certificate_tables_gains_them)
{
  // The schema of the first release: meta, key_pairs and ids only.
  exec_sql(db_path(), "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "CREATE TABLE key_pairs (name TEXT PRIMARY KEY, cert_pem TEXT NOT NULL, sealed_key BLOB NOT NULL);"
                      "CREATE TABLE ids (keyid INTEGER PRIMARY KEY, tenantid TEXT NOT NULL, alias TEXT NOT NULL, "
                      "sealed_key BLOB NOT NULL, status TEXT NOT NULL, expiration INTEGER NOT NULL);"
                      "INSERT INTO meta VALUES ('initialized', '1');"
                      "INSERT INTO ids VALUES (1, 'T', 'old', x'00', 'valid', 1);");
  SqliteStore store(db_path());
  EXPECT_TRUE(store.initialized());
  EXPECT_EQ(store.find_id(1)->alias, "old");
  EXPECT_EQ(store.allocate_keynumber("certificate"), 1);
  EXPECT_EQ(store.create_device(device_fields("a"), [](const std::string&) { return std::string("k"); }).deviceid,
            "0000000001");
}

// ---- device owners, fleet grants, who made a call ---------------------------------

TEST_F(SqliteStoreTest, database_from_before_device_owners_gains_the_columns_with_null)
{
  // The devices and events tables of the releases before owners were recorded.
  exec_sql(db_path(), "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "CREATE TABLE ids (keyid INTEGER PRIMARY KEY, tenantid TEXT NOT NULL, alias TEXT NOT NULL, "
                      "sealed_key BLOB NOT NULL, status TEXT NOT NULL, expiration INTEGER NOT NULL);"
                      "CREATE TABLE devices (deviceid TEXT PRIMARY KEY, devicename TEXT NOT NULL UNIQUE, "
                      "sealed_key BLOB NOT NULL, ipaddress TEXT NOT NULL DEFAULT '', macaddress TEXT NOT NULL "
                      "DEFAULT '', ext_data TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL, created_ms INTEGER NOT NULL);"
                      "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, deviceid TEXT NOT NULL REFERENCES "
                      "devices (deviceid), api TEXT NOT NULL, mode TEXT NOT NULL, keynumber INTEGER, filepath TEXT "
                      "NOT NULL DEFAULT '', at_ms INTEGER NOT NULL);"
                      "INSERT INTO meta VALUES ('initialized', '1');"
                      "INSERT INTO meta VALUES ('schema_version', '1');"
                      "INSERT INTO ids VALUES (1, 'T', 'a', x'00', 'valid', 1);"
                      "INSERT INTO ids VALUES (2, 'T', 'b', x'00', 'valid', 1);"
                      "INSERT INTO devices VALUES ('0000000001', 'old-gw', x'00', '', '', '{}', 'valid', 1);"
                      "INSERT INTO events (deviceid, api, mode, at_ms) VALUES ('0000000001', 'KeyInfo', 'create', 1);");
  {
    SqliteStore store(db_path());
    const auto device = store.find_device_by_name("old-gw");
    ASSERT_TRUE(device.has_value());
    EXPECT_FALSE(device->owner_keyid) << "unclaimed";
    const auto events = store.device_events("0000000001");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_FALSE(events[0].keyid) << "no record of who made it";
    // The first claim wins; a second ID's finds the owner set.
    EXPECT_TRUE(store.claim_device("0000000001", 1));
    EXPECT_FALSE(store.claim_device("0000000001", 2));
    EXPECT_TRUE(store.claim_device("0000000001", 1));
    EXPECT_FALSE(store.claim_device("0000009999", 1)) << "no such device";
  }
  // Opening again changes nothing (the migration is idempotent).
  SqliteStore again(db_path());
  EXPECT_EQ(again.find_device_by_name("old-gw")->owner_keyid, 1);
  EXPECT_TRUE(again.initialized());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT group_concat(version) FROM schema_migrations", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "1,2,3,4,5");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT 1 FROM meta WHERE key = 'schema_version'", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << "the version row of older builds is gone";
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_P(StoreContract, a_new_device_keeps_its_owner_and_events_their_id)
{
  auto owned = open();
  Store& store = *owned;
  const IdRecord id = add(store, "owner");
  DeviceRecord fields = device_fields("gw");
  fields.owner_keyid = id.keyid;
  const DeviceRecord d = store.create_device(fields, [](const std::string&) { return std::string("k"); });
  EXPECT_EQ(store.find_device_by_name("gw")->owner_keyid, id.keyid);
  EXPECT_FALSE(store.claim_device(d.deviceid, id.keyid + 1)) << "owned already";
  EventRecord e;
  e.deviceid = d.deviceid;
  e.api = "KeyInfo";
  e.mode = "get";
  e.at_ms = k_now;
  e.keyid = id.keyid;
  store.record_event(e);
  EXPECT_EQ(store.device_events(d.deviceid).at(0).keyid, id.keyid);
}

TEST_P(StoreContract, fleet_grants_are_added_listed_and_removed)
{
  auto owned = open();
  Store& store = *owned;
  const IdRecord one = add(store, "one");
  const IdRecord two = add(store, "two");
  EXPECT_FALSE(store.has_fleet_grant(one.keyid));
  EXPECT_TRUE(store.add_fleet_grant(two.keyid, k_now));
  EXPECT_TRUE(store.add_fleet_grant(one.keyid, k_now + 1));
  EXPECT_FALSE(store.add_fleet_grant(one.keyid, k_now + 2)) << "granted already";
  EXPECT_TRUE(store.has_fleet_grant(one.keyid));
  const auto grants = store.fleet_grants();
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0].keyid, one.keyid);
  EXPECT_EQ(grants[0].granted_ms, k_now + 1) << "the first grant's time stays";
  EXPECT_EQ(grants[1].keyid, two.keyid);
  EXPECT_TRUE(store.remove_fleet_grant(one.keyid));
  EXPECT_FALSE(store.remove_fleet_grant(one.keyid));
  EXPECT_FALSE(store.has_fleet_grant(one.keyid));
  EXPECT_EQ(store.fleet_grants().size(), 1u);
  EXPECT_THROW(store.add_fleet_grant(99, k_now), StoreError) << "no such ID";
}

// ---- several servers on one store -----------------------------------------------

TEST_P(CertContract, the_latest_crl_is_the_one_with_the_largest_number)
{
  using clm::server::CrlRecord;
  EXPECT_FALSE(store().latest_crl("ca1").has_value());
  store().publish_crl(CrlRecord{"ca1", 2, "d2", k_now, "pem-2"});
  store().publish_crl(CrlRecord{"ca1", 1, "d1", k_now - 1, "pem-1"});
  store().publish_crl(CrlRecord{"other", 9, "d9", k_now, "pem-9"});
  const auto latest = store().latest_crl("ca1");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->number, 2);
  EXPECT_EQ(latest->revoked_digest, "d2");
  EXPECT_EQ(latest->this_update_ms, k_now);
  EXPECT_EQ(latest->pem, "pem-2");
  EXPECT_THROW(store().publish_crl(CrlRecord{"ca1", 2, "again", k_now, "pem"}), StoreError) << "a number is published once";
}

// Two servers (two store objects on one database) updating one key at once: exactly one
// update wins, every other one finds the key updated, as the API answers 1504.
TEST_P(CertContract, of_sixteen_updates_of_one_key_through_two_stores_exactly_one_wins)
{
  using clm::server::KeyRecord;
  using clm::server::KeyStatus;
  const KeyRecord key = aes_key("shared");

  std::vector<std::unique_ptr<Store>> servers;
  servers.push_back(open());
  servers.push_back(open());
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      Store& s = *servers[static_cast<std::size_t>(i % 2)];
      try {
        s.transaction([&] {
          KeyRecord old = *s.find_key(key.keynumber);
          if (old.status != KeyStatus::valid) {
            throw std::invalid_argument("already updated");  // 1504
          }
          KeyRecord renewed = old;
          renewed.keynumber = s.allocate_keynumber("key");
          renewed.sealed_key = "sealed-" + std::to_string(i);
          s.insert_key(renewed);
          old.status = KeyStatus::updated;
          old.replaced_by = renewed.keynumber;
          s.update_key(old);
        });
        ++won;
      } catch (const std::invalid_argument&) {
        ++refused;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), 15);
  const auto old = store().find_key(key.keynumber);
  ASSERT_TRUE(old->replaced_by.has_value());
  EXPECT_EQ(store().find_key(*old->replaced_by)->status, KeyStatus::valid);
}

// ---- the read cache ----------------------------------------------------------------
// What the contract runs above cannot show: that reads are answered from memory, that
// changes (here, through another server, lost notices) are never answered stale for
// longer than their notice takes, and that the cache stays within its size.

class ReadCache : public CertContract {
protected:
  clm::server::CachedStore& cache() { return dynamic_cast<clm::server::CachedStore&>(store()); }

  // Wait up to ten seconds for done() to hold; return whether it did.
  template <typename Done>
  static bool eventually(Done&& done)
  {
    for (int i = 0; i < 10000; ++i) {
      if (done()) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }

  bool in_use() { return cache().stats().in_use; }
};

INSTANTIATE_TEST_SUITE_P(Backends, ReadCache, ::testing::Values("sqlite_cached", "postgresql_cached"), backend_name);

TEST_P(ReadCache, a_repeated_get_reads_nothing_from_the_store)
{
  ASSERT_TRUE(eventually([&] { return in_use(); }));
  const KeyRecord k = aes_key("a");
  store().bind_key(k.keynumber, device().deviceid, "/etc/k");
  const auto get = [&] {
    store().transaction([&] {
      EXPECT_TRUE(store().find_device_by_name("dev"));
      EXPECT_EQ(store().find_key(k.keynumber)->alias, "a");
      store().bind_key(k.keynumber, device().deviceid, "/etc/k");
    }, clm::server::Durability::deferred);
  };
  get();
  const auto before = cache().stats();
  get();
  const auto after = cache().stats();
  EXPECT_EQ(after.misses, before.misses);
  EXPECT_EQ(after.hits, before.hits + 3);  // device, key, binding
}

TEST_P(ReadCache, a_change_is_read_back_at_once)
{
  KeyRecord k = aes_key("a");
  ASSERT_TRUE(store().find_key(k.keynumber));
  k.status = KeyStatus::updated;
  store().update_key(k);
  EXPECT_EQ(store().find_key(k.keynumber)->status, KeyStatus::updated);
}

TEST_P(ReadCache, a_rolled_back_change_leaves_the_stored_row)
{
  KeyRecord k = aes_key("a");
  ASSERT_TRUE(store().find_key(k.keynumber));
  KeyRecord phantom;
  EXPECT_THROW(store().transaction([&] {
    KeyRecord deleted = k;
    deleted.status = KeyStatus::deleted;
    store().update_key(deleted);
    EXPECT_EQ(store().find_key(k.keynumber)->status, KeyStatus::deleted);  // its own change
    phantom = aes_key("phantom");
    EXPECT_TRUE(store().find_key(phantom.keynumber));
    throw std::runtime_error("rolled back");
  }), std::runtime_error);
  EXPECT_EQ(store().find_key(k.keynumber)->status, KeyStatus::valid);
  EXPECT_FALSE(store().find_key(phantom.keynumber));
}

TEST_P(ReadCache, a_durable_transaction_reads_the_store)
{
  const KeyRecord k = aes_key("a");
  ASSERT_TRUE(store().find_key(k.keynumber));
  const auto before = cache().stats();
  store().transaction([&] { EXPECT_TRUE(store().find_key(k.keynumber)); });
  EXPECT_EQ(cache().stats().hits, before.hits);
}

TEST_P(ReadCache, it_keeps_at_most_its_size)
{
  for (int i = 0; i < 1100; ++i) {
    const KeyRecord k = aes_key("k" + std::to_string(i));
    ASSERT_TRUE(store().find_key(k.keynumber));
  }
  EXPECT_EQ(cache().stats().rows, 1000U);
}

TEST_P(ReadCache, a_change_through_another_server_reaches_it)
{
  if (!schema()) {
    GTEST_SKIP() << "SQLite: one server per store";
  }
  const std::unique_ptr<Store> other = open();
  const KeyRecord k = aes_key("a");
  ASSERT_TRUE(eventually([&] { return in_use(); }));
  ASSERT_EQ(store().find_key(k.keynumber)->status, KeyStatus::valid);
  ASSERT_EQ(store().find_key(k.keynumber)->status, KeyStatus::valid);  // now from memory
  KeyRecord changed = *other->find_key(k.keynumber);
  changed.status = KeyStatus::updated;
  other->update_key(changed);
  EXPECT_TRUE(eventually([&] { return store().find_key(k.keynumber)->status == KeyStatus::updated; }));
}

TEST_P(ReadCache, without_notices_it_is_off_and_forgets_what_it_held)
{
  if (!schema()) {
    GTEST_SKIP() << "SQLite: nothing to listen to";
  }
  const KeyRecord k = aes_key("a");
  ASSERT_TRUE(eventually([&] { return in_use(); }));
  ASSERT_EQ(store().find_key(k.keynumber)->alias, "a");
  // The database drops every connection, the listening one too, and a change comes in
  // that no server announces.
  ASSERT_NO_THROW(schema()->drop_connections());
  ASSERT_NO_FATAL_FAILURE(exec_backend("UPDATE keys SET alias = 'b' WHERE keynumber = " + std::to_string(k.keynumber)));
  EXPECT_TRUE(eventually([&] { return !in_use(); }));
  EXPECT_TRUE(eventually([&] { return in_use(); }));
  EXPECT_EQ(store().find_key(k.keynumber)->alias, "b");
}

}  // namespace
