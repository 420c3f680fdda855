// Just enough parsing of an Ethernet frame to find its TCP/UDP checksum:
// 802.1Q/802.1ad tags, IPv4 (IHL, fragments), IPv6 (extension header chain).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lb {

enum class L3 : uint8_t { none, ipv4, ipv6 };

struct L4Location {
  L3 l3 = L3::none;
  uint8_t proto = 0;        // 6 TCP, 17 UDP
  size_t l3_start = 0;      // offset of the IP header in the frame
  size_t csum_start = 0;    // offset of the TCP/UDP header in the frame
  size_t csum_offset = 0;   // offset of the checksum field from csum_start
  size_t l4_len = 0;        // TCP/UDP header + payload, from the IP lengths
};

// Finds the TCP/UDP checksum of the frame. False for anything else (ARP,
// ICMP, a non-first fragment, a truncated header): such frames carry no
// transport checksum to complete.
bool locate_l4(const uint8_t* frame, size_t len, L4Location* out);

// Recomputes the TCP/UDP checksum from scratch (pseudo-header included).
// Used by tests and by the replay backend; the fast path completes partial
// checksums instead.
bool recompute_l4_checksum(uint8_t* frame, size_t len);

}  // namespace lb
