// Tests of the server's data directory: the cert_lifetime setting, key numbers for the
// CA certificates at init and on opening a directory made before them, the leaf key
// type following the CA, the TLS root apart from the device CA (and the migration of
// directories made before it), and loading the TLS identity.
#include "data_dir.hpp"
#include "store/open_store.hpp"
#include "store/sqlite_store.hpp"
#include "sqlite_test_support.hpp"
#include "test_support.hpp"

#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/util/hex.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::server::certificate_chains_to;
using clm::server::InitOptions;
using clm::server::KeyPair;
using clm::server::KeyType;
using clm::server::SqliteStore;
using clm::server::TlsIdentity;
using clm::server::TlsSource;
using clm::test::error_of;
using clm::test::TempDirTest;
using clm::test::write_plain;

using namespace std::chrono_literals;

class DataDirTest : public TempDirTest {
protected:
  DataDirTest() : TempDirTest("clm-datadir") {}

  fs::path data() const { return dir() / "data"; }

  void init(KeyType type = KeyType::ec_p256, std::vector<std::string> hostnames = {})
  {
    InitOptions opts;
    opts.data_dir = data();
    opts.key_type = type;
    opts.hostnames = std::move(hostnames);
    ASSERT_TRUE(clm::server::init_data_dir(opts).created);
  }

  std::string tls_file(const char* name) const { return clm::test::read_plain(data() / "tls" / name); }

  // Return the key pair name of the store, its key opened with the master key.
  KeyPair key_pair(const std::string& name)
  {
    const auto opened = clm::server::open_data_dir(data());
    const auto pair = opened.store->key_pair(name);
    EXPECT_TRUE(pair.has_value()) << name;
    if (!pair) {
      return {};
    }
    return KeyPair{pair->cert_pem, opened.box->open(pair->sealed_key, clm::server::key_pair_associated_data(name))};
  }

  // Save pair as the store's key pair name, without opening the directory (which
  // would migrate it).
  void put_key_pair(const std::string& name, const KeyPair& pair)
  {
    const clm::SecretBox box(clm::util::hex_decode(clm::read_secret_file(data() / "master.key")));
    SqliteStore store(data() / "clm.db");
    store.initialize(
      {{name, clm::server::StoredKeyPair{pair.cert_pem, box.seal(pair.key_pem, clm::server::key_pair_associated_data(name))}}});
  }

  // Turn the initialized directory into one made before the TLS root: a TLS certificate
  // issued by ca1 (same names), no "tls-root", tls/ca.pem the device root and
  // tls/server.pem the leaf and ca1, as init wrote them then.
  void make_old_layout()
  {
    const KeyPair root = key_pair("CA");
    const KeyPair ca1 = key_pair("ca1");
    const KeyPair old_leaf = clm::server::issue_tls_certificate(
      ca1, clm::certificate_names(key_pair("tls").cert_pem), clm::server::key_type_of(ca1.key_pem), 825);
    put_key_pair("tls", old_leaf);
    clm::test::exec_sql(data() / "clm.db", "DELETE FROM key_pairs WHERE name = 'tls-root'");
    write_plain(data() / "tls" / "ca.pem", root.cert_pem);
    write_plain(data() / "tls" / "server.pem", old_leaf.cert_pem + ca1.cert_pem);
    m_old_leaf = old_leaf;
  }

  // Write an organization's TLS root, and a leaf for names with its key, as PEM files.
  void write_org_identity(const std::vector<std::string>& names)
  {
    m_org_root = clm::server::create_tls_root(KeyType::ec_p256);
    m_org_leaf = clm::server::issue_tls_certificate(m_org_root, names, KeyType::ec_p256, 30);
    write_plain(org_cert(), m_org_leaf.cert_pem + m_org_root.cert_pem);
    write_plain(org_key(), m_org_leaf.key_pem);
  }
  fs::path org_cert() const { return dir() / "org-chain.pem"; }
  fs::path org_key() const { return dir() / "org-key.pem"; }

