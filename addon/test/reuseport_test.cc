#include "reuseport.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

using namespace lb;

namespace {

bool listening(int fd) {
  int v = 0;
  socklen_t l = sizeof v;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v == 1;
}

void two_sockets_share_one_port(const char* host) {
  Error err;
  int a = open_reuseport_listener(host, 0, 16, &err);
  CHECK(a >= 0);
  if (a < 0) return;
  int port = bound_port(a);
  int b = open_reuseport_listener(host, port, 16, &err);
  CHECK(b >= 0);
  CHECK(err.ok());
  CHECK(listening(a));
  if (b >= 0) {
    CHECK(listening(b));
    CHECK_EQ(bound_port(b), port);
    close(b);
  }
  close(a);
}

}  // namespace

TEST_CASE(reuseport_two_ipv4_listeners_on_one_port) { two_sockets_share_one_port("127.0.0.1"); }
TEST_CASE(reuseport_two_ipv6_listeners_on_one_port) { two_sockets_share_one_port("::1"); }

TEST_CASE(reuseport_rejects_a_name_and_reports_a_foreign_address) {
  Error err;
  CHECK_EQ(open_reuseport_listener("localhost", 0, 16, &err), -1);
  CHECK_EQ(err.code, std::string("ERR_INVALID_ARG"));
  Error err2;
  CHECK_EQ(open_reuseport_listener("198.18.255.254", 0, 16, &err2), -1);
  CHECK_EQ(err2.code, std::string("ERR_ADDRESS_NOT_AVAILABLE"));
}
