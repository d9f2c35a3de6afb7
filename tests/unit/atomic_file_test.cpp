// Tests of crash-safe file writing and of the file readers: modes, replacement,
// temporary files, and what a failure leaves behind.
#include <clm/atomic_file.hpp>
#include <clm/error.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <vector>

namespace {

namespace fs = std::filesystem;

using clm::ExitCode;
using clm::test::error_of;
using clm::test::mode_of;
using clm::test::read_plain;
using clm::test::TempDirTest;
using clm::test::write_plain;

// Return the names of the entries of dir.
std::vector<std::string> entries(const fs::path& dir)
{
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Return the names in dir that look like write_file_atomic's temporary files.
std::vector<std::string> temp_files(const fs::path& dir)
{
  std::vector<std::string> out;
  for (const auto& name : entries(dir)) {
    if (name.find(".tmp.") != std::string::npos) {
      out.push_back(name);
    }
  }
  return out;
}

// Sets the umask for its lifetime.
class UmaskGuard {
public:
  explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) {}
  ~UmaskGuard() { ::umask(m_old); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

private:
  mode_t m_old;
};

class AtomicFileTest : public TempDirTest {
protected:
  AtomicFileTest() : TempDirTest("clm-atomic") {}
};

// ---- write_file_atomic -----------------------------------------------------

TEST_F(AtomicFileTest, write_creates_file_with_the_data)
{
  const fs::path p = dir() / "out.txt";
  clm::write_file_atomic(p, "hello\n", 0644);
  EXPECT_EQ(read_plain(p), "hello\n");
}

TEST_F(AtomicFileTest, write_keeps_binary_data_intact)
{
  const fs::path p = dir() / "bin";
  const std::string data("a\0b\xff\r\nc", 7);
  clm::write_file_atomic(p, data, 0600);
  EXPECT_EQ(read_plain(p), data);
}

TEST_F(AtomicFileTest, write_of_empty_data_creates_empty_file)
{
  const fs::path p = dir() / "empty";
  clm::write_file_atomic(p, "", 0600);
  ASSERT_TRUE(fs::exists(p));
  EXPECT_EQ(fs::file_size(p), 0u);
}

TEST_F(AtomicFileTest, write_creates_mode_0600)
{
  const fs::path p = dir() / "secret";
  clm::write_file_atomic(p, "s", 0600);
  EXPECT_EQ(mode_of(p), 0600u);
}

TEST_F(AtomicFileTest, write_creates_mode_0644)
{
  const fs::path p = dir() / "public";
  clm::write_file_atomic(p, "p", 0644);
  EXPECT_EQ(mode_of(p), 0644u);
}

TEST_F(AtomicFileTest, write_mode_ignores_a_restrictive_umask)
{
  const UmaskGuard mask(0077);
  const fs::path p = dir() / "public";
  clm::write_file_atomic(p, "p", 0644);
  EXPECT_EQ(mode_of(p), 0644u);
}

TEST_F(AtomicFileTest, write_mode_ignores_a_permissive_umask)
{
  const UmaskGuard mask(0000);
  const fs::path p = dir() / "secret";
  clm::write_file_atomic(p, "s", 0600);
  EXPECT_EQ(mode_of(p), 0600u);
}

TEST_F(AtomicFileTest, write_replaces_existing_content)
{
  const fs::path p = dir() / "out.txt";
  clm::write_file_atomic(p, "a much longer first version\n", 0644);
  clm::write_file_atomic(p, "short\n", 0644);
  EXPECT_EQ(read_plain(p), "short\n");
}

TEST_F(AtomicFileTest, write_replaces_a_file_written_by_others)
{
  const fs::path p = dir() / "out.txt";
  write_plain(p, "old contents that are longer\n");
  ::chmod(p.c_str(), 0644);
  clm::write_file_atomic(p, "new\n", 0600);
  EXPECT_EQ(read_plain(p), "new\n");
  EXPECT_EQ(mode_of(p), 0600u) << "the mode of the replaced file leaked through";
}

TEST_F(AtomicFileTest, write_leaves_no_temporary_file_on_success)
{
  const fs::path p = dir() / "out.txt";
  clm::write_file_atomic(p, "one", 0600);
  clm::write_file_atomic(p, "two", 0600);
  EXPECT_EQ(entries(dir()), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFileTest, write_fails_when_the_directory_is_missing)
{
  const fs::path p = dir() / "no-such-dir" / "out.txt";
  const auto err = error_of([&] { clm::write_file_atomic(p, "data", 0600); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::file_write) << err->what();
  EXPECT_NE(std::string(err->what()).find(p.string()), std::string::npos) << "message does not name the path: "
                                                                           << err->what();
  EXPECT_FALSE(fs::exists(dir() / "no-such-dir"));
  EXPECT_TRUE(entries(dir()).empty());
}

TEST_F(AtomicFileTest, write_fails_when_the_target_is_a_directory)
{
  const fs::path p = dir() / "target";
  fs::create_directory(p);
  write_plain(p / "inside", "keep me");
  const auto err = error_of([&] { clm::write_file_atomic(p, "data", 0600); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::file_write) << err->what();
  EXPECT_NE(std::string(err->what()).find(p.string()), std::string::npos) << "message does not name the path: "
                                                                           << err->what();
  EXPECT_TRUE(fs::is_directory(p));
  EXPECT_EQ(read_plain(p / "inside"), "keep me");
  EXPECT_TRUE(temp_files(dir()).empty()) << "temporary file left: " << temp_files(dir()).front();
}

TEST_F(AtomicFileTest, write_fails_when_the_parent_is_a_file)
{
  const fs::path parent = dir() / "plain";
  write_plain(parent, "keep me");
  const fs::path p = parent / "out.txt";
  const auto err = error_of([&] { clm::write_file_atomic(p, "data", 0600); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::file_write) << err->what();
  EXPECT_EQ(read_plain(parent), "keep me");
  EXPECT_EQ(entries(dir()), std::vector<std::string>{"plain"});
}

TEST_F(AtomicFileTest, failed_write_keeps_the_old_file_and_removes_the_temporary)
{
  const fs::path p = dir() / "state.json";
  clm::write_file_atomic(p, "old contents\n", 0600);

  // Make the data write itself fail (EFBIG) with a file size limit; root ignores
  // permissions, so this is the way to fail after the temporary file exists.
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 1024;
  std::optional<clm::Error> err;
  const bool limited = ::setrlimit(RLIMIT_FSIZE, &small) == 0;
  if (limited) {
    err = error_of([&] { clm::write_file_atomic(p, std::string(64 * 1024, 'n'), 0600); });
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
  }
  std::signal(SIGXFSZ, old_handler);
  ASSERT_TRUE(limited) << "setrlimit: " << std::strerror(errno);

  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::file_write) << err->what();
  EXPECT_NE(std::string(err->what()).find(p.string()), std::string::npos) << "message does not name the path: "
                                                                           << err->what();
  EXPECT_EQ(read_plain(p), "old contents\n");
  EXPECT_EQ(entries(dir()), std::vector<std::string>{"state.json"});
}

TEST_F(AtomicFileTest, write_to_a_relative_path_uses_the_current_directory)
{
  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir());
  std::optional<clm::Error> err = error_of([] { clm::write_file_atomic("relative.txt", "rel", 0600); });
  fs::current_path(old_cwd);
  ASSERT_FALSE(err.has_value()) << err->what();
  EXPECT_EQ(read_plain(dir() / "relative.txt"), "rel");
  EXPECT_EQ(entries(dir()), std::vector<std::string>{"relative.txt"});
}

// ---- read_file -------------------------------------------------------------

TEST_F(AtomicFileTest, read_returns_the_whole_contents)
{
  const fs::path p = dir() / "in";
  const std::string data = std::string("line 1\nline 2\n") + std::string(100000, 'x') + std::string("\0end", 4);
  write_plain(p, data);
  EXPECT_EQ(clm::read_file(p), data);
}

TEST_F(AtomicFileTest, read_of_empty_file_is_empty)
{
  const fs::path p = dir() / "in";
  write_plain(p, "");
  EXPECT_EQ(clm::read_file(p), "");
}

TEST_F(AtomicFileTest, read_of_missing_file_is_file_read_naming_it)
{
  const fs::path p = dir() / "missing";
  const auto err = error_of([&] { clm::read_file(p); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::file_read) << err->what();
  EXPECT_NE(std::string(err->what()).find(p.string()), std::string::npos) << err->what();
}

TEST_F(AtomicFileTest, read_of_a_directory_is_file_read)
{
  const auto err = error_of([&] { clm::read_file(dir()); });
  ASSERT_TRUE(err.has_value()) << "reading a directory succeeded instead of failing";
  EXPECT_EQ(err->code(), ExitCode::file_read) << err->what();
}

// ---- read_secret_file ------------------------------------------------------

TEST_F(AtomicFileTest, secret_is_the_first_line_without_newline)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "s3cret\n");
  EXPECT_EQ(clm::read_secret_file(p), "s3cret");
}

TEST_F(AtomicFileTest, secret_strips_crlf)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "s3cret\r\n");
  EXPECT_EQ(clm::read_secret_file(p), "s3cret");
}

TEST_F(AtomicFileTest, secret_without_line_ending_is_whole_file)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "s3cret");
  EXPECT_EQ(clm::read_secret_file(p), "s3cret");
}

