#include "checksum.h"

#include <cstring>

namespace lb {

namespace {

inline uint32_t load32_native(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Sum in the host's byte order (RFC 1071 section 2(B): byte-order
// independence), converted to big-endian word order once at the end.
uint16_t native_sum_be(const uint8_t* p, size_t len) {
  uint64_t acc = 0;
  while (len >= 32) {
    acc += load32_native(p) + static_cast<uint64_t>(load32_native(p + 4));
    acc += load32_native(p + 8) + static_cast<uint64_t>(load32_native(p + 12));
    acc += load32_native(p + 16) + static_cast<uint64_t>(load32_native(p + 20));
    acc += load32_native(p + 24) + static_cast<uint64_t>(load32_native(p + 28));
    p += 32;
    len -= 32;
  }
  while (len >= 4) {
    acc += load32_native(p);
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    len -= 2;
  }
  if (len) {
    uint8_t tail[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, tail, 2);
    acc += w;
  }
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  uint16_t folded = csum_fold(static_cast<uint32_t>(acc));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  folded = static_cast<uint16_t>(folded << 8 | folded >> 8);
#endif
  return folded;
}

}  // namespace

uint32_t csum_add(const uint8_t* p, size_t len, uint32_t sum) {
  return csum_fold(sum + native_sum_be(p, len));
}

uint32_t pseudo_header_ipv4(const uint8_t* src4, const uint8_t* dst4, uint8_t proto, uint32_t l4_len) {
  uint32_t s = csum_add(src4, 4);
  s = csum_add(dst4, 4, s);
  return csum_fold(s + proto + (l4_len >> 16) + (l4_len & 0xffff));
}

uint32_t pseudo_header_ipv6(const uint8_t* src16, const uint8_t* dst16, uint8_t next_header, uint32_t l4_len) {
  uint32_t s = csum_add(src16, 16);
  s = csum_add(dst16, 16, s);
  return csum_fold(s + next_header + (l4_len >> 16) + (l4_len & 0xffff));
}

uint16_t ipv4_header_checksum(const uint8_t* ip, size_t header_len) {
  uint32_t s = csum_add(ip, 10);
  s = csum_add(ip + 12, header_len - 12, s);
  return static_cast<uint16_t>(~csum_fold(s));
}

uint16_t transport_checksum(const uint8_t* seg, size_t len, uint32_t pseudo_sum, size_t field_offset) {
  // The field is word-aligned (TCP 16, UDP 6): skipping it keeps word parity.
  uint32_t s = csum_add(seg, field_offset, pseudo_sum);
  s = csum_add(seg + field_offset + 2, len - field_offset - 2, s);
  return static_cast<uint16_t>(~csum_fold(s));
}

bool complete_partial(uint8_t* buf, size_t len, size_t csum_start, size_t csum_offset) {
  if (csum_start > len || csum_offset + 2 > len - csum_start) return false;
  uint16_t c = static_cast<uint16_t>(~csum_fold(csum_add(buf + csum_start, len - csum_start)));
  store16(buf + csum_start + csum_offset, c == 0 ? 0xffff : c);
  return true;
}

}  // namespace lb
