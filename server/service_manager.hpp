// What clm-server tells systemd about itself (Type=notify): ready once it listens,
// reloading around SIGHUP, stopping on SIGTERM. Without NOTIFY_SOCKET (not started by
// systemd) each call does nothing.
#pragma once

#include <string>

namespace clm::server {

// READY=1 with STATUS=status: the listener accepts connections.
void notify_ready(const std::string& status);

// RELOADING=1: SIGHUP is rereading the TLS identity; notify_ready follows.
void notify_reloading();

// STOPPING=1: the server is shutting down.
void notify_stopping();

}  // namespace clm::server
