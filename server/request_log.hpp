// The one log line clm-server writes per request. Everything in it that a client chose
// is bounded and escaped, so a request can neither forge a line nor flood the log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace clm::server {

// The longest request-derived field a log line carries, in bytes before escaping.
inline constexpr std::size_t k_log_field_max = 64;

// Return text cut to max bytes ("..." marks a cut) with every byte outside printable
// ASCII, and the backslash, written as \xNN.
std::string log_field(std::string_view text, std::size_t max = k_log_field_max);

// What one log line says about a request.
struct RequestLogEntry {
  std::string remote;  // peer address
  std::string method;
  std::string path;    // percent-decoded, without the query
  unsigned status = 0;
  std::optional<int> errorcode;
  double milliseconds = 0;
  std::string detail;  // why a request was refused; may quote request fields
};

// Return the log line of entry, without the trailing newline.
std::string format_request_log(const RequestLogEntry& entry);

// Log lines bound for a file descriptor (stderr), written by a thread of their own: a
// request never waits on the log (a pipe to journald that is full, a slow disk), and
// lines that arrive together leave in one write. An idle writer writes a line at
// once; after each write it gathers for k_gather before the next, so under load the
// log costs one write per k_gather instead of one per request, and a line reaches the
// file at most k_gather after it was made. Past max_pending bytes waiting, lines are
// dropped and counted, and the count is logged when the writer catches up.
class LogWriter {
public:
  static constexpr std::chrono::milliseconds k_gather{10};

  explicit LogWriter(int fd = 2, std::size_t max_pending = std::size_t{4} << 20);
  ~LogWriter();  // writes what is pending, then returns
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Queue text and a newline.
  void line(std::string_view text);

private:
  void run();

  const int m_fd;
  const std::size_t m_max_pending;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::string m_pending;
  std::size_t m_dropped = 0;
  bool m_idle = false;  // the writer waits for a line and must be woken
  bool m_stop = false;
  std::thread m_thread;  // last: starts once the rest is ready
};

}  // namespace clm::server
