// Tests of the state directory: its lock, its modes, the stored ID/password, and the
// per-host HMAC key.
#include <clm/error.hpp>
#include <clm/state.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::ExitCode;
using clm::IdCredential;
using clm::StateDir;
using clm::test::error_of;
using clm::test::mode_of;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

class StateDirTest : public TempDirTest {
protected:
  StateDirTest() : TempDirTest("clm-state") {}

  // A state directory that does not exist yet.
  fs::path state_path() const { return dir() / "var" / "clm"; }

  // Return the code of the clm::Error load_id throws for an id.json holding text.
  std::optional<ExitCode> load_error_for(const std::string& text)
  {
    fs::create_directories(state_path());
    write_plain(state_path() / "id.json", text);
    const StateDir state(state_path());
    const auto err = error_of([&] { state.load_id(); });
    if (!err) {
      return std::nullopt;
    }
    return err->code();
  }
};

const IdCredential k_cred{"0000000001", "Abcdefgh12345678"};

// ---- lock ------------------------------------------------------------------

TEST_F(StateDirTest, constructor_touches_nothing)
{
  const StateDir state(state_path());
  EXPECT_EQ(state.path(), state_path());
  EXPECT_FALSE(fs::exists(state_path()));
  EXPECT_FALSE(fs::exists(dir() / "var"));
}

TEST_F(StateDirTest, lock_creates_the_directory_0700)
{
  StateDir state(state_path());
  state.lock();
  ASSERT_TRUE(fs::is_directory(state_path()));
  EXPECT_EQ(mode_of(state_path()), 0700u);
}

TEST_F(StateDirTest, lock_uses_an_existing_directory)
{
  fs::create_directories(state_path());
  StateDir state(state_path());
  EXPECT_NO_THROW(state.lock());
}

TEST_F(StateDirTest, second_lock_on_the_same_directory_is_already_running)
{
  StateDir first(state_path());
  first.lock();
  StateDir second(state_path());
  const auto err = error_of([&] { second.lock(); });
  ASSERT_TRUE(err.has_value()) << "the second lock succeeded";
  EXPECT_EQ(err->code(), ExitCode::already_running) << err->what();
}

TEST_F(StateDirTest, lock_is_released_when_the_holder_is_destroyed)
{
  {
    StateDir first(state_path());
    first.lock();
  }
  StateDir second(state_path());
  EXPECT_NO_THROW(second.lock());
}

TEST_F(StateDirTest, lock_in_an_uncreatable_place_is_file_write)
{
  write_plain(dir() / "plain-file", "x");
  StateDir state(dir() / "plain-file" / "clm");
  const auto err = error_of([&] { state.lock(); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), ExitCode::file_write) << err->what();
}

// ---- stored ID/password ----------------------------------------------------

TEST_F(StateDirTest, id_file_is_id_json_in_the_directory)
{
  const StateDir state(state_path());
  EXPECT_EQ(state.id_file(), state_path() / "id.json");
}

TEST_F(StateDirTest, load_without_stored_id_is_nullopt)
{
  const StateDir state(state_path());
  EXPECT_FALSE(state.load_id().has_value());
}

TEST_F(StateDirTest, require_without_stored_id_is_not_verified)
{
  const StateDir state(state_path());
  const auto err = error_of([&] { state.require_id(); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), ExitCode::not_verified) << err->what();
}

TEST_F(StateDirTest, save_then_load_round_trips)
{
  StateDir state(state_path());
  ASSERT_TRUE(state.save_id(k_cred));
  const auto loaded = state.load_id();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->keyid, k_cred.keyid);
  EXPECT_EQ(loaded->key, k_cred.key);
  const IdCredential required = state.require_id();
  EXPECT_EQ(required.keyid, k_cred.keyid);
  EXPECT_EQ(required.key, k_cred.key);
}

TEST_F(StateDirTest, saved_id_is_seen_by_another_state_dir_object)
{
  {
    StateDir writer(state_path());
    writer.save_id(k_cred);
  }
  const StateDir reader(state_path());
  EXPECT_EQ(reader.require_id().key, k_cred.key);
}

TEST_F(StateDirTest, save_reports_change_then_no_change)
{
  StateDir state(state_path());
  EXPECT_TRUE(state.save_id(k_cred));
  EXPECT_FALSE(state.save_id(k_cred));
}

TEST_F(StateDirTest, save_of_a_different_key_or_keyid_is_a_change)
{
  StateDir state(state_path());
  state.save_id(k_cred);
  EXPECT_TRUE(state.save_id(IdCredential{k_cred.keyid, "Other1234password"}));
  EXPECT_TRUE(state.save_id(IdCredential{"0000000002", "Other1234password"}));
  EXPECT_EQ(state.require_id().keyid, "0000000002");
}