  KeyPair m_old_leaf;
  KeyPair m_org_root;
  KeyPair m_org_leaf;
};

// Expect f to throw clm::Error(code) whose message names path.
template <typename F>
void expect_error_naming(F&& f, clm::ExitCode code, const fs::path& path)
{
  const auto e = error_of(std::forward<F>(f));
  ASSERT_TRUE(e.has_value()) << "no error for " << path;
  EXPECT_EQ(e->code(), code) << e->what();
  EXPECT_NE(std::string(e->what()).find(path.string()), std::string::npos) << e->what();
  EXPECT_EQ(std::string(e->what()).find('\n'), std::string::npos) << "not one line: " << e->what();
}

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
  clm::test::exec_sql(data() / "clm.db", "DELETE FROM certs; DELETE FROM keynumbers; DELETE FROM sqlite_sequence; "
                                         "DELETE FROM sequences WHERE name = 'keynumber';");
  auto opened = clm::server::open_data_dir(data());
  EXPECT_EQ(opened.store->find_ca_certificate("CA")->keynumber, 1);
  EXPECT_EQ(opened.store->find_ca_certificate("ca1")->keynumber, 2);
  auto again = clm::server::open_data_dir(data());
  EXPECT_EQ(again.store->allocate_keynumber("probe"), 3) << "registered twice";
}

TEST(StoreLocation, postgresql_uris_are_taken_without_a_password_and_anything_else_is_exit_3)
{
  using clm::server::check_store_location;
  for (const char* ok : {"", "sqlite:/var/lib/clm", "postgresql:///clm?host=/run/postgresql",
                         "postgresql://clm@db.example:5432/clm?sslmode=verify-full", "postgres://db/clm",
                         "postgresql://clm@db/clm?passfile=/etc/clm/pgpass"}) {
    EXPECT_NO_THROW(check_store_location(ok, "--store")) << ok;
  }
  for (const char* with_password : {"postgresql://clm:secret@db/clm", "postgresql://db/clm?password=secret",
                                    "postgresql://db/clm?sslmode=disable&password=secret"}) {
    const auto e = error_of([&] { check_store_location(with_password, "--store"); });
    ASSERT_TRUE(e.has_value()) << with_password;
    EXPECT_EQ(e->code(), clm::ExitCode::bad_config);
    EXPECT_EQ(std::string(e->what()).find("secret"), std::string::npos) << "the password is not repeated";
    EXPECT_NE(std::string(e->what()).find("passfile"), std::string::npos);
  }
  for (const char* unknown : {"mysql://db/clm", "/var/lib/clm/clm.db", "host=db dbname=clm"}) {
    const auto e = error_of([&] { check_store_location(unknown, "store"); });
    ASSERT_TRUE(e.has_value()) << unknown;
    EXPECT_EQ(e->code(), clm::ExitCode::bad_config);
  }
  EXPECT_FALSE(clm::server::is_postgres_location("sqlite:/x"));
  EXPECT_TRUE(clm::server::is_postgres_location("postgres://db/clm"));
}

TEST_F(DataDirTest, leaf_key_type_follows_the_ca)
{
  init(KeyType::ec_p256);
  EXPECT_EQ(clm::server::open_data_dir(data()).settings.cert_policy.key_type, KeyType::ec_p256);
}

// ---- the TLS identity ----

