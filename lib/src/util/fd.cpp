#include <clm/util/fd.hpp>

#include <cerrno>
#include <unistd.h>

namespace clm::util {

void UniqueFd::reset(int fd) noexcept
{
  close();
  m_fd = fd;
}

int UniqueFd::close() noexcept
{
  if (m_fd < 0) {
    return 0;
  }
  // Linux releases the descriptor even when close fails (EINTR included): never retry.
  const int rc = ::close(std::exchange(m_fd, -1));
  return rc == 0 ? 0 : errno;
}

}  // namespace clm::util
