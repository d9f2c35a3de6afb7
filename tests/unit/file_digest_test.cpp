// Tests of file digests and sidecars: SHA-256 and HMAC-SHA256 against known vectors and
// OpenSSL's one-shot functions, the sidecar line parser, the per-host HMAC key, and
// verify_paths' results and exit codes.
#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/output_files.hpp>
#include <clm/util/hex.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::CheckStatus;
using clm::DigestKind;
using clm::ExitCode;
using clm::FileCheck;
using clm::FileDigester;
using clm::parse_sidecar_line;
using clm::test::error_of;
using clm::test::mode_of;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

constexpr const char* k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* k_abc_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// RFC 4231, test case 2.
constexpr const char* k_rfc4231_2_key = "Jefe";
constexpr const char* k_rfc4231_2_data = "what do ya want for nothing?";
constexpr const char* k_rfc4231_2_mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

// Return n bytes that are not all alike (a chunk boundary inside a run of zeros would hide bugs).
std::string pattern(std::size_t n)
{
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

std::string openssl_hmac_hex(const std::string& data, const std::string& key)
{
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return clm::util::hex_encode(std::string(reinterpret_cast<const char*>(mac), len));
}

class FileDigestTest : public TempDirTest {
protected:
  FileDigestTest() : TempDirTest("clm-digest") {}

  std::string file_with(const std::string& name, const std::string& data)
  {
    const fs::path p = dir() / name;
    write_plain(p, data);
    return p.string();
  }
};

TEST_F(FileDigestTest, Sha256OfKnownFilesMatchesTheVectors)
{
  FileDigester d(DigestKind::sha256);
  EXPECT_EQ(d.hex_of_file(file_with("empty", "").c_str()), k_empty_sha256);
  EXPECT_EQ(d.hex_of_file(file_with("abc", "abc").c_str()), k_abc_sha256);
  EXPECT_EQ(d.hex_of(""), k_empty_sha256);
  EXPECT_EQ(clm::sha256_file_hex(dir() / "abc"), k_abc_sha256);
}

TEST_F(FileDigestTest, Sha256OfAFileLargerThanTheChunkMatchesTheOneShotDigest)
{
  for (const std::size_t size : {clm::k_digest_chunk_bytes, 2 * clm::k_digest_chunk_bytes + 123}) {
    const std::string data = pattern(size);
    FileDigester d(DigestKind::sha256);
    EXPECT_EQ(d.hex_of_file(file_with("big", data).c_str()), clm::util::hex_encode(clm::sha256(data))) << size;
  }
}

TEST_F(FileDigestTest, HmacMatchesRfc4231AndOpenSslOneShotAcrossReuse)
{
  EXPECT_EQ(clm::hmac_sha256_hex(k_rfc4231_2_data, k_rfc4231_2_key), k_rfc4231_2_mac);
  const std::string key = clm::random_bytes(clm::k_hmac_key_bytes);
  const std::string big = pattern(3 * clm::k_digest_chunk_bytes + 7);
  FileDigester d(DigestKind::hmac_sha256, key);
  // The same object, several times: each file restarts HMAC with the constructor's key.
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(d.hex_of_file(file_with("rfc", k_rfc4231_2_data).c_str()), openssl_hmac_hex(k_rfc4231_2_data, key));
    EXPECT_EQ(d.hex_of_file(file_with("big", big).c_str()), openssl_hmac_hex(big, key));
    EXPECT_EQ(d.hex_of_file(file_with("empty", "").c_str()), openssl_hmac_hex("", key));
  }
  FileDigester jefe(DigestKind::hmac_sha256, k_rfc4231_2_key);
  EXPECT_EQ(jefe.hex_of_file(file_with("rfc", k_rfc4231_2_data).c_str()), k_rfc4231_2_mac);
}

TEST_F(FileDigestTest, UnreadableFilesAreFileReadErrorsNamingThePath)
{
  FileDigester d(DigestKind::sha256);
  const std::string missing = (dir() / "missing").string();
  auto err = error_of([&] { d.hex_of_file(missing.c_str()); });
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), ExitCode::file_read);
  EXPECT_NE(std::string(err->what()).find(missing), std::string::npos);
  err = error_of([&] { d.hex_of_file(dir().c_str()); });
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), ExitCode::file_read);
  // The digester still works after an error.
  EXPECT_EQ(d.hex_of_file(file_with("abc", "abc").c_str()), k_abc_sha256);
}