TEST_F(AtomicFileTest, secret_ignores_later_lines)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "first\nsecond\nthird\n");
  EXPECT_EQ(clm::read_secret_file(p), "first");
}

TEST_F(AtomicFileTest, secret_keeps_inner_spaces)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "a b c\n");
  EXPECT_EQ(clm::read_secret_file(p), "a b c");
}

TEST_F(AtomicFileTest, secret_with_empty_first_line_is_bad_file_format)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "\nsecond line\n");
  const auto err = error_of([&] { clm::read_secret_file(p); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::bad_file_format) << err->what();
  EXPECT_NE(std::string(err->what()).find(p.string()), std::string::npos) << err->what();
}

TEST_F(AtomicFileTest, secret_with_crlf_only_is_bad_file_format)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "\r\n");
  const auto err = error_of([&] { clm::read_secret_file(p); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::bad_file_format) << err->what();
}

TEST_F(AtomicFileTest, secret_in_empty_file_is_bad_file_format)
{
  const fs::path p = dir() / "secret";
  write_plain(p, "");
  const auto err = error_of([&] { clm::read_secret_file(p); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::bad_file_format) << err->what();
}

TEST_F(AtomicFileTest, secret_in_missing_file_is_file_read)
{
  const auto err = error_of([&] { clm::read_secret_file(dir() / "missing"); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::file_read) << err->what();
}

// ---- make_locked_temp_dir --------------------------------------------------

TEST_F(AtomicFileTest, locked_temp_dir_is_private_and_locked_while_open)
{
  const UmaskGuard mask(0277);  // would take the owner's write bit from mkdtemp's 0700
  auto made = clm::make_locked_temp_dir(dir(), ".x.stage.", "create staging directory");
  EXPECT_EQ(made.path.parent_path(), dir());
  EXPECT_EQ(made.path.filename().string().size(), std::string(".x.stage.").size() + 6);
  EXPECT_EQ(mode_of(made.path), 0700u);
  const int other = ::open(made.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(other, 0);
  EXPECT_NE(::flock(other, LOCK_EX | LOCK_NB), 0) << "another open file took the lock";
  made.fd.close();
  EXPECT_EQ(::flock(other, LOCK_EX | LOCK_NB), 0) << "the lock outlived the fd";
  ::close(other);
}

TEST_F(AtomicFileTest, locked_temp_dir_in_a_missing_directory_names_it)
{
  const auto err = error_of([&] { clm::make_locked_temp_dir(dir() / "missing", ".x.", "create staging directory"); });
  ASSERT_TRUE(err.has_value()) << "no error";
  EXPECT_EQ(err->code(), ExitCode::file_write) << err->what();
  EXPECT_NE(std::string(err->what()).find("missing: create staging directory"), std::string::npos) << err->what();
}

}  // namespace
