// The one error type of the library: an exit code and a message naming the culprit.
#pragma once

#include <clm/exit_code.hpp>

#include <stdexcept>
#include <string>

namespace clm {

class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}

  // Return the exit code the process should end with.
  ExitCode code() const { return m_code; }

private:
  ExitCode m_code;
};

}  // namespace clm
