// The batch fast path: apply TypeScript's per-frame decisions to a batch of
// frames. One core, two I/O backends: ring frames (rewrite, then TX on the
// next hop's port, one flush per port) and a plain buffer (pcap replay, tests:
// rewrite only). The TypeScript side decides, this side applies.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ring.h"

namespace lb {

// Decisions below 0. An index >= 0 selects a next hop.
constexpr int32_t kDecisionDrop = -1;      // drop the frame
constexpr int32_t kDecisionConsumed = -2;  // leave it alone: TypeScript handled it

struct ForwardCounters {
  uint64_t forwarded = 0;            // queued for TX / rewritten
  uint64_t dropped = 0;              // decision DROP, bad decision, or unsendable
  uint64_t consumed = 0;             // decision CONSUMED
  uint64_t checksums_completed = 0;  // partial checksums finished in C++
};

// MAC table of the buffer backend: count entries of 12 bytes (dst MAC, src MAC).
struct MacTable {
  const uint8_t* entries;
  size_t count;
};

// Next hop of the ring backend.
struct NextHop {
  PacketRing* port;
  uint8_t macs[12];  // dst MAC, src MAC
};

// Finds the TCP/UDP header and completes its partial checksum (the field holds
// the pseudo-header sum). False if the frame has no TCP/UDP checksum.
bool complete_frame_partial(uint8_t* frame, size_t len);

// Buffer backend: frame i is buf[offsets[i], +lengths[i]); flags may be null.
// Writes the MACs of decisions[i] and completes partial checksums of frames
// flagged kFlagCsumNotReady. Returns frames rewritten. Inputs are validated by
// the caller (offsets inside buf, decisions < table.count).
size_t rewrite_buffer(uint8_t* buf, size_t buf_len, const int32_t* offsets, const int32_t* lengths, const int32_t* flags,
                      const int32_t* decisions, size_t n, const MacTable& table, ForwardCounters* counters);

// Ring backend: rewrites each frame for its next hop (MACs; a stripped VLAN tag
// put back in the headroom; the partial checksum completed, or carried in the
// vnet header when the output port has vnet_hdr), queues it on the hop's port
// (truncated frames are dropped),
// then flushes every port in ports[0..nports) once. Returns frames queued.
size_t forward_frames(RxFrame* frames, const int32_t* decisions, size_t n, const NextHop* table, size_t table_size,
                      PacketRing* const* ports, size_t nports, ForwardCounters* counters);

}  // namespace lb
