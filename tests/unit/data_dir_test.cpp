// Tests of the server's data directory as far as the certificate API needs it:
// the cert_lifetime setting, key numbers for the CA certificates at init and on
// opening a directory made before them, and the leaf key type following the CA.
#include "data_dir.hpp"
#include "store/sqlite_store.hpp"
#include "test_support.hpp"

#include <clm/error.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;

using clm::server::InitOptions;
using clm::server::KeyType;
using clm::server::SqliteStore;
using clm::test::error_of;
using clm::test::TempDirTest;
using clm::test::write_plain;

using namespace std::chrono_literals;

class DataDirTest : public TempDirTest {
protected:
  DataDirTest() : TempDirTest("clm-datadir") {}

  fs::path data() const { return dir() / "data"; }

  void init(KeyType type = KeyType::ec_p256)
  {
    InitOptions opts;
    opts.data_dir = data();
    opts.key_type = type;
    ASSERT_TRUE(clm::server::init_data_dir(opts).created);
  }
};

TEST_F(DataDirTest, new_settings_file_names_cert_lifetime_365d)
{
  init();
  const std::string conf = clm::test::read_plain(data() / "clm-server.conf");
  EXPECT_NE(conf.find("\ncert_lifetime = 365d\n"), std::string::npos) << conf;
  EXPECT_EQ(clm::server::read_server_settings(data()).cert_policy.lifetime, 365 * 24h);
}

TEST_F(DataDirTest, cert_lifetime_is_read_and_checked)
{
  fs::create_directories(data());
  write_plain(data() / "clm-server.conf", "cert_lifetime = 90d\n");
  EXPECT_EQ(clm::server::read_server_settings(data()).cert_policy.lifetime, 90 * 24h);
  write_plain(data() / "clm-server.conf", "cert_lifetime = 12h\n");
  EXPECT_EQ(clm::server::read_server_settings(data()).cert_policy.lifetime, 12h);
  for (const char* bad : {"cert_lifetime = 0d\n", "cert_lifetime = soon\n", "cert_lifetime = 5w\n"}) {
    write_plain(data() / "clm-server.conf", bad);
    const auto e = error_of([&] { clm::server::read_server_settings(data()); });
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_EQ(e->code(), clm::ExitCode::bad_config) << bad;
    EXPECT_NE(std::string(e->what()).find("cert_lifetime"), std::string::npos) << e->what();
  }
}

TEST_F(DataDirTest, missing_cert_lifetime_defaults_to_365d)
{
  fs::create_directories(data());
  write_plain(data() / "clm-server.conf", "id_lifetime = 30d\n");
  EXPECT_EQ(clm::server::read_server_settings(data()).cert_policy.lifetime, 365 * 24h);
}

TEST_F(DataDirTest, init_gives_the_ca_certificates_key_numbers_1_and_2)
{
  init();
  SqliteStore store(data() / "clm.db");
  ASSERT_TRUE(store.find_ca_certificate("CA").has_value());
  ASSERT_TRUE(store.find_ca_certificate("ca1").has_value());
  EXPECT_EQ(store.find_ca_certificate("CA")->keynumber, 1);
  EXPECT_EQ(store.find_ca_certificate("ca1")->keynumber, 2);
  EXPECT_EQ(store.allocate_keynumber("probe"), 3);
}

TEST_F(DataDirTest, opening_a_directory_from_before_registers_the_ca_certificates)
{
  init();
  // Undo the registration: a directory made before the certificate API has none.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data() / "clm.db").c_str(), &db), SQLITE_OK);
  const int rc = sqlite3_exec(db, "DELETE FROM certs; DELETE FROM keynumbers; DELETE FROM sqlite_sequence;", nullptr,
                              nullptr, nullptr);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK);
  auto opened = clm::server::open_data_dir(data());
  EXPECT_EQ(opened.store->find_ca_certificate("CA")->keynumber, 1);
  EXPECT_EQ(opened.store->find_ca_certificate("ca1")->keynumber, 2);
  auto again = clm::server::open_data_dir(data());
  EXPECT_EQ(again.store->allocate_keynumber("probe"), 3) << "registered twice";
}

TEST_F(DataDirTest, leaf_key_type_follows_the_ca)
{
  init(KeyType::ec_p256);
  EXPECT_EQ(clm::server::open_data_dir(data()).settings.cert_policy.key_type, KeyType::ec_p256);
}

}  // namespace
