// Tests of the license keys: who an Authorization header names (caller_of: client,
// admin or none), and the admin license key of a data directory (DIR/admin.key made at
// init, and for a directory from before it when it is opened).
#include "data_dir.hpp"
#include "license.hpp"
#include "test_support.hpp"

#include <clm/crypto.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;

using clm::server::Caller;
using clm::server::caller_of;
using clm::server::caller_suffices;
using clm::test::mode_of;
using clm::test::read_plain;
using clm::test::TempDirTest;

const std::string k_license = "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE";
const std::string k_admin = "ZZZZZ-YYYYY-XXXXX-WWWWW-VVVVV";

std::string basic(const std::string& user_colon_password)
{
  return "Basic " + clm::base64_encode(user_colon_password);
}

TEST(CallerOf, names_the_key_the_header_carries)
{
  EXPECT_EQ(caller_of(basic("secureware-clm:" + k_license), k_license, k_admin), Caller::client);
  EXPECT_EQ(caller_of(basic("secureware-clm:" + k_admin), k_license, k_admin), Caller::admin);
}

TEST(CallerOf, anything_else_is_none)
{
  for (const std::string& header :
       {std::string(), std::string("Basic "), std::string("Bearer ") + k_admin, basic("secureware-clm:"),
        basic("secureware-clm:" + k_license + "x"), basic("other:" + k_admin), basic(k_admin),
        std::string("Basic !!!not-base64"), std::string("basic ") + clm::base64_encode("secureware-clm:" + k_admin)}) {
    EXPECT_EQ(caller_of(header, k_license, k_admin), Caller::none) << header;
  }
}

TEST(CallerOf, an_empty_key_never_matches)
{
  EXPECT_EQ(caller_of(basic("secureware-clm:"), "", ""), Caller::none);
  EXPECT_EQ(caller_of(basic("secureware-clm:" + k_license), k_license, ""), Caller::client);
}

TEST(CallerSuffices, admin_may_do_what_a_client_may)
{
  EXPECT_TRUE(caller_suffices(Caller::admin, Caller::admin));
  EXPECT_TRUE(caller_suffices(Caller::admin, Caller::client));
  EXPECT_TRUE(caller_suffices(Caller::client, Caller::client));
  EXPECT_FALSE(caller_suffices(Caller::client, Caller::admin));
  EXPECT_FALSE(caller_suffices(Caller::none, Caller::client));
}

class AdminKeyTest : public TempDirTest {
protected:
  AdminKeyTest() : TempDirTest("clm-admin") {}

  fs::path data() const { return dir() / "data"; }
  void init()
  {
    clm::server::InitOptions opts;
    opts.data_dir = data();
    opts.key_type = clm::server::KeyType::ec_p256;
    ASSERT_TRUE(clm::server::init_data_dir(opts).created);
  }
};

TEST_F(AdminKeyTest, init_makes_an_admin_key_apart_from_the_license_key)
{
  init();
  ASSERT_TRUE(fs::exists(data() / "admin.key"));
  EXPECT_EQ(mode_of(data() / "admin.key"), 0600u);
  const std::string admin = read_plain(data() / "admin.key");
  EXPECT_EQ(admin.size(), 30u) << "five groups of five and a newline, as license.key";
  EXPECT_NE(admin, read_plain(data() / "license.key"));
  EXPECT_EQ(clm::server::open_data_dir(data()).admin_key + "\n", admin);
}

TEST_F(AdminKeyTest, a_directory_from_before_gets_one_when_opened)
{
  init();
  fs::remove(data() / "admin.key");
  const std::string made = clm::server::open_data_dir(data()).admin_key;
  EXPECT_EQ(made.size(), 29u);
  EXPECT_EQ(mode_of(data() / "admin.key"), 0600u);
  EXPECT_EQ(clm::server::open_data_dir(data()).admin_key, made) << "kept once made";
}

}  // namespace
