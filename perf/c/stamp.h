/* The send-time stamp pktgen -T writes into a frame's UDP payload and sink reads back:
 * "LBTS" then the CLOCK_REALTIME send time in ns (host byte order: one machine).
 * Frames are Ethernet + IPv4 (20-byte header) + UDP to port 9; offsets are fixed. */
#ifndef LBARRAY_PERF_STAMP_H
#define LBARRAY_PERF_STAMP_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#define STAMP_OFFSET 42 /* 14 Ethernet + 20 IPv4 + 8 UDP */
#define STAMP_BYTES 12

static inline int64_t realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void write_stamp(uint8_t *frame, int64_t ns) {
  memcpy(frame + STAMP_OFFSET, "LBTS", 4);
  memcpy(frame + STAMP_OFFSET + 4, &ns, 8);
}

static inline int read_stamp(const uint8_t *f, uint32_t len, int64_t *ns) {
  if (len < STAMP_OFFSET + STAMP_BYTES || f[12] != 0x08 || f[13] != 0x00 || f[14] != 0x45 || f[23] != 17) return 0;
  if (f[36] != 0 || f[37] != 9 || memcmp(f + STAMP_OFFSET, "LBTS", 4) != 0) return 0;
  memcpy(ns, f + STAMP_OFFSET + 4, 8);
  return 1;
}

#endif
