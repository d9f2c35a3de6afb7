#include "service_manager.hpp"

#include <systemd/sd-daemon.h>

namespace clm::server {

namespace {

// sd_notify reports a failure to reach the socket; the server runs on regardless,
// as systemd would then notice the missing READY=1 itself.
void notify(const std::string& state)
{
  ::sd_notify(0, state.c_str());
}

}  // namespace

void notify_ready(const std::string& status)
{
  notify("READY=1\nSTATUS=" + status);
}

void notify_reloading()
{
  notify("RELOADING=1\nSTATUS=reloading the TLS certificate and key");
}

void notify_stopping()
{
  notify("STOPPING=1\nSTATUS=stopping");
}

}  // namespace clm::server
