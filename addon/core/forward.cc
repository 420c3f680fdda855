#include "forward.h"

#include <cstring>

#include "checksum.h"
#include "frame.h"

namespace lb {

bool complete_frame_partial(uint8_t* frame, size_t len) {
  L4Location loc;
  if (!locate_l4(frame, len, &loc)) return false;
  // End at the IP payload's end, not the frame's: Ethernet padding is not summed.
  return complete_partial(frame, loc.csum_start + loc.l4_len, loc.csum_start, loc.csum_offset);
}

size_t rewrite_buffer(uint8_t* buf, size_t buf_len, const int32_t* offsets, const int32_t* lengths, const int32_t* flags,
                      const int32_t* decisions, size_t n, const MacTable& table, ForwardCounters* c) {
  size_t done = 0;
  for (size_t i = 0; i < n; ++i) {
    int32_t d = decisions[i];
    if (d < 0 || static_cast<size_t>(d) >= table.count) {
      if (d == kDecisionConsumed) ++c->consumed; else ++c->dropped;
      continue;
    }
    uint8_t* f = buf + offsets[i];
    size_t len = static_cast<size_t>(lengths[i]);
    if (static_cast<size_t>(offsets[i]) + len > buf_len || len < 14) {
      ++c->dropped;
      continue;
    }
    std::memcpy(f, table.entries + static_cast<size_t>(d) * 12, 12);
    if (flags && (flags[i] & kFlagCsumNotReady) && complete_frame_partial(f, len)) ++c->checksums_completed;
    ++done;
  }
  c->forwarded += done;
  return done;
}

namespace {

// Puts the tag the kernel stripped back in front of the ethertype, using the
// ring's headroom: the MACs move 4 bytes down, nothing else moves.
bool restore_vlan(RxFrame& f) {
  if (f.headroom < 4) return false;
  f.data -= 4;
  f.len += 4;
  f.headroom -= 4;
  store16(f.data + 12, static_cast<uint16_t>(f.vlan >> 16));
  store16(f.data + 14, static_cast<uint16_t>(f.vlan));
  return true;
}

}  // namespace

size_t forward_frames(RxFrame* frames, const int32_t* decisions, size_t n, const NextHop* table, size_t table_size,
                      PacketRing* const* ports, size_t nports, ForwardCounters* c) {
  size_t queued = 0;
  for (size_t i = 0; i < n; ++i) {
    int32_t d = decisions[i];
    if (d < 0 || static_cast<size_t>(d) >= table_size) {
      if (d == kDecisionConsumed) ++c->consumed; else ++c->dropped;
      continue;
    }
    RxFrame& f = frames[i];
    if (f.flags & kFlagTruncated) {
      ++c->dropped;  // cut to the ring's frame space: sending it on would corrupt it
      continue;
    }
    const NextHop& hop = table[d];
    PacketRing* out = hop.port;
    bool tagged = (f.flags & kFlagVlanValid) != 0;
    // The offload header sits just before the frame. A restored VLAN tag overwrites
    // its tail, so a tagged frame's header is copied first (and csum_start moves).
    virtio_net_hdr* vnet = f.vnet;
    virtio_net_hdr copy;
    if (vnet) {
      vnet->flags &= kVnetNeedsCsum;  // DATA_VALID vouched for this hop only: the next host checks again
      if (tagged) {
        copy = *vnet;
        if (copy.flags & kVnetNeedsCsum) copy.csum_start = static_cast<uint16_t>(copy.csum_start + 4);
        vnet = &copy;
      }
    }
    if (tagged && !restore_vlan(f)) {
      ++c->dropped;
      continue;
    }
    std::memcpy(f.data, hop.macs, 12);
    if (out->vnet_hdr()) {
      // Carry the offload: the kernel finishes the checksum (and segments GSO frames).
      if (!vnet && (f.flags & kFlagCsumNotReady) && complete_frame_partial(f.data, f.len)) ++c->checksums_completed;
      if (out->enqueue(f.data, f.len, vnet)) ++queued; else ++c->dropped;
      continue;
    }
    if (vnet && vnet->gso_type != kVnetGsoNone) {
      ++c->dropped;  // a GSO super-frame needs the kernel to segment it: vnet_hdr on the output port
      continue;
    }
    bool partial = vnet ? (vnet->flags & kVnetNeedsCsum) != 0 : (f.flags & kFlagCsumNotReady) != 0;
    if (partial) {
      bool ok = vnet ? complete_partial(f.data, f.len, vnet->csum_start, vnet->csum_offset) : complete_frame_partial(f.data, f.len);
      if (ok) ++c->checksums_completed;
    }
    if (out->enqueue(f.data, f.len, nullptr)) ++queued; else ++c->dropped;
  }
  for (size_t p = 0; p < nports; ++p) ports[p]->flush();
  c->forwarded += queued;
  return queued;
}

}  // namespace lb
