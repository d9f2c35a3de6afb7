// Tests of verify_paths (what clm-verify runs): results, their order and exit codes,
// pending sidecars, HMAC keys, and directories big enough to be checked in parallel.
#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/sidecar.hpp>
#include <clm/sidecar_verify.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::CheckStatus;
using clm::DigestKind;
using clm::ExitCode;
using clm::FileCheck;
using clm::test::TempDirTest;
using clm::test::write_plain;

class VerifyPathsTest : public TempDirTest {
protected:
  VerifyPathsTest() : TempDirTest("clm-verify") {}

  clm::VerifySummary verify(const std::vector<std::string>& paths, const clm::VerifyOptions& options = {})
  {
    results.clear();
    return clm::verify_paths(paths, options, [&](const FileCheck& c) { results.push_back(c); });
  }

  std::string path(const std::string& name) const { return (dir() / name).string(); }

  std::vector<FileCheck> results;
};

TEST_F(VerifyPathsTest, ADirectoryOfIntactFilesPassesAndFilesWithoutSidecarsAreSkipped)
{
  clm::write_with_sidecar(dir() / "a.pem", "A", 0644);
  clm::write_with_sidecar(dir() / "b.pem", "B", 0600);
  write_plain(dir() / "loose", "no sidecar");
  const auto s = verify({dir().string()});
  EXPECT_EQ(s.exit_code(), ExitCode::ok);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].file, path("a.pem"));
  EXPECT_EQ(results[0].sidecar, path("a.pem.sha256"));
  EXPECT_EQ(results[0].kind, DigestKind::sha256);
  EXPECT_EQ(results[0].status, CheckStatus::ok);
  EXPECT_EQ(results[1].file, path("b.pem"));
}

// The states a crash in write_with_sidecar can leave (ARCHITECTURE.md, "A file and its
// sidecar"), made by hand: the new file with the old sidecar and a pending one.
TEST_F(VerifyPathsTest, AFileMatchingItsPendingSidecarPassesAndTheNextWriteSettlesIt)
{
  clm::write_with_sidecar(dir() / "k", "old", 0600);
  write_plain(dir() / "k", "new");
  write_plain(dir() / "k.sha256.pending", clm::sidecar_line("new", "k"));
  EXPECT_EQ(verify({dir().string()}).exit_code(), ExitCode::ok);
  clm::settle_sidecar(dir() / "k", dir() / "k.sha256");
  EXPECT_EQ(clm::read_file(dir() / "k.sha256"), clm::sidecar_line("new", "k"));
  EXPECT_FALSE(std::filesystem::exists(dir() / "k.sha256.pending"));
  EXPECT_EQ(verify({dir().string()}).exit_code(), ExitCode::ok);
}

TEST_F(VerifyPathsTest, APendingSidecarOfAFileNeverWrittenIsIgnoredAndRemoved)
{
  clm::write_with_sidecar(dir() / "k", "old", 0600);
  write_plain(dir() / "k.sha256.pending", clm::sidecar_line("new", "k"));
  EXPECT_EQ(verify({dir().string()}).exit_code(), ExitCode::ok);
  clm::settle_sidecar(dir() / "k", dir() / "k.sha256");
  EXPECT_EQ(clm::read_file(dir() / "k.sha256"), clm::sidecar_line("old", "k"));
  EXPECT_FALSE(std::filesystem::exists(dir() / "k.sha256.pending"));
}

TEST_F(VerifyPathsTest, APendingSidecarDoesNotExcuseAFileMatchingNeither)
{
  clm::write_with_sidecar(dir() / "k", "old", 0600);
  write_plain(dir() / "k.sha256.pending", clm::sidecar_line("new", "k"));
  write_plain(dir() / "k", "changed");
  EXPECT_EQ(verify({dir().string()}).exit_code(), ExitCode::tampered);
}

TEST_F(VerifyPathsTest, AChangedFileIsTamperedAndAMissingOneUnreadableWhichWins)
{
  clm::write_with_sidecar(dir() / "a.pem", "A", 0644);
  clm::write_with_sidecar(dir() / "b.pem", "B", 0644);
  write_plain(dir() / "a.pem", "a");
  auto s = verify({path("a.pem"), path("b.pem")});
  EXPECT_EQ(s.exit_code(), ExitCode::tampered);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].status, CheckStatus::mismatch);
  EXPECT_EQ(results[1].status, CheckStatus::ok);

  fs::remove(dir() / "b.pem");
  s = verify({dir().string()});
  EXPECT_EQ(s.exit_code(), ExitCode::file_read);
  EXPECT_EQ(s.tampered, 1u);
  EXPECT_EQ(s.unreadable, 1u);
}

