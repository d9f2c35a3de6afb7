#include "pg_watch.hpp"

#include "pg_db.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace clm::server {

PgChangeWatcher::PgChangeWatcher(std::string conninfo, std::string channel,
                                 std::function<void(const ChangeNotice&)> notice)
  : m_conninfo(std::move(conninfo)), m_channel(std::move(channel)), m_notice(std::move(notice))
{
  if (::pipe2(m_wake, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "creating the change watcher's pipe");
  }
  m_thread = std::thread([this] { run(); });
}

PgChangeWatcher::~PgChangeWatcher()
{
  m_stop = true;
  const char byte = 0;
  (void)!::write(m_wake[1], &byte, 1);
  m_thread.join();
  ::close(m_wake[0]);
  ::close(m_wake[1]);
}

bool PgChangeWatcher::wait(int fd, int ms)
{
  pollfd fds[2] = {{m_wake[0], POLLIN, 0}, {fd, POLLIN, 0}};
  while (::poll(fds, fd >= 0 ? 2 : 1, ms) < 0 && errno == EINTR) {
  }
  return !m_stop;
}

void PgChangeWatcher::run()
{
  int backoff_ms = 100;
  while (!m_stop) {
    try {
      listen_until_lost();
      backoff_ms = 100;
    } catch (const StoreError& e) {
      // Each outage once on stderr, not each attempt to reconnect.
      if (!m_loss_reported) {
        std::fprintf(stderr, "clm-server: change notices from other servers stopped (%s); the read cache is off "
                             "until they resume\n", e.what());
        m_loss_reported = true;
      }
    }
    if (m_stop) {
      break;
    }
    m_notice(std::nullopt);
    wait(-1, backoff_ms);
    backoff_ms = std::min(backoff_ms * 2, 2000);
  }
}

void PgChangeWatcher::listen_until_lost()
{
  PgConnection conn(m_conninfo);
  conn.exec_script(("LISTEN " + conn.identifier(m_channel)).c_str());
  m_notice(ChangeNotice(std::vector<std::string>{}));
  if (m_loss_reported) {
    std::fprintf(stderr, "clm-server: change notices from other servers resumed; the read cache is on\n");
    m_loss_reported = false;
  }
  while (wait(conn.socket(), k_check_ms)) {
    const std::vector<std::string> payloads = conn.take_notifications();
    if (payloads.empty()) {
      conn.exec_script("SELECT 1");  // silence: check that the connection still answers
      continue;
    }
    for (const std::string& payload : payloads) {
      std::vector<std::string> names;
      std::istringstream in(payload);
      for (std::string name; in >> name;) {
        names.push_back(std::move(name));
      }
      if (!names.empty()) {
        m_notice(ChangeNotice(std::move(names)));
      }
    }
  }
}

}  // namespace clm::server
