// A file descriptor owned by one object and closed when it goes.
#pragma once

#include <utility>

namespace clm::util {

class UniqueFd {
public:
  // Own fd (-1: none).
  explicit UniqueFd(int fd = -1) noexcept : m_fd(fd) {}
  ~UniqueFd() { close(); }
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept
  {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // Return the descriptor (-1 when none), still owned.
  int get() const noexcept { return m_fd; }

  // Return whether a descriptor is owned.
  bool valid() const noexcept { return m_fd >= 0; }

  // Return the descriptor and stop owning it.
  int release() noexcept { return std::exchange(m_fd, -1); }

  // Close the owned descriptor, if any, and own fd instead.
  void reset(int fd = -1) noexcept;

  // Close the owned descriptor now; return 0, or the errno of a failed close(2) (0
  // when none was owned).
  int close() noexcept;

private:
  int m_fd;
};

}  // namespace clm::util