TEST(SidecarLine, ParsesTextAndBinaryLinesAndLowerCasesTheHex)
{
  auto text = parse_sidecar_line(std::string(k_abc_sha256) + "  clkey.pem");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->hex, k_abc_sha256);
  EXPECT_EQ(text->name, "clkey.pem");
  EXPECT_FALSE(text->binary);

  std::string upper = k_abc_sha256;
  for (auto& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto binary = parse_sidecar_line(upper + " *dev_1.bin");
  ASSERT_TRUE(binary);
  EXPECT_EQ(binary->hex, k_abc_sha256);
  EXPECT_EQ(binary->name, "dev_1.bin");
  EXPECT_TRUE(binary->binary);

  auto spaced = parse_sidecar_line(std::string(k_abc_sha256) + "   lead space");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->name, " lead space");
}

TEST(SidecarLine, UnescapesSha256sumEscapedNames)
{
  auto line = parse_sidecar_line("\\" + std::string(k_abc_sha256) + "  a\\\\b\\nc");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->name, "a\\b\nc");
  EXPECT_FALSE(parse_sidecar_line("\\" + std::string(k_abc_sha256) + "  bad\\x"));
  EXPECT_FALSE(parse_sidecar_line("\\" + std::string(k_abc_sha256) + "  trailing\\"));
}

TEST(SidecarLine, RejectsMalformedLines)
{
  const std::string hex = k_abc_sha256;
  for (const std::string& bad : {
         std::string(),
         hex,                                  // no name
         hex + "  ",                           // empty name
         hex + " name",                        // one space
         hex + "\tname",                       // a tab
         hex + "x  name",                      // 65 characters of "hex"
         hex.substr(1) + "  name",             // 63 hex digits
         "g" + hex.substr(1) + "  name",       // not hex
         hex + "  na\nme",                     // a newline in an unescaped name
         "SHA256 (name) = " + hex,             // BSD tag format: not a sidecar of ours
       }) {
    EXPECT_FALSE(parse_sidecar_line(bad)) << '"' << bad << '"';
  }
}

TEST(SidecarLine, HmacSidecarLineHasTheSha256LineFormat)
{
  const std::string line = clm::hmac_sidecar_line(k_rfc4231_2_data, k_rfc4231_2_key, "d_1.bin");
  EXPECT_EQ(line, std::string(k_rfc4231_2_mac) + "  d_1.bin\n");
  auto parsed = parse_sidecar_line(line.substr(0, line.size() - 1));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "d_1.bin");
  // And the .sha256 writer's lines parse too.
  const std::string sha_line = clm::sidecar_line("abc", "x");
  EXPECT_EQ(parse_sidecar_line(sha_line.substr(0, sha_line.size() - 1))->hex, k_abc_sha256);
}

class HmacKeyTest : public TempDirTest {
protected:
  HmacKeyTest() : TempDirTest("clm-hmackey") {}
};

TEST_F(HmacKeyTest, LoadOrCreateMakesA0600KeyOnceAndReturnsItAgain)
{
  const fs::path state = dir() / "var" / "clm";
  const std::string first = clm::load_or_create_hmac_key(state);
  EXPECT_EQ(first.size(), clm::k_hmac_key_bytes);
  EXPECT_EQ(mode_of(state), 0700u);
  EXPECT_EQ(mode_of(clm::hmac_key_path(state)), 0600u);
  EXPECT_EQ(read_plain(state / "hmac.key"), first);
  EXPECT_EQ(clm::load_or_create_hmac_key(state), first);
  // Nothing is left behind but the key.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(state)) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"hmac.key"});
  const auto read = clm::read_hmac_key(state / "hmac.key");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->key, first);
  EXPECT_FALSE(read->exposed);
}

TEST_F(HmacKeyTest, ReadHmacKeyReportsAbsentEmptyAndExposedKeys)
{
  EXPECT_FALSE(clm::read_hmac_key(dir() / "none"));
  write_plain(dir() / "empty", "");
  auto err = error_of([&] { clm::read_hmac_key(dir() / "empty"); });
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), ExitCode::bad_file_format);
  write_plain(dir() / "open", "secret\n");
  fs::permissions(dir() / "open", fs::perms(0644));
  const auto open = clm::read_hmac_key(dir() / "open");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->key, "secret\n");  // raw bytes, newline included
  EXPECT_TRUE(open->exposed);
}

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

}  // namespace
