// Exit codes of every clm tool.
//
// Never renumber: these are the values of table 6.1 of the command reference
// (SWCLMCLIENT), so scripts written for it keep working. man/common/exit-status.scd
// mirrors this list; tests/unit/exit_code_test.cpp keeps the two in step.
#pragma once

#include <string_view>

namespace clm {

enum class ExitCode : int {
  ok = 0,
  bad_parameter = 1,      // a value given is not acceptable
  file_read = 2,          // a file could not be read
  bad_config = 3,         // a configuration file holds a bad value
  missing_parameter = 4,  // a required value was given nowhere
  bad_syntax = 5,         // the command line itself is malformed
  already_running = 6,    // another run holds the state directory lock
  file_write = 8,         // a file could not be written
  tampered = 15,          // a file does not match its sidecar
  socket = 20,            // a local socket error
  not_verified = 31,      // no verified ID/password in the state directory
  bad_file_format = 32,   // a file's contents are not in the expected format
  external_command = 33,  // a program run on our behalf failed
  network = 40,           // other transport errors (TLS, DNS, protocol)
  connect_timeout = 101,  // connecting to or waiting for the server timed out
  connection_refused = 102,
  http_error = 200,       // the server answered with an error; see errorcode
  internal = 255,
};

// Return the short English name of an exit code ("bad parameter").
std::string_view exit_code_name(ExitCode code);

}  // namespace clm
