#include "frame.h"

#include "checksum.h"

namespace lb {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;

bool transport_field(uint8_t proto, size_t* field) {
  if (proto == kTcp) { *field = 16; return true; }
  if (proto == kUdp) { *field = 6; return true; }
  return false;
}

bool locate_ipv4(const uint8_t* f, size_t len, size_t off, L4Location* out) {
  if (len < off + 20) return false;
  const uint8_t* ip = f + off;
  size_t ihl = (ip[0] & 0x0f) * 4u;
  size_t total = load16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || len < off + total) return false;
  if (load16(ip + 6) & 0x1fff) return false;  // not the first fragment
  out->l3 = L3::ipv4;
  out->proto = ip[9];
  out->l3_start = off;
  out->csum_start = off + ihl;
  out->l4_len = total - ihl;
  return transport_field(out->proto, &out->csum_offset) && out->l4_len >= out->csum_offset + 2;
}

bool locate_ipv6(const uint8_t* f, size_t len, size_t off, L4Location* out) {
  if (len < off + 40) return false;
  const uint8_t* ip = f + off;
  if ((ip[0] >> 4) != 6) return false;
  size_t end = off + 40 + load16(ip + 4);
  if (len < end) return false;
  uint8_t next = ip[6];
  size_t pos = off + 40;
  for (;;) {
    if (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination options
      if (end < pos + 8) return false;
      uint8_t following = f[pos];
      pos += (f[pos + 1] + 1u) * 8u;
      next = following;
    } else if (next == 44) {  // fragment: only the first fragment holds the header
      if (end < pos + 8) return false;
      if (load16(f + pos + 2) & 0xfff8) return false;
      next = f[pos];
      pos += 8;
    } else {
      break;
    }
    if (pos > end) return false;
  }
  out->l3 = L3::ipv6;
  out->proto = next;
  out->l3_start = off;
  out->csum_start = pos;
  out->l4_len = end - pos;
  return transport_field(next, &out->csum_offset) && out->l4_len >= out->csum_offset + 2;
}

}  // namespace

bool locate_l4(const uint8_t* frame, size_t len, L4Location* out) {
  if (len < 14) return false;
  size_t off = 12;
  uint16_t type = load16(frame + off);
  while ((type == kEtherVlan || type == kEtherQinQ) && len >= off + 6) {
    off += 4;
    type = load16(frame + off);
  }
  off += 2;
  if (type == kEtherIpv4) return locate_ipv4(frame, len, off, out);
  if (type == kEtherIpv6) return locate_ipv6(frame, len, off, out);
  return false;
}

bool recompute_l4_checksum(uint8_t* frame, size_t len) {
  L4Location loc;
  if (!locate_l4(frame, len, &loc)) return false;
  const uint8_t* ip = frame + loc.l3_start;
  uint32_t pseudo = loc.l3 == L3::ipv4
      ? pseudo_header_ipv4(ip + 12, ip + 16, loc.proto, static_cast<uint32_t>(loc.l4_len))
      : pseudo_header_ipv6(ip + 8, ip + 24, loc.proto, static_cast<uint32_t>(loc.l4_len));
  uint16_t c = transport_checksum(frame + loc.csum_start, loc.l4_len, pseudo, loc.csum_offset);
  store16(frame + loc.csum_start + loc.csum_offset, loc.proto == kUdp ? udp_wire_checksum(c) : c);
  return true;
}

}  // namespace lb
