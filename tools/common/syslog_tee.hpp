// --syslog: every line a tool writes on stderr also goes to syslog (and so to the
// journal), under the tool's name, so runs from cron and timers can be searched with
// `journalctl -t clm-cert`.
#pragma once

#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace clm {

// The syslog priority of a diagnostic line: LOG_ERR for "NAME: error: ..." and
// "NAME: tampered: ...", LOG_WARNING for "NAME: warning: ..." and "NAME: cannot check:
// ...", LOG_NOTICE for anything else.
int diagnostic_priority(std::string_view line);

// True when stderr is the systemd journal's stream for this process (the JOURNAL_STREAM
// variable names fd 2's device and inode): its lines already reach the journal.
bool stderr_is_journal();

// While alive, std::cerr keeps writing where it did and hands every complete line to
// syslog(3) as well (ident = the tool's name, LOG_USER, with the pid). When stderr is the
// journal already, lines are not sent twice: each gets the "<N>" priority prefix that
// journald reads instead (sd-daemon(3)). A progress line ending in '\r' is not logged.
class SyslogTee : private std::streambuf {
public:
  explicit SyslogTee(const std::string& ident, std::ostream& stream);
  ~SyslogTee() override;
  SyslogTee(const SyslogTee&) = delete;
  SyslogTee& operator=(const SyslogTee&) = delete;

private:
  int overflow(int c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;
  void put(char c);
  void end_line();

  std::ostream& m_stream;
  std::streambuf* m_target;
  std::string m_ident;  // openlog keeps the pointer: it must outlive the tee
  std::string m_line;
  bool m_journal;
};

}  // namespace clm
