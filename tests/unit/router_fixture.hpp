// A fixture for tests that drive the transport-free router: a fresh data directory
// (EC P-256 CA), its services, and a router with the licenses CLIENT-KEY and ADMIN-KEY.
#pragma once

#include "data_dir.hpp"
#include "router.hpp"
#include "test_support.hpp"

#include <clm/config.hpp>
#include <clm/crypto.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace clm::test {

class RouterFixture : public TempDirTest {
protected:
  explicit RouterFixture(std::string prefix) : TempDirTest(std::move(prefix)) {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(TempDirTest::SetUp());
    clm::server::InitOptions init;
    init.data_dir = dir() / "data";
    init.key_type = clm::server::KeyType::ec_p256;
    clm::server::init_data_dir(init);
    m_data = std::make_unique<clm::server::OpenDataDir>(clm::server::open_data_dir(init.data_dir));
    m_services = std::make_unique<clm::server::ApiServices>(*m_data);
    m_router = std::make_unique<clm::server::Router>(m_services->services(),
                                                     clm::server::Licenses{"CLIENT-KEY", "ADMIN-KEY"});
  }

  // The Authorization header value that carries the license KEY.
  static std::string basic(const std::string& key)
  {
    return "Basic " + clm::base64_encode(std::string(clm::k_license_user) + ":" + key);
  }

  std::unique_ptr<clm::server::OpenDataDir> m_data;
  std::unique_ptr<clm::server::ApiServices> m_services;
  std::unique_ptr<clm::server::Router> m_router;
};

}  // namespace clm::test
