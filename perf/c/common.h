/* Shared by the packet generator and the baseline forwarder: argument helpers, interface
 * lookup, the internet checksum, a monotonic clock. Header-only: each tool is one cc call. */
#ifndef LBARRAY_PERF_COMMON_H
#define LBARRAY_PERF_COMMON_H

#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

static inline void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

static inline void usage_error(const char *usage, const char *message) {
  fprintf(stderr, "%s\nusage: %s\n", message, usage);
  exit(2);
}

static inline double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int parse_mac(const char *text, uint8_t mac[6]) {
  unsigned v[6];
  if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
  return 0;
}

static inline int interface_index(const char *name) {
  int index = (int)if_nametoindex(name);
  if (index == 0) {
    fprintf(stderr, "no such interface: %s\n", name);
    exit(1);
  }
  return index;
}

static inline void interface_mac(int fd, const char *name, uint8_t mac[6]) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR");
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
}

/* One's-complement sum of len bytes (big-endian words), not folded. */
static inline uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum) {
  for (; len > 1; p += 2, len -= 2) sum += (uint32_t)(p[0] << 8 | p[1]);
  if (len) sum += (uint32_t)(p[0] << 8);
  return sum;
}

static inline uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

#endif
