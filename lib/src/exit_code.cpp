#include <clm/exit_code.hpp>

namespace clm {

std::string_view exit_code_name(ExitCode code)
{
  switch (code) {
  case ExitCode::ok: return "success";
  case ExitCode::bad_parameter: return "bad parameter value";
  case ExitCode::file_read: return "file read failed";
  case ExitCode::bad_config: return "bad configuration value";
  case ExitCode::missing_parameter: return "required parameter missing";
  case ExitCode::bad_syntax: return "bad command syntax";
  case ExitCode::already_running: return "already running";
  case ExitCode::file_write: return "file write failed";
  case ExitCode::tampered: return "file tampered";
  case ExitCode::socket: return "socket error";
  case ExitCode::not_verified: return "ID/password not verified";
  case ExitCode::bad_file_format: return "bad file format";
  case ExitCode::external_command: return "external command failed";
  case ExitCode::network: return "network error";
  case ExitCode::connect_timeout: return "connection timed out";
  case ExitCode::connection_refused: return "connection refused";
  case ExitCode::http_error: return "server returned an error";
  case ExitCode::internal: return "internal error";
  }
  return "unknown";
}

}  // namespace clm
