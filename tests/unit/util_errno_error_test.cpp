// Tests of the errno messages of util/errno_error.
#include "test_support.hpp"

#include <clm/util/errno_error.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

using clm::ExitCode;
using clm::test::error_of;
namespace util = clm::util;

TEST(ErrnoError, errno_text_is_strerror)
{
  EXPECT_EQ(util::errno_text(ENOENT), std::strerror(ENOENT));
}

TEST(ErrnoError, message_names_path_step_and_reason)
{
  EXPECT_EQ(util::errno_message("/x/y", "fsync", EIO), std::string("/x/y: fsync: ") + std::strerror(EIO));
}

TEST(ErrnoError, empty_step_leaves_its_part_out)
{
  EXPECT_EQ(util::errno_message("/x/y", "", EACCES), std::string("/x/y: ") + std::strerror(EACCES));
}

TEST(ErrnoError, throw_errno_throws_the_code_and_message)
{
  const auto e = error_of([] { util::throw_errno(ExitCode::file_read, "f", "cannot open", ENOENT); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ExitCode::file_read);
  EXPECT_EQ(std::string(e->what()), std::string("f: cannot open: ") + std::strerror(ENOENT));
}

}  // namespace
