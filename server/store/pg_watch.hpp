// Change notices between the servers sharing one PostgreSQL database: a connection of
// its own LISTENing on the store's channel, on a thread of its own. Each notification
// is delivered as the names it carries; the loss of the connection as nullopt, and a
// (new) connection listening as an empty list. Reconnects with backoff until stopped.
#pragma once

#include "store.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace clm::server {

class PgChangeWatcher {
public:
  // How long a silent connection goes unchecked: a peer that vanished without closing
  // it is noticed within this (a query on it fails).
  static constexpr int k_check_ms = 5000;

  PgChangeWatcher(std::string conninfo, std::string channel, std::function<void(const ChangeNotice&)> notice);
  ~PgChangeWatcher();  // stops the thread
  PgChangeWatcher(const PgChangeWatcher&) = delete;
  PgChangeWatcher& operator=(const PgChangeWatcher&) = delete;

private:
  void run();
  void listen_until_lost();
  // Wait up to ms for fd to be readable (fd < 0: just wait); return false when stopped.
  bool wait(int fd, int ms);

  const std::string m_conninfo;
  const std::string m_channel;
  const std::function<void(const ChangeNotice&)> m_notice;
  int m_wake[2] = {-1, -1};  // a pipe: written to stop the thread
  std::atomic<bool> m_stop{false};
  bool m_loss_reported = false;  // on the thread only
  std::thread m_thread;  // last: started once the rest is set
};

}  // namespace clm::server
