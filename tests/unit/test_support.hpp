// Helpers the unit tests share: catching a clm::Error, looking at files, and a
// fixture that gives each test its own temporary directory.
#pragma once

#include <clm/error.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <utility>

namespace clm::test {

// Return the clm::Error f throws, or nullopt when it throws nothing (other exceptions propagate).
template <typename F>
std::optional<clm::Error> error_of(F&& f)
{
  try {
    f();
  } catch (const clm::Error& e) {
    return e;
  }
  return std::nullopt;
}

// Return the permission bits of p; fail the test and return 0 when p cannot be stat'ed.
inline mode_t mode_of(const std::filesystem::path& p)
{
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    ADD_FAILURE() << "stat " << p << ": " << std::strerror(errno);
    return 0;
  }
  return st.st_mode & 07777;
}

// Write data to p byte for byte, replacing what was there; fail the test when it cannot.
inline void write_plain(const std::filesystem::path& p, const std::string& data)
{
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
  ASSERT_TRUE(out) << "cannot write " << p;
}

// Read the whole of p byte for byte ("" when it cannot be read).
inline std::string read_plain(const std::filesystem::path& p)
{
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Return the 256 byte values in order.
inline std::string all_byte_values()
{
  std::string s;
  for (int b = 0; b < 256; ++b) {
    s.push_back(static_cast<char>(b));
  }
  return s;
}

// Give each test a fresh directory under ::testing::TempDir(), dir(), removed with all it holds after the test.
class TempDirTest : public ::testing::Test {
protected:
  // Name the directory prefix-XXXXXX, so that a left-over one tells which suite made it.
  explicit TempDirTest(std::string prefix = "clm-test") : m_prefix(std::move(prefix)) {}

  void SetUp() override
  {
    std::string tmpl = (std::filesystem::path(::testing::TempDir()) / (m_prefix + "-XXXXXX")).string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    m_dir = tmpl;
  }
  void TearDown() override
  {
    std::error_code ec;
    if (!m_dir.empty()) {
      std::filesystem::remove_all(m_dir, ec);
    }
  }

  const std::filesystem::path& dir() const { return m_dir; }

private:
  std::string m_prefix;
  std::filesystem::path m_dir;
};

}  // namespace clm::test
