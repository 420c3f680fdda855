// Test frames shared by the C++ tests. Checksums were computed by an
// independent implementation and confirmed by tshark's checksum validation
// (ip/tcp/udp.checksum.status == Good).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vectors {

inline std::vector<uint8_t> hex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

// Ethernet / IPv4 198.18.0.1 -> 198.18.0.10 / TCP 40000 -> 80, PSH|ACK, an
// HTTP request. IPv4 checksum 0x9235 (offset 24), TCP checksum 0x6f22 (offset 50).
inline std::vector<uint8_t> tcp_ipv4() {
  return hex(
      "02000000000202000000000108004500004d1c46400040069235c6120001c612000a9c400050010203040a0b0c0d5018faf06f22"
      "0000474554202f20485454502f312e310d0a486f73743a203139382e31382e302e31300d0a0d0a");
}
constexpr size_t kTcpIpv4IpCsumAt = 24;
constexpr size_t kTcpIpv4TcpCsumAt = 50;

// Ethernet / IPv6 2001:2::1 -> 2001:2::a / UDP 5353 -> 53, odd-length payload.
// UDP checksum 0x170e (offset 60).
inline std::vector<uint8_t> udp_ipv6() {
  return hex(
      "02000000000202000000000186dd60000000002b1140200100020000000000000000000000012001000200000000000000000000"
      "000a14e90035002b170e6c62617272617920756470206f76657220697076362074657374207061796c6f616421");
}
constexpr size_t kUdpIpv6CsumAt = 60;

}  // namespace vectors
