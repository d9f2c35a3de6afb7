#include "syslog_tee.hpp"

#include <clm/text.hpp>

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <syslog.h>

namespace clm {

int diagnostic_priority(std::string_view line)
{
  const auto colon = line.find(": ");
  const std::string_view rest = colon == std::string_view::npos ? line : line.substr(colon + 2);
  if (rest.starts_with("error:") || rest.starts_with("tampered:")) {
    return LOG_ERR;
  }
  if (rest.starts_with("warning:") || rest.starts_with("cannot check:")) {
    return LOG_WARNING;
  }
  return LOG_NOTICE;
}

bool stderr_is_journal()
{
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (stream == nullptr || ::fstat(2, &st) != 0) {
    return false;
  }
  return std::string(stream) == std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

SyslogTee::SyslogTee(const std::string& ident, std::ostream& stream)
  : m_stream(stream), m_target(stream.rdbuf()), m_ident(ident), m_journal(stderr_is_journal())
{
  if (!m_journal) {
    ::openlog(m_ident.c_str(), LOG_PID, LOG_USER);
  }
  m_stream.rdbuf(this);
}

SyslogTee::~SyslogTee()
{
  if (!m_line.empty()) {
    end_line();
  }
  m_stream.rdbuf(m_target);
  m_target->pubsync();
  if (!m_journal) {
    ::closelog();
  }
}

void SyslogTee::put(char c)
{
  // To syslog, lines are copied as they pass; to the journal, a line is held until it
  // ends, since its priority prefix goes first and is read off the line's start.
  if (!m_journal) {
    m_target->sputc(c);
  }
  if (c == '\n') {
    end_line();
  } else if (c == '\r') {
    m_line.clear();  // a progress line: rewritten in place, never logged
  } else {
    m_line.push_back(c);
  }
}

void SyslogTee::end_line()
{
  if (m_journal) {
    const std::string prefixed = "<" + std::to_string(diagnostic_priority(m_line)) + ">" + m_line + "\n";
    m_target->sputn(prefixed.data(), static_cast<std::streamsize>(prefixed.size()));
  } else if (!m_line.empty()) {
    ::syslog(diagnostic_priority(m_line), "%s", log_safe(m_line).c_str());
  }
  m_line.clear();
}

int SyslogTee::overflow(int c)
{
  if (c != traits_type::eof()) {
    put(static_cast<char>(c));
  }
  return traits_type::not_eof(c);
}

std::streamsize SyslogTee::xsputn(const char* s, std::streamsize n)
{
  for (std::streamsize i = 0; i < n; ++i) {
    put(s[i]);
  }
  return n;
}

int SyslogTee::sync()
{
  return m_target->pubsync();
}

}  // namespace clm
