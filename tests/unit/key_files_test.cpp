// Tests of key files on the device: encodings, the key of an answer, files written with
// their sidecars and modes, files made by an external lightcipher, removal, and what
// clm-key prints.
#include "test_support.hpp"

#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/key_files.hpp>
#include <clm/output_files.hpp>
#include <clm/sidecar.hpp>
#include <clm/util/hex.hpp>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

using clm::ExitCode;
using clm::KeyEncoding;
using clm::json;
using clm::test::error_of;
using clm::test::mode_of;
using clm::test::read_plain;
using clm::test::write_plain;

class KeyFilesTest : public clm::test::TempDirTest {
protected:
  KeyFilesTest() : TempDirTest("clm-key-files") {}
};

const std::string k_key("\x00\x11\xfe\xff key bytes \n", 16);

TEST(KeyEncoding, NamesParseAndOthersAreRefusedNamingTheOption)
{
  EXPECT_EQ(clm::parse_key_encoding("raw", "--encoding"), KeyEncoding::raw);
  EXPECT_EQ(clm::parse_key_encoding("hex", "--encoding"), KeyEncoding::hex);
  EXPECT_EQ(clm::parse_key_encoding("base64", "--encoding"), KeyEncoding::base64);
  const auto e = error_of([] { clm::parse_key_encoding("HEX", "--encoding"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::bad_parameter);
  EXPECT_NE(std::string(e->what()).find("--encoding"), std::string::npos);
}

TEST(KeyEncoding, EveryEncodingRoundTripsAndTextEndsInANewline)
{
  for (const auto enc : {KeyEncoding::raw, KeyEncoding::hex, KeyEncoding::base64}) {
    const std::string text = clm::encode_key(k_key, enc);
    EXPECT_EQ(clm::decode_key(text, enc, "k"), k_key);
    if (enc != KeyEncoding::raw) {
      EXPECT_EQ(text.back(), '\n');
      EXPECT_EQ(clm::decode_key(text.substr(0, text.size() - 1) + "\r\n", enc, "k"), k_key) << "CRLF";
    }
  }
  EXPECT_EQ(clm::encode_key("\x01\xab", KeyEncoding::hex), "01ab\n");
}

TEST(KeyEncoding, TextThatIsNotAKeyIsABadFileFormatNamingThePath)
{
  const std::vector<std::pair<std::string, KeyEncoding>> bad = {
    {"", KeyEncoding::raw}, {"", KeyEncoding::hex}, {"0g\n", KeyEncoding::hex}, {"abc\n", KeyEncoding::hex},
    {"!!!!\n", KeyEncoding::base64}, {"\n", KeyEncoding::base64}};
  for (const auto& [text, enc] : bad) {
    const auto e = error_of([&] { clm::decode_key(text, enc, "/keys/k1"); });
    ASSERT_TRUE(e) << text;
    EXPECT_EQ(e->code(), ExitCode::bad_file_format) << text;
    EXPECT_NE(std::string(e->what()).find("/keys/k1"), std::string::npos) << e->what();
  }
}

TEST(KeyOfAnswer, DecodesCommonkeyAndIsABadAnswerForAnythingElse)
{
  EXPECT_EQ(clm::key_of_answer(json{{"commonkey", "AAECAw=="}}), std::string("\x00\x01\x02\x03", 4));
  for (const json& body : {json::object(), json{{"commonkey", 12}}, json{{"commonkey", ""}}, json{{"commonkey", "!!"}},
                           json{{"commonkey", "AAECAw=="}, {"keynumber", 4}},
                           json{{"commonkey", "AAECAw=="}, {"keynumber", "4\n"}}}) {
    const auto e = error_of([&] { (void)clm::key_of_answer(body); });
    ASSERT_TRUE(e) << body;
    EXPECT_EQ(e->code(), clm::ExitCode::http_error) << body;
  }
}

TEST_F(KeyFilesTest, AKeyFileIs0600WithASidecarThatMatchesIt)
{
  const fs::path path = dir() / "k1";
  const auto files = clm::write_key_file(path, k_key, KeyEncoding::hex);
  ASSERT_EQ(files, (std::vector<std::string>{path.string(), path.string() + ".sha256"}));
  EXPECT_EQ(read_plain(path), clm::encode_key(k_key, KeyEncoding::hex));
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(read_plain(path.string() + ".sha256"), clm::sidecar_line(read_plain(path), "k1"));
  EXPECT_EQ(clm::read_key_file(path, KeyEncoding::hex), k_key);
}

TEST_F(KeyFilesTest, ASecondWriteReplacesTheKeyAndItsSidecarTogether)
{
  const fs::path path = dir() / "k1";
  clm::write_key_file(path, k_key, KeyEncoding::raw);
  clm::write_key_file(path, "other key bytes!", KeyEncoding::raw);
  EXPECT_EQ(read_plain(path), "other key bytes!");
  EXPECT_EQ(read_plain(path.string() + ".sha256"), clm::sidecar_line("other key bytes!", "k1"));
  // Nothing else is left in the directory: no temporaries, no pending sidecar.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 2);
}

TEST_F(KeyFilesTest, AnUnreadableKeyFileIsAFileReadError)
{
  const auto e = error_of([&] { clm::read_key_file(dir() / "missing", KeyEncoding::hex); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::file_read);
}

TEST_F(KeyFilesTest, RemovingAKeyRemovesItsSidecarAndNamesWhatExisted)
{
  const fs::path path = dir() / "k1";
  clm::write_key_file(path, k_key, KeyEncoding::hex);
  EXPECT_EQ(clm::remove_key_file(path), (std::vector<std::string>{path.string(), path.string() + ".sha256"}));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".sha256"));
  EXPECT_TRUE(clm::remove_key_file(path).empty());
}

TEST_F(KeyFilesTest, LightcipherGetsTheKeyOnItsStandardInputAndItsFileGetsASidecar)
{
  const fs::path tool = dir() / "lightcipher";
  // Stands in for the vendor command: writes what it reads to the file it is given, and
  // records its arguments, which must not hold the key.
  write_plain(tool, "#!/bin/sh\nprintf '%s\\n' \"$*\" >\"" + (dir() / "args").string() + "\"\n"
                    "{ printf 'LC1 '; cat; } >\"$3\"\n");
  fs::permissions(tool, fs::perms::owner_all);
  const fs::path path = dir() / "k1.key";
  const auto files = clm::write_key_file_with_lightcipher(tool, path, k_key, "--lightcipher");
  ASSERT_EQ(files, (std::vector<std::string>{path.string(), path.string() + ".sha256"}));
  EXPECT_EQ(read_plain(path), "LC1 " + clm::util::hex_encode(k_key) + "\n");
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(read_plain(path.string() + ".sha256"), clm::sidecar_line(read_plain(path), "k1.key"));
  EXPECT_EQ(read_plain(dir() / "args").find(clm::util::hex_encode(k_key)), std::string::npos);
  // No private working directory is left behind.
  for (const auto& e : fs::directory_iterator(dir())) {
    EXPECT_EQ(e.path().filename().string().find(".lightcipher."), std::string::npos) << e.path();
  }
}

TEST_F(KeyFilesTest, ALightcipherThatFailsOrWritesNothingLeavesNothingBehind)
{
  for (const std::string script : {"#!/bin/sh\nexit 3\n", "#!/bin/sh\ncat >/dev/null\n"}) {
    const fs::path tool = dir() / "lightcipher";
    write_plain(tool, script);
    fs::permissions(tool, fs::perms::owner_all);
    const fs::path path = dir() / "k1.key";
    const auto e = error_of([&] { clm::write_key_file_with_lightcipher(tool, path, k_key, "--lightcipher"); });
    ASSERT_TRUE(e) << script;
    EXPECT_EQ(e->code(), ExitCode::external_command) << script;
    EXPECT_NE(std::string(e->what()).find("--lightcipher"), std::string::npos) << e->what();
    EXPECT_EQ(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), 1) << script;
  }
}

TEST(KeyOutput, HoldsNoKeyMaterialAndSaysWhatChanged)
{
  clm::ApiResult ok{200, {{"errorcode", 0}, {"keynumber", "12"}, {"commonkey", "c2VjcmV0"}, {"devicekey", "dk"}}};
  const json out = clm::key_output(ok, "gw", "/k/k1", {"/k/k1", "/k/k1.sha256"});
  EXPECT_FALSE(out.contains("commonkey"));
  EXPECT_FALSE(out.contains("devicekey"));
  EXPECT_EQ(out.at("keynumber"), "12");
  EXPECT_EQ(out.at("devicename"), "gw");
  EXPECT_EQ(out.at("file"), "/k/k1");
  EXPECT_EQ(out.at("files").size(), 2u);
  EXPECT_EQ(out.at("changed"), true);
  clm::ApiResult refused{400, {{"errorcode", 1504}, {"commonkey", "c2VjcmV0"}}};
  const json no = clm::key_output(refused, "gw", "", {});
  EXPECT_FALSE(no.contains("commonkey"));
  EXPECT_FALSE(no.contains("file"));
  EXPECT_EQ(no.at("changed"), false);
  EXPECT_EQ(no.at("http_status"), 400);
}

}  // namespace
