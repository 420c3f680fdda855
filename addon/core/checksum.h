// Internet checksums (RFC 1071), incremental update (RFC 1624) and completion
// of partial checksums (the kernel's CHECKSUM_PARTIAL). Plain C++, no N-API.
//
// Convention: every 16-bit value here is a host-order number of a big-endian
// word as it sits in the packet (what ntohs would give). A "sum" is an
// unfolded-or-folded one's-complement sum of such words; fold() reduces it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lb {

// One's-complement sum of len bytes (odd tail padded with zero) added to sum.
// The result is folded to at most 0xffff. Fast: 64-bit accumulation.
uint32_t csum_add(const uint8_t* p, size_t len, uint32_t sum = 0);

// Folds a 32-bit one's-complement sum to 16 bits (no complement).
inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The checksum of len bytes: the complement of their folded sum.
inline uint16_t internet_checksum(const uint8_t* p, size_t len) {
  return static_cast<uint16_t>(~csum_fold(csum_add(p, len)));
}

// Sum of the IPv4 / IPv6 pseudo-header for a transport segment of l4_len bytes.
uint32_t pseudo_header_ipv4(const uint8_t* src4, const uint8_t* dst4, uint8_t proto, uint32_t l4_len);
uint32_t pseudo_header_ipv6(const uint8_t* src16, const uint8_t* dst16, uint8_t next_header, uint32_t l4_len);

// The IPv4 header checksum over header_len bytes, the checksum field (bytes
// 10-11) counted as zero whatever it holds.
uint16_t ipv4_header_checksum(const uint8_t* ip, size_t header_len);

// The TCP/UDP checksum of a segment given its pseudo-header sum; the checksum
// field at field_offset is counted as zero. A UDP result of 0 must be sent as
// 0xffff (RFC 768): use udp_wire_checksum for that.
uint16_t transport_checksum(const uint8_t* seg, size_t len, uint32_t pseudo_sum, size_t field_offset);
inline uint16_t udp_wire_checksum(uint16_t c) { return c == 0 ? 0xffff : c; }

// RFC 1624 eqn. 3: the new checksum after a 16-bit word changes from m to m2:
// HC' = ~(~HC + ~m + m').
inline uint16_t csum_update16(uint16_t hc, uint16_t m, uint16_t m2) {
  uint32_t s = static_cast<uint16_t>(~hc) + static_cast<uint32_t>(static_cast<uint16_t>(~m)) + m2;
  return static_cast<uint16_t>(~csum_fold(s));
}

// Completes a partial checksum in place, as the kernel's skb_checksum_help:
// the 16-bit field at csum_start + csum_offset holds the folded pseudo-header
// sum; sum from csum_start to len and store the complement (0 sent as 0xffff).
// Returns false, touching nothing, if the field lies outside the buffer.
bool complete_partial(uint8_t* buf, size_t len, size_t csum_start, size_t csum_offset);

inline uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace lb
