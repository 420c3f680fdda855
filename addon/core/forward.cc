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
    const NextHop& hop = table[d];
    PacketRing* out = hop.port;
    bool tagged = (f.flags & kFlagVlanValid) != 0;
    // Read the offload header before a restored VLAN tag may overwrite it.
    virtio_net_hdr vnet{};
    bool has_vnet = f.vnet != nullptr;
    if (has_vnet) {
      vnet = *f.vnet;
      vnet.flags &= kVnetNeedsCsum;  // DATA_VALID vouched for this hop only: the next host checks again
    }
    if (tagged && !restore_vlan(f)) {
      ++c->dropped;
      continue;
    }
    std::memcpy(f.data, hop.macs, 12);
    if (out->vnet_hdr()) {
      // Carry the offload: the kernel finishes the checksum (and segments GSO frames).
      if (has_vnet && tagged && (vnet.flags & kVnetNeedsCsum)) vnet.csum_start = static_cast<uint16_t>(vnet.csum_start + 4);
      if (!has_vnet && (f.flags & kFlagCsumNotReady) && complete_frame_partial(f.data, f.len)) ++c->checksums_completed;
      if (out->enqueue(f.data, f.len, has_vnet ? &vnet : nullptr)) ++queued; else ++c->dropped;
      continue;
    }
    if (has_vnet && vnet.gso_type != kVnetGsoNone) {
      ++c->dropped;  // a GSO super-frame needs the kernel to segment it: vnet_hdr on the output port
      continue;
    }
    bool partial = has_vnet ? (vnet.flags & kVnetNeedsCsum) != 0 : (f.flags & kFlagCsumNotReady) != 0;
    if (partial) {
      bool ok = has_vnet ? complete_partial(f.data, f.len, vnet.csum_start + (tagged ? 4u : 0u), vnet.csum_offset)
                         : complete_frame_partial(f.data, f.len);
      if (ok) ++c->checksums_completed;
    }
    if (out->enqueue(f.data, f.len, nullptr)) ++queued; else ++c->dropped;
  }
  for (size_t p = 0; p < nports; ++p) ports[p]->flush();
  c->forwarded += queued;
  return queued;
}

}  // namespace lb
