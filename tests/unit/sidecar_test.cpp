// Tests of the sidecar module: the names of sidecars, the sha256sum line format both
// kinds share (parsing, and writing with sha256sum's escapes), and the write/settle
// protocol that replaces a file and its sidecar (ARCHITECTURE.md, "A file and its sidecar").
#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/sidecar.hpp>
#include <clm/util/hex.hpp>

#include "digest_vectors.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::DigestKind;
using clm::ExitCode;
using clm::parse_sidecar_line;
using clm::test::mode_of;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

using clm::test::k_abc_sha256;
using clm::test::k_empty_sha256;
using clm::test::k_rfc4231_2_data;
using clm::test::k_rfc4231_2_key;
using clm::test::k_rfc4231_2_mac;

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

TEST(SidecarLine, WritesOddNamesEscapedAsSha256sumDoesAndReadsThemBack)
{
  const std::string hex = k_abc_sha256;
  EXPECT_EQ(clm::format_sidecar_line(hex, "plain.pem"), hex + "  plain.pem\n");
  // The bytes GNU sha256sum writes for these names.
  EXPECT_EQ(clm::format_sidecar_line(hex, "c\\d"), "\\" + hex + "  c\\\\d\n");
  EXPECT_EQ(clm::format_sidecar_line(hex, "e\nf"), "\\" + hex + "  e\\nf\n");
  EXPECT_EQ(clm::format_sidecar_line(hex, "a\rb"), "\\" + hex + "  a\\rb\n");
  for (const std::string name : {"plain", "c\\d", "e\nf", "a\rb", "\\\n\r\\", " lead space"}) {
    const std::string line = clm::format_sidecar_line(hex, name);
    ASSERT_EQ(line.find('\n'), line.size() - 1) << "one line for " << name;
    const auto parsed = parse_sidecar_line(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(parsed) << name;
    EXPECT_EQ(parsed->name, name);
    EXPECT_EQ(parsed->hex, hex);
  }
  // A name cannot smuggle a second line into a sidecar.
  const std::string forged = "x\n" + hex + "  victim";
  const std::string line = clm::sidecar_line("data", forged);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST(SidecarNames, PathsAndKindsFollowTheExtensions)
{
  EXPECT_EQ(clm::sidecar_path("/d/clkey.pem", DigestKind::sha256), fs::path("/d/clkey.pem.sha256"));
  EXPECT_EQ(clm::sidecar_path("/d/dev_1.bin", DigestKind::hmac_sha256), fs::path("/d/dev_1.bin.hmac"));
  EXPECT_EQ(clm::pending_sidecar_path("/d/k.sha256"), fs::path("/d/k.sha256.pending"));
  EXPECT_EQ(clm::sidecar_ext(DigestKind::sha256), ".sha256");
  EXPECT_EQ(clm::sidecar_ext(DigestKind::hmac_sha256), ".hmac");
  EXPECT_EQ(clm::sidecar_kind("a.pem.sha256"), DigestKind::sha256);
  EXPECT_EQ(clm::sidecar_kind("/d/dev_1.bin.hmac"), DigestKind::hmac_sha256);
  for (const char* name : {".sha256", ".hmac", "a.pem", "a.sha256.pending", "a.sha2566", ""}) {
    EXPECT_FALSE(clm::sidecar_kind(name)) << name;
  }
}

class SidecarWriteTest : public TempDirTest {
protected:
  SidecarWriteTest() : TempDirTest("clm-sidecar") {}

  fs::path file() const { return dir() / "k"; }
  fs::path sidecar() const { return dir() / "k.sha256"; }
  fs::path pending() const { return dir() / "k.sha256.pending"; }

  // Return the names in the directory, sorted.
  std::vector<std::string> names() const
  {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir())) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(SidecarWriteTest, WriteWithSidecarLeavesTheNewPairWithTheModeAndNothingElse)
{
  const auto written = clm::write_with_sidecar(file(), "secret", 0600);
  EXPECT_EQ(written, (std::vector<std::string>{file().string(), sidecar().string()}));
  EXPECT_EQ(read_plain(file()), "secret");
  EXPECT_EQ(read_plain(sidecar()), clm::sidecar_line("secret", "k"));
  EXPECT_EQ(mode_of(file()), 0600u);
  EXPECT_EQ(mode_of(sidecar()), 0600u);
  clm::write_with_sidecar(file(), "public", 0644);
  EXPECT_EQ(read_plain(sidecar()), clm::sidecar_line("public", "k"));
  EXPECT_EQ(mode_of(file()), 0644u);
  EXPECT_EQ(names(), (std::vector<std::string>{"k", "k.sha256"}));
}

TEST_F(SidecarWriteTest, InstallWithSidecarMovesAnotherProgramsFileInWithItsPair)
{
  clm::write_with_sidecar(file(), "old", 0600);
  // A crash of an earlier write left a pending sidecar that matches nothing.
  write_plain(pending(), clm::sidecar_line("lost", "k"));
  fs::create_directory(dir() / "work");
  write_plain(dir() / "work" / "k", "made elsewhere");
  const auto written = clm::install_with_sidecar(dir() / "work" / "k", file(), "made elsewhere", 0600);
  EXPECT_EQ(written, (std::vector<std::string>{file().string(), sidecar().string()}));
  EXPECT_EQ(read_plain(file()), "made elsewhere");
  EXPECT_EQ(read_plain(sidecar()), clm::sidecar_line("made elsewhere", "k"));
  EXPECT_EQ(mode_of(file()), 0600u);
  EXPECT_FALSE(fs::exists(dir() / "work" / "k"));
  fs::remove(dir() / "work");
  EXPECT_EQ(names(), (std::vector<std::string>{"k", "k.sha256"}));
}

// The three states a crash can leave (made by hand), and what the next write makes of them.
TEST_F(SidecarWriteTest, TheNextWriteSettlesEveryStateACrashCanLeave)
{
  // Step 1 done, step 2 not: a pending sidecar that does not match the file.
  clm::write_with_sidecar(file(), "old", 0600);
  write_plain(pending(), clm::sidecar_line("new", "k"));
  clm::settle_sidecar(file(), sidecar());
  EXPECT_EQ(read_plain(sidecar()), clm::sidecar_line("old", "k"));
  EXPECT_EQ(names(), (std::vector<std::string>{"k", "k.sha256"}));

  // Step 2 done, step 3 not: the new file, the old sidecar, a pending one that matches.
  write_plain(file(), "new");
  write_plain(pending(), clm::sidecar_line("new", "k"));
  EXPECT_TRUE(clm::pending_sidecar_confirms(sidecar().string(), "k", clm::sha256_file_hex(file())));
  clm::settle_sidecar(file(), sidecar());
  EXPECT_EQ(read_plain(sidecar()), clm::sidecar_line("new", "k"));
  EXPECT_EQ(names(), (std::vector<std::string>{"k", "k.sha256"}));

  // A pending sidecar beside no file at all belongs to nothing.
  fs::remove(file());
  write_plain(pending(), clm::sidecar_line("new", "k"));
  clm::settle_sidecar(file(), sidecar());
  EXPECT_FALSE(fs::exists(pending()));

  // And write_with_sidecar settles first, then writes the new pair.
  write_plain(file(), "newer");
  write_plain(pending(), clm::sidecar_line("newer", "k"));
  clm::write_with_sidecar(file(), "newest", 0600);
  EXPECT_EQ(read_plain(sidecar()), clm::sidecar_line("newest", "k"));
  EXPECT_EQ(names(), (std::vector<std::string>{"k", "k.sha256"}));
}

TEST_F(SidecarWriteTest, APendingSidecarConfirmsOnlyItsOwnFileAndDigest)
{
  const std::string hex = clm::util::hex_encode(clm::sha256("new"));
  EXPECT_FALSE(clm::pending_sidecar_confirms(sidecar().string(), "k", hex));  // none
  write_plain(pending(), clm::sidecar_line("other", "x") + clm::sidecar_line("new", "k"));
  EXPECT_TRUE(clm::pending_sidecar_confirms(sidecar().string(), "k", hex));
  EXPECT_FALSE(clm::pending_sidecar_confirms(sidecar().string(), "x", hex));
  EXPECT_FALSE(clm::pending_sidecar_confirms(sidecar().string(), "k", clm::util::hex_encode(clm::sha256("old"))));
  fs::remove(pending());
  fs::create_directory(pending());  // not a file: confirms nothing
  EXPECT_FALSE(clm::pending_sidecar_confirms(sidecar().string(), "k", hex));
}

}  // namespace
