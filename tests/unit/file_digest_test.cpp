// Tests of file digests: SHA-256 and HMAC-SHA256 against known vectors and OpenSSL's
// one-shot functions, and the bounded whole-file reads.
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/util/hex.hpp>

#include "digest_vectors.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>

namespace {

namespace fs = std::filesystem;

using clm::DigestKind;
using clm::ExitCode;
using clm::FileDigester;
using clm::test::error_of;
using clm::test::TempDirTest;
using clm::test::write_plain;

using clm::test::k_abc_sha256;
using clm::test::k_empty_sha256;
using clm::test::k_rfc4231_2_data;
using clm::test::k_rfc4231_2_key;
using clm::test::k_rfc4231_2_mac;

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
  const std::string key = clm::random_bytes(32);
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

TEST_F(FileDigestTest, ReadRegularFileReadsWholeFilesUpToTheLimitAndRefusesTheRest)
{
  std::string out = "old contents are replaced";
  clm::read_regular_file(file_with("abc", "abc").c_str(), 3, out);
  EXPECT_EQ(out, "abc");
  clm::read_regular_file(file_with("empty", "").c_str(), 3, out);
  EXPECT_EQ(out, "");
  const std::string big = pattern(3 * clm::k_digest_chunk_bytes + 5);
  clm::read_regular_file(file_with("big", big).c_str(), big.size(), out);
  EXPECT_EQ(out, big);
  for (const auto& [path, limit] : std::vector<std::pair<std::string, std::size_t>>{
         {file_with("four", "four"), 3}, {(dir() / "missing").string(), 10}, {dir().string(), 10}}) {
    const auto err = error_of([&] { clm::read_regular_file(path.c_str(), limit, out); });
    ASSERT_TRUE(err) << path;
    EXPECT_EQ(err->code(), ExitCode::file_read);
    EXPECT_NE(std::string(err->what()).find(path), std::string::npos);
  }
  // A FIFO is refused at once, not waited on.
  const std::string fifo = (dir() / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(error_of([&] { clm::read_regular_file(fifo.c_str(), 10, out); }));
}

TEST_F(FileDigestTest, ReadFdBoundedReadsPastAWrongSizeHint)
{
  const std::string data = pattern(100000);
  const std::string path = file_with("data", data);
  std::string out;
  for (const std::size_t hint : {std::size_t{0}, std::size_t{10}, data.size(), 2 * data.size()}) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    clm::read_fd_bounded(fd, path.c_str(), hint, data.size(), out);
    ::close(fd);
    EXPECT_EQ(out, data) << hint;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto err = error_of([&] { clm::read_fd_bounded(fd, path.c_str(), 0, data.size() - 1, out); });
  ::close(fd);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), ExitCode::file_read);
}

TEST(DigestName, NamesBothAlgorithms)
{
  EXPECT_STREQ(clm::digest_name(DigestKind::sha256), "SHA-256");
  EXPECT_STREQ(clm::digest_name(DigestKind::hmac_sha256), "HMAC-SHA256");
}

}  // namespace
