#include "request_log.hpp"

#include <clm/atomic_file.hpp>
#include <clm/util/hex.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <utility>

namespace clm::server {

namespace {

// Room for a refusal reason: our own words plus the (already shortened) field it names.
constexpr std::size_t k_detail_max = 160;

std::string utc_now()
{
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

std::string log_field(std::string_view text, std::size_t max)
{
  const bool cut = text.size() > max;
  if (cut) {
    text = text.substr(0, max);
  }
  std::string out;
  out.reserve(text.size() + 3);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '\\') {
      out += "\\x";
      out += util::hex_encode(std::string_view(&ch, 1));
    } else {
      out += ch;
    }
  }
  if (cut) {
    out += "...";
  }
  return out;
}

std::string format_request_log(const RequestLogEntry& e)
{
  std::string line = "clm-server: " + utc_now() + " " + log_field(e.remote) + " " + log_field(e.method) + " "
                     + log_field(e.path) + " " + std::to_string(e.status) + " errorcode="
                     + (e.errorcode ? std::to_string(*e.errorcode) : "-");
  char ms[32];
  std::snprintf(ms, sizeof ms, " %.1fms", e.milliseconds);
  line += ms;
  if (!e.detail.empty()) {
    line += " (" + log_field(e.detail, k_detail_max) + ")";
  }
  return line;
}

LogWriter::LogWriter(int fd, std::size_t max_pending)
  : m_fd(fd), m_max_pending(max_pending), m_thread([this] { run(); })
{
}

LogWriter::~LogWriter()
{
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_one();
  m_thread.join();
}

void LogWriter::line(std::string_view text)
{
  std::lock_guard lock(m_mutex);
  if (m_pending.size() + text.size() + 1 > m_max_pending) {
    ++m_dropped;
    return;
  }
  m_pending += text;
  m_pending += '\n';
  if (m_idle) {
    m_idle = false;
    m_wake.notify_one();
  }
}

void LogWriter::run()
{
  // A reader of the log that went away makes write fail with EPIPE; the signal stays
  // pending on this thread instead of ending the server.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  std::string batch;
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_idle = true;
    m_wake.wait(lock, [this] { return m_stop || !m_pending.empty() || m_dropped > 0; });
    m_idle = false;
    if (m_stop && m_pending.empty() && m_dropped == 0) {
      return;
    }
    batch.swap(m_pending);
    const std::size_t dropped = std::exchange(m_dropped, 0);
    lock.unlock();
    if (dropped > 0) {
      batch += "clm-server: " + std::to_string(dropped) + " log lines dropped: the log is not keeping up\n";
    }
    // Nothing to tell about a log that cannot be written: the lines are lost.
    (void)write_fully(m_fd, batch);
    batch.clear();
    lock.lock();
    if (!m_stop) {
      m_wake.wait_for(lock, k_gather, [this] { return m_stop; });
    }
  }
}

}  // namespace clm::server