TEST_F(VerifyPathsTest, MalformedOrSwappedSidecarsAreTampered)
{
  clm::write_with_sidecar(dir() / "a.pem", "A", 0644);
  clm::write_with_sidecar(dir() / "b.pem", "B", 0644);
  fs::copy_file(dir() / "b.pem.sha256", dir() / "a.pem.sha256", fs::copy_options::overwrite_existing);
  auto s = verify({path("a.pem")});
  EXPECT_EQ(s.exit_code(), ExitCode::tampered);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].file, path("b.pem"));  // what the swapped sidecar names is still checked
  EXPECT_EQ(results[0].status, CheckStatus::ok);
  EXPECT_EQ(results[1].file, path("a.pem"));
  EXPECT_EQ(results[1].status, CheckStatus::malformed);

  write_plain(dir() / "a.pem.sha256", "not a sidecar\n");
  s = verify({path("a.pem.sha256")});
  EXPECT_EQ(s.exit_code(), ExitCode::tampered);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, CheckStatus::malformed);
}

TEST_F(VerifyPathsTest, AFileWithoutSidecarOrAMissingPathIsUnreadable)
{
  write_plain(dir() / "loose", "x");
  auto s = verify({path("loose"), path("nowhere")});
  EXPECT_EQ(s.exit_code(), ExitCode::file_read);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_FALSE(results[0].kind);
  EXPECT_TRUE(results[0].sidecar.empty());
  EXPECT_EQ(results[1].status, CheckStatus::unreadable);
}

TEST_F(VerifyPathsTest, HmacSidecarsNeedTheRightKey)
{
  const std::string key = clm::random_bytes(32);
  write_plain(dir() / "d_1.bin", "keybytes");
  write_plain(dir() / "d_1.bin.hmac", clm::hmac_sidecar_line("keybytes", key, "d_1.bin"));
  clm::VerifyOptions options;
  options.hmac_key = key;
  EXPECT_EQ(verify({path("d_1.bin")}, options).exit_code(), ExitCode::ok);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].kind, DigestKind::hmac_sha256);

  options.hmac_key = clm::random_bytes(32);
  EXPECT_EQ(verify({dir().string()}, options).exit_code(), ExitCode::tampered);

  options.hmac_key.reset();
  options.hmac_key_problem = "/state/hmac.key does not exist";
  EXPECT_EQ(verify({dir().string()}, options).exit_code(), ExitCode::file_read);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].error.find("/state/hmac.key"), std::string::npos);
}

TEST_F(VerifyPathsTest, RecursiveReachesSubdirectoriesAndEachSidecarIsCheckedOnce)
{
  fs::create_directories(dir() / "sub");
  clm::write_with_sidecar(dir() / "a", "A", 0644);
  clm::write_with_sidecar(dir() / "sub" / "b", "B", 0644);
  EXPECT_EQ(verify({dir().string()}).checked, 1u);
  clm::VerifyOptions options;
  options.recursive = clm::Recursive::yes;
  EXPECT_EQ(verify({dir().string(), path("a"), path("a.sha256")}, options).checked, 2u);
  EXPECT_EQ(results[1].file, path("sub/b"));
}

TEST_F(VerifyPathsTest, ABigDirectoryIsCheckedInParallelAndReportedInNameOrder)
{
  // More sidecars than the parallel threshold (64): every one checked once, in order.
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "f%04d", i);
    clm::write_with_sidecar(dir() / name, name, 0600);
    expected.push_back(path(name));
  }
  write_plain(dir() / "f0150", "changed");
  const auto s = verify({dir().string()});
  EXPECT_EQ(s.checked, 300u);
  EXPECT_EQ(s.tampered, 1u);
  EXPECT_EQ(s.exit_code(), ExitCode::tampered);
  ASSERT_EQ(results.size(), expected.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].file, expected[i]);
    EXPECT_EQ(results[i].status, i == 150 ? CheckStatus::mismatch : CheckStatus::ok) << i;
  }
}

}  // namespace