TEST_F(StateDirTest, saved_file_is_0600_in_a_0700_directory)
{
  StateDir state(state_path());
  state.save_id(k_cred);
  EXPECT_EQ(mode_of(state.id_file()), 0600u);
  EXPECT_EQ(mode_of(state_path()), 0700u);
}

TEST_F(StateDirTest, save_leaves_no_temporary_file)
{
  StateDir state(state_path());
  state.save_id(k_cred);
  state.save_id(IdCredential{"0000000002", "x"});
  for (const auto& e : fs::directory_iterator(state_path())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

TEST_F(StateDirTest, forget_with_matching_keyid_removes_the_id)
{
  StateDir state(state_path());
  state.save_id(k_cred);
  EXPECT_TRUE(state.forget_id(k_cred.keyid));
  EXPECT_FALSE(fs::exists(state.id_file()));
  EXPECT_FALSE(state.load_id().has_value());
}

TEST_F(StateDirTest, forget_with_other_keyid_keeps_the_id)
{
  StateDir state(state_path());
  state.save_id(k_cred);
  EXPECT_FALSE(state.forget_id("0000000002"));
  ASSERT_TRUE(state.load_id().has_value());
  EXPECT_EQ(state.load_id()->keyid, k_cred.keyid);
}

TEST_F(StateDirTest, forget_without_stored_id_is_false)
{
  StateDir state(state_path());
  EXPECT_FALSE(state.forget_id(k_cred.keyid));
}

// ---- corrupted id.json -----------------------------------------------------

TEST_F(StateDirTest, id_file_that_is_not_json_is_bad_file_format)
{
  EXPECT_EQ(load_error_for("this is not json\n"), ExitCode::bad_file_format);
}

TEST_F(StateDirTest, truncated_id_file_is_bad_file_format)
{
  EXPECT_EQ(load_error_for(R"({"keyid":"0000000001","ke)"), ExitCode::bad_file_format);
}

TEST_F(StateDirTest, id_file_holding_an_array_is_bad_file_format)
{
  EXPECT_EQ(load_error_for(R"(["0000000001","pw"])"), ExitCode::bad_file_format);
}

TEST_F(StateDirTest, id_file_with_non_string_fields_is_bad_file_format)
{
  EXPECT_EQ(load_error_for(R"({"keyid":1,"key":"pw"})"), ExitCode::bad_file_format);
  EXPECT_EQ(load_error_for(R"({"keyid":"0000000001","key":null})"), ExitCode::bad_file_format);
}

TEST_F(StateDirTest, id_file_missing_the_key_is_bad_file_format)
{
  EXPECT_EQ(load_error_for(R"({"keyid":"0000000001"})"), ExitCode::bad_file_format);
}

TEST_F(StateDirTest, id_file_missing_the_keyid_is_bad_file_format)
{
  EXPECT_EQ(load_error_for(R"({"key":"pw"})"), ExitCode::bad_file_format);
}

TEST_F(StateDirTest, empty_id_file_is_bad_file_format)
{
  EXPECT_EQ(load_error_for(""), ExitCode::bad_file_format);
}

TEST_F(StateDirTest, require_with_corrupted_id_file_is_bad_file_format)
{
  fs::create_directories(state_path());
  write_plain(state_path() / "id.json", "garbage");
  const StateDir state(state_path());
  const auto err = error_of([&] { state.require_id(); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), ExitCode::bad_file_format) << err->what();
  EXPECT_NE(std::string(err->what()).find("id.json"), std::string::npos) << err->what();
}

// ---- default path ----------------------------------------------------------

TEST(StateDirDefault, root_uses_var_lib_clm_and_others_xdg_state_home)
{
  if (::geteuid() == 0) {
    EXPECT_EQ(StateDir::default_path(), fs::path("/var/lib/clm"));
    return;
  }
  const char* old = std::getenv("XDG_STATE_HOME");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("XDG_STATE_HOME", "/xdg/state", 1);
  const fs::path p = StateDir::default_path();
  if (saved) {
    ::setenv("XDG_STATE_HOME", saved->c_str(), 1);
  } else {
    ::unsetenv("XDG_STATE_HOME");
  }
  EXPECT_EQ(p, fs::path("/xdg/state/clm"));
}

class HmacKeyTest : public TempDirTest {
protected:
  HmacKeyTest() : TempDirTest("clm-hmackey") {}
};

TEST_F(HmacKeyTest, LoadOrCreateMakesA0600KeyOnceAndReturnsItAgain)
{
  const fs::path state = dir() / "var" / "clm";
  const std::string first = StateDir(state).load_or_create_hmac_key();
  EXPECT_EQ(first.size(), clm::k_hmac_key_bytes);
  EXPECT_EQ(mode_of(state), 0700u);
  EXPECT_EQ(mode_of(StateDir(state).hmac_key_file()), 0600u);
  EXPECT_EQ(read_plain(state / "hmac.key"), first);
  EXPECT_EQ(StateDir(state).load_or_create_hmac_key(), first);
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

}  // namespace
