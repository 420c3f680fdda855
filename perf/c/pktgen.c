/* pktgen: sends 64-byte (60 + FCS) IPv4/UDP frames on an AF_PACKET socket with sendmmsg, from
 * many flows (source addresses in 198.18.128.0/17, varying source ports), flat out or at a fixed
 * rate, for a count or a duration. Prints one JSON line: frames sent, seconds, pps.
 * With -T every frame carries its send time (stamp.h) for sink's latency figures; the UDP
 * checksum is then 0 ("none", allowed over IPv4) since the payload changes per send.
 *
 *   pktgen -i IFACE -d DSTMAC [-s SRCMAC] [-D DSTIP] [-f FLOWS] [-l LEN] [-b BATCH]
 *          [-r PPS] [-T] (-c COUNT | -t SECONDS)
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <unistd.h>

#include "stamp.h"

#define USAGE "pktgen -i IFACE -d DSTMAC [-s SRCMAC] [-D DSTIP] [-f FLOWS] [-l LEN] [-b BATCH] [-r PPS] [-T] (-c COUNT | -t SECONDS)"
#define MAX_BATCH 1024

/* Builds flow k's frame: Ethernet, IPv4 (no options), UDP to port 9, zero payload, full checksums. */
static void build_frame(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6], uint32_t dst_ip, uint32_t k, int stamped) {
  memset(f, 0, len);
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t *ip = f + 14;
  size_t ip_len = len - 14;
  uint32_t src_ip = (198u << 24) | (18u << 16) | 0x8000u | (k & 0x7fffu); /* 198.18.128.0/17 */
  ip[0] = 0x45;
  ip[2] = (uint8_t)(ip_len >> 8);
  ip[3] = (uint8_t)ip_len;
  ip[8] = 64;
  ip[9] = 17;
  for (int i = 0; i < 4; i++) {
    ip[12 + i] = (uint8_t)(src_ip >> (24 - 8 * i));
    ip[16 + i] = (uint8_t)(dst_ip >> (24 - 8 * i));
  }
  uint16_t ip_sum = (uint16_t)~fold(sum16(ip, 20, 0));
  ip[10] = (uint8_t)(ip_sum >> 8);
  ip[11] = (uint8_t)ip_sum;
  uint8_t *udp = ip + 20;
  size_t udp_len = ip_len - 20;
  uint16_t sport = (uint16_t)(1024 + (k * 7919u) % 60000u);
  udp[0] = (uint8_t)(sport >> 8);
  udp[1] = (uint8_t)sport;
  udp[3] = 9;
  udp[4] = (uint8_t)(udp_len >> 8);
  udp[5] = (uint8_t)udp_len;
  if (stamped) return; /* UDP checksum 0: none */
  uint32_t pseudo = sum16(ip + 12, 8, 0) + 17 + (uint32_t)udp_len;
  uint16_t udp_sum = (uint16_t)~fold(sum16(udp, udp_len, pseudo));
  if (udp_sum == 0) udp_sum = 0xffff;
  udp[6] = (uint8_t)(udp_sum >> 8);
  udp[7] = (uint8_t)udp_sum;
}

int main(int argc, char **argv) {
  const char *ifname = NULL, *dst_text = NULL, *src_text = NULL, *dst_ip_text = "198.18.0.2";
  long flows = 1024, len = 60, batch = 64, count = 0;
  double rate = 0, seconds = 0;
  int opt, stamped = 0;
  while ((opt = getopt(argc, argv, "i:d:s:D:f:l:b:r:c:t:T")) != -1) {
    switch (opt) {
      case 'i': ifname = optarg; break;
      case 'd': dst_text = optarg; break;
      case 's': src_text = optarg; break;
      case 'D': dst_ip_text = optarg; break;
      case 'f': flows = atol(optarg); break;
      case 'l': len = atol(optarg); break;
      case 'b': batch = atol(optarg); break;
      case 'r': rate = atof(optarg); break;
      case 'c': count = atol(optarg); break;
      case 't': seconds = atof(optarg); break;
      case 'T': stamped = 1; break;
      default: usage_error(USAGE, "unknown option");
    }
  }
  uint8_t dst[6], src[6];
  struct in_addr dst_ip;
  if (!ifname || !dst_text || parse_mac(dst_text, dst) < 0) usage_error(USAGE, "need -i IFACE and -d DSTMAC");
  if (inet_pton(AF_INET, dst_ip_text, &dst_ip) != 1) usage_error(USAGE, "-D must be an IPv4 address");
  if (flows < 1 || len < 42 || len > 1514 || batch < 1 || batch > MAX_BATCH) usage_error(USAGE, "bad -f, -l or -b");
  if (stamped && len < STAMP_OFFSET + STAMP_BYTES) usage_error(USAGE, "-T needs -l 54 or more");
  if ((count <= 0) == (seconds <= 0)) usage_error(USAGE, "give exactly one of -c COUNT and -t SECONDS");

  int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: this socket never receives */
  if (fd < 0) die("socket(AF_PACKET)");
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) die("PACKET_QDISC_BYPASS");
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = interface_index(ifname) };
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind");
  if (src_text) {
    if (parse_mac(src_text, src) < 0) usage_error(USAGE, "bad -s SRCMAC");
  } else {
    interface_mac(fd, ifname, src);
  }

  uint8_t *frames = malloc((size_t)flows * (size_t)len);
  if (!frames) die("malloc");
  for (long k = 0; k < flows; k++) build_frame(frames + k * len, (size_t)len, dst, src, ntohl(dst_ip.s_addr), (uint32_t)k, stamped);

  static struct mmsghdr msgs[MAX_BATCH];
  static struct iovec iov[MAX_BATCH];
  for (long j = 0; j < batch; j++) {
    iov[j].iov_len = (size_t)len;
    msgs[j].msg_hdr.msg_iov = &iov[j];
    msgs[j].msg_hdr.msg_iovlen = 1;
  }

  long sent = 0, errors = 0, next_flow = 0;
  double start = now_seconds(), elapsed = 0;
  for (;;) {
    elapsed = now_seconds() - start;
    if (count > 0 ? sent >= count : elapsed >= seconds) break;
    if (rate > 0 && sent >= elapsed * rate) continue; /* ahead of schedule: spin until the next slot */
    long n = batch;
    if (count > 0 && count - sent < n) n = count - sent;
    int64_t stamp = stamped ? realtime_ns() : 0;
    for (long j = 0; j < n; j++) {
      iov[j].iov_base = frames + next_flow * len;
      if (stamped) write_stamp(iov[j].iov_base, stamp);
      if (++next_flow == flows) next_flow = 0;
    }
    int r = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (r < 0) {
      if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) die("sendmmsg");
      errors++;
      continue;
    }
    sent += r;
  }
  printf("{\"sent\":%ld,\"seconds\":%.6f,\"pps\":%.0f,\"errors\":%ld,\"frameBytes\":%ld,\"flows\":%ld}\n",
         sent, elapsed, elapsed > 0 ? (double)sent / elapsed : 0.0, errors, len, flows);
  return 0;
}
