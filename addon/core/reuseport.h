// A listening TCP socket with SO_REUSEPORT, for worker_threads that each accept
// their share of connections (Node's `net` cannot set the option).
#pragma once
#include <string>

#include "error.h"

namespace lb {

// Returns a non-blocking, close-on-exec fd bound to host:port (an IPv4 or IPv6
// literal; IPv6 sockets get IPV6_V6ONLY) and listening, or -1 with *err set.
int open_reuseport_listener(const std::string& host, int port, int backlog, Error* err);

// The local port a socket is bound to (how the others join a socket bound to port 0), or -1.
int bound_port(int fd);

}  // namespace lb