TEST_F(DataDirTest, init_makes_a_tls_root_apart_from_the_device_ca)
{
  init(KeyType::rsa2048);
  const KeyPair device_root = key_pair("CA");
  const KeyPair ca1 = key_pair("ca1");
  const KeyPair tls_root = key_pair("tls-root");
  const KeyPair leaf = key_pair("tls");
  EXPECT_EQ(tls_file("ca.pem"), tls_root.cert_pem);
  EXPECT_EQ(tls_file("server.pem"), leaf.cert_pem);
  EXPECT_NE(tls_root.cert_pem, device_root.cert_pem);
  EXPECT_EQ(clm::certificate_facts(tls_root.cert_pem).subject, "/O=clm/CN=clm-server TLS root");
  EXPECT_TRUE(certificate_chains_to(leaf.cert_pem, "", tls_root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(leaf.cert_pem, ca1.cert_pem, device_root.cert_pem));
  EXPECT_FALSE(certificate_chains_to(ca1.cert_pem, "", tls_root.cert_pem));
  // The device CA keeps --key-type; the TLS identity is EC P-256.
  EXPECT_EQ(clm::server::key_type_of(ca1.key_pem), KeyType::rsa2048);
  EXPECT_EQ(clm::server::key_type_of(tls_root.key_pem), KeyType::ec_p256);
  EXPECT_EQ(clm::server::key_type_of(leaf.key_pem), KeyType::ec_p256);
  EXPECT_FALSE(clm::server::open_data_dir(data()).tls_separated);
}

TEST_F(DataDirTest, own_tls_identity_is_the_leaf_and_key_of_the_store_with_its_names)
{
  init(KeyType::ec_p256, {"clm.example.net", "192.0.2.7"});
  const auto opened = clm::server::open_data_dir(data());
  const TlsIdentity id = clm::server::load_tls_identity(opened, TlsSource{});
  EXPECT_EQ(id.chain_pem, tls_file("server.pem"));
  EXPECT_EQ(clm::server::pem_certificates(id.chain_pem).size(), 1u);
  EXPECT_TRUE(clm::server::key_matches_certificate(id.chain_pem, id.key_pem));
  EXPECT_EQ(id.names, (std::vector<std::string>{"localhost", "127.0.0.1", "::1", "clm.example.net", "192.0.2.7"}));
  // Loading again, as a reload does, gives the same identity.
  const TlsIdentity again = clm::server::load_tls_identity(opened, TlsSource{});
  EXPECT_EQ(again.chain_pem, id.chain_pem);
  EXPECT_EQ(again.key_pem, id.key_pem);
}

TEST_F(DataDirTest, organization_tls_identity_comes_from_its_files)
{
  init();
  write_org_identity({"127.0.0.1", "clm.corp.example"});
  const auto opened = clm::server::open_data_dir(data());
  const TlsIdentity id = clm::server::load_tls_identity(opened, TlsSource{org_cert(), org_key()});
  EXPECT_EQ(id.chain_pem, m_org_leaf.cert_pem + m_org_root.cert_pem);
  EXPECT_EQ(id.key_pem, m_org_leaf.key_pem);
  EXPECT_EQ(id.names, (std::vector<std::string>{"127.0.0.1", "clm.corp.example"}));
  // The files are read again on every load: a renewed certificate is picked up.
  write_org_identity({"clm2.corp.example"});
  EXPECT_EQ(clm::server::load_tls_identity(opened, TlsSource{org_cert(), org_key()}).names,
            (std::vector<std::string>{"clm2.corp.example"}));
}

TEST_F(DataDirTest, organization_tls_files_at_fault_are_named)
{
  init();
  write_org_identity({"127.0.0.1"});
  const auto opened = clm::server::open_data_dir(data());
  const fs::path missing = dir() / "missing.pem";
  const fs::path garbage = dir() / "garbage.pem";
  write_plain(garbage, "not PEM at all\n");
  const fs::path other_key = dir() / "other-key.pem";
  write_plain(other_key, clm::server::PrivateKey::generate(KeyType::ec_p256).pem());
  const fs::path broken = dir() / "broken.pem";
  std::string text = m_org_leaf.cert_pem;
  text.replace(text.find('\n') + 10, 8, "!!!!!!!!");
  write_plain(broken, text);
  auto load = [&](const fs::path& cert, const fs::path& key) {
    return [&, cert, key] { clm::server::load_tls_identity(opened, TlsSource{cert, key}); };
  };
  expect_error_naming(load(missing, org_key()), clm::ExitCode::file_read, missing);
  expect_error_naming(load(org_cert(), missing), clm::ExitCode::file_read, missing);
  expect_error_naming(load(garbage, org_key()), clm::ExitCode::bad_file_format, garbage);
  expect_error_naming(load(org_key(), org_key()), clm::ExitCode::bad_file_format, org_key());
  expect_error_naming(load(broken, org_key()), clm::ExitCode::bad_file_format, broken);
  expect_error_naming(load(org_cert(), garbage), clm::ExitCode::bad_file_format, garbage);
  expect_error_naming(load(org_cert(), other_key), clm::ExitCode::bad_file_format, other_key);
  expect_error_naming(load(org_cert(), org_cert()), clm::ExitCode::bad_file_format, org_cert());
}

TEST_F(DataDirTest, opening_an_old_directory_gives_it_a_tls_root_of_its_own)
{
  init(KeyType::ec_p256, {"clm.example.net"});
  const KeyPair device_root = key_pair("CA");
  const KeyPair ca1 = key_pair("ca1");
  ASSERT_NO_FATAL_FAILURE(make_old_layout());
  ASSERT_TRUE(certificate_chains_to(m_old_leaf.cert_pem, ca1.cert_pem, tls_file("ca.pem")));

  {
    const auto opened = clm::server::open_data_dir(data());
    EXPECT_TRUE(opened.tls_separated);
    const TlsIdentity id = clm::server::load_tls_identity(opened, TlsSource{});
    EXPECT_EQ(id.names, (std::vector<std::string>{"localhost", "127.0.0.1", "::1", "clm.example.net"}));
    EXPECT_EQ(id.chain_pem, tls_file("server.pem"));
    EXPECT_NE(id.chain_pem, m_old_leaf.cert_pem);
    EXPECT_EQ(clm::server::key_type_of(id.key_pem), KeyType::ec_p256);
  }
  const std::string ca_pem = tls_file("ca.pem");
  const std::string server_pem = tls_file("server.pem");
  EXPECT_EQ(clm::server::pem_certificates(ca_pem).size(), 1u);
  EXPECT_NE(ca_pem, device_root.cert_pem);
  EXPECT_EQ(ca_pem, key_pair("tls-root").cert_pem);
  EXPECT_EQ(clm::test::mode_of(data() / "tls" / "ca.pem"), 0644u);
  EXPECT_TRUE(certificate_chains_to(server_pem, "", ca_pem));
  EXPECT_FALSE(certificate_chains_to(server_pem, ca1.cert_pem, device_root.cert_pem));
  // The device CA is untouched, and the next open changes nothing.
  EXPECT_EQ(key_pair("CA").cert_pem, device_root.cert_pem);
  EXPECT_EQ(key_pair("ca1").cert_pem, ca1.cert_pem);
  EXPECT_FALSE(clm::server::open_data_dir(data()).tls_separated);
  EXPECT_EQ(tls_file("ca.pem"), ca_pem);
  EXPECT_EQ(tls_file("server.pem"), server_pem);
}

TEST_F(DataDirTest, a_tls_root_that_vouches_for_a_ca1_leaf_is_replaced_too)
{
  init();
  // A "tls-root" row but a leaf from ca1: the leaf still chains to the device CA.
  const KeyPair tls_root = key_pair("tls-root");
  ASSERT_NO_FATAL_FAILURE(make_old_layout());
  put_key_pair("tls-root", tls_root);
  EXPECT_TRUE(clm::server::open_data_dir(data()).tls_separated);
  EXPECT_TRUE(certificate_chains_to(tls_file("server.pem"), "", tls_file("ca.pem")));
  EXPECT_FALSE(certificate_chains_to(tls_file("server.pem"), key_pair("ca1").cert_pem, key_pair("CA").cert_pem));
}

}  // namespace
