#include "reuseport.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lb {

namespace {

bool fail_errno(Error* err, int e, const std::string& where) {
  if (e == EADDRINUSE) return err->set("ERR_ADDRESS_IN_USE", where + " is in use by a socket without SO_REUSEPORT (or of another user).");
  if (e == EADDRNOTAVAIL) return err->set("ERR_ADDRESS_NOT_AVAILABLE", where + " is not an address of this host.");
  if (e == EACCES || e == EPERM) return err->set("ERR_NO_PRIVILEGE", "binding " + where + " needs privilege (ports below 1024 need CAP_NET_BIND_SERVICE).");
  return err->set("ERR_SOCKET", "listening on " + where + " failed: " + std::strerror(e) + ".");
}

}  // namespace

int open_reuseport_listener(const std::string& host, int port, int backlog, Error* err) {
  sockaddr_storage ss{};
  socklen_t sl;
  int family;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    family = v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    sl = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    sl = sizeof *v6;
  } else {
    err->set("ERR_INVALID_ARG", "Expected an IPv4 or IPv6 address literal for host but received \"" + host + "\".");
    return -1;
  }
  std::string where = (family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail_errno(err, errno, where);
    return -1;
  }
  int one = 1;
  bool ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0 &&
            (family != AF_INET6 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
            bind(fd, reinterpret_cast<sockaddr*>(&ss), sl) == 0 && listen(fd, backlog) == 0;
  if (!ok) {
    int e = errno;
    close(fd);
    fail_errno(err, e, where);
    return -1;
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t sl = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) return -1;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return -1;
}

}  // namespace lb
