/* fwd: the minimal AF_PACKET forwarder the addon is measured against. A TPACKET_V3 RX ring on IN;
 * for every frame of a retired block: complete a partial TCP/UDP checksum if the kernel left one
 * (TP_STATUS_CSUMNOTREADY), write the destination and source MAC in place, queue it; one sendmmsg
 * per batch on OUT (PACKET_QDISC_BYPASS) straight from the ring, then the block goes back to the
 * kernel. With -2, a TPACKET_V2 ring instead (one 2048-byte slot per frame, each taken as soon as
 * the kernel wrote it: the baseline of the addon's frames RX mode). With -p US, it watches the ring
 * for up to US microseconds before it sleeps in poll() (busy polling, as the addon's busyPollUs). Runs until SIGTERM/SIGINT or
 * -t SECONDS; prints one JSON line with its counters and the kernel's PACKET_STATISTICS (received,
 * ring drops, frozen queue).
 *
 *   fwd -i IN -o OUT -d DSTMAC [-s SRCMAC] [-B BLOCK_BYTES] [-N BLOCKS] [-b BATCH] [-R RETIRE_MS] [-t SECONDS] [-2] [-p BUSY_POLL_US]
 */
#define _GNU_SOURCE
#include "common.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#define USAGE "fwd -i IN -o OUT -d DSTMAC [-s SRCMAC] [-B BLOCK_BYTES] [-N BLOCKS] [-b BATCH] [-R RETIRE_MS] [-t SECONDS] [-2] [-p BUSY_POLL_US]"
#define MAX_BATCH 1024

/* Waits for the kernel to hand *status over: watches it up to busy_us (the addon's busyPollUs), then sleeps in poll(). */
static void wait_user(const uint32_t *status, struct pollfd *pfd, long busy_us) {
  if (busy_us > 0) {
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
      for (int i = 0; i < 64; i++) {
        if (__atomic_load_n(status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause(); /* a spin-wait hint, as the addon's cpu_relax */
#endif
      }
      clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < busy_us);
  }
  poll(pfd, 1, 100);
}

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

/* Completes the partial TCP/UDP checksum of an Ethernet frame (IPv4 without fragments, or IPv6
 * with TCP/UDP as the first header): the field holds the pseudo-header sum; the sum over the
 * L4 segment, complemented, replaces it. */
static long completed = 0;
static void complete_partial(uint8_t *f, uint32_t len) {
  uint32_t off = 14;
  uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
  if (type == 0x8100 && len >= 18) {
    type = (uint16_t)(f[16] << 8 | f[17]);
    off = 18;
  }
  uint32_t l4, proto, end;
  if (type == 0x0800 && len >= off + 20) {
    uint8_t *ip = f + off;
    l4 = off + (uint32_t)(ip[0] & 15) * 4;
    proto = ip[9];
    end = off + (uint32_t)(ip[2] << 8 | ip[3]);
  } else if (type == 0x86dd && len >= off + 40) {
    uint8_t *ip = f + off;
    l4 = off + 40;
    proto = ip[6];
    end = l4 + (uint32_t)(ip[4] << 8 | ip[5]);
  } else {
    return;
  }
  uint32_t field = proto == 6 ? 16 : proto == 17 ? 6 : 0;
  if (field == 0 || end > len || l4 + field + 2 > end) return;
  uint16_t sum = (uint16_t)~fold(sum16(f + l4, end - l4, 0));
  if (proto == 17 && sum == 0) sum = 0xffff;
  f[l4 + field] = (uint8_t)(sum >> 8);
  f[l4 + field + 1] = (uint8_t)sum;
  completed++;
}

static struct mmsghdr msgs[MAX_BATCH];
static struct iovec iov[MAX_BATCH];
static long forwarded = 0, tx_errors = 0, syscalls = 0;

/* Sends iov[0, queued) on tx, retrying what the kernel did not take. */
static void send_batch(int tx, unsigned queued) {
  unsigned done = 0;
  while (done < queued) {
    int r = sendmmsg(tx, msgs + done, queued - done, 0);
    syscalls++;
    if (r < 0) {
      if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) { tx_errors++; if (stopping) break; continue; }
      die("sendmmsg");
    }
    done += (unsigned)r;
  }
  forwarded += done;
}

/* The frame's checksum completed if partial, its MACs written, queued at iov[k]. */
static void prepare(uint8_t *frame, uint32_t len, uint32_t status, const uint8_t *macs, unsigned k) {
  if (status & TP_STATUS_CSUMNOTREADY) complete_partial(frame, len);
  memcpy(frame, macs, 12);
  iov[k].iov_base = frame;
  iov[k].iov_len = len;
}

int main(int argc, char **argv) {
  const char *in_name = NULL, *out_name = NULL, *dst_text = NULL, *src_text = NULL;
  long block_size = 256 * 1024, blocks = 64, batch = 256, retire_ms = 1, busy_us = 0;
  double seconds = 0;
  int opt, frames_mode = 0;
  while ((opt = getopt(argc, argv, "i:o:d:s:B:N:b:R:t:2p:")) != -1) {
    switch (opt) {
      case 'i': in_name = optarg; break;
      case 'o': out_name = optarg; break;
      case 'd': dst_text = optarg; break;
      case 's': src_text = optarg; break;
      case 'B': block_size = atol(optarg); break;
      case 'N': blocks = atol(optarg); break;
      case 'b': batch = atol(optarg); break;
      case 'R': retire_ms = atol(optarg); break;
      case 't': seconds = atof(optarg); break;
      case '2': frames_mode = 1; break;
      case 'p': busy_us = atol(optarg); break;
      default: usage_error(USAGE, "unknown option");
    }
  }
  uint8_t macs[12];
  if (!in_name || !out_name || !dst_text || parse_mac(dst_text, macs) < 0) usage_error(USAGE, "need -i IN, -o OUT and -d DSTMAC");
  if (batch < 1 || batch > MAX_BATCH || blocks < 2 || block_size < 4096) usage_error(USAGE, "bad -b, -N or -B");

  int rx = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  int tx = socket(AF_PACKET, SOCK_RAW, 0);
  if (rx < 0 || tx < 0) die("socket(AF_PACKET)");
  int version = frames_mode ? TPACKET_V2 : TPACKET_V3, one = 1;
  if (setsockopt(rx, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) die("PACKET_VERSION");
  struct tpacket_req3 req = {
    .tp_block_size = (unsigned)block_size,
    .tp_block_nr = (unsigned)blocks,
    .tp_frame_size = 2048,
    .tp_frame_nr = (unsigned)(block_size / 2048 * blocks),
    .tp_retire_blk_tov = (unsigned)retire_ms,
  };
  /* tpacket_req is tpacket_req3's first four fields: V2 reads only those. */
  if (setsockopt(rx, SOL_PACKET, PACKET_RX_RING, &req, frames_mode ? sizeof(struct tpacket_req) : sizeof req) < 0) die("PACKET_RX_RING");
  const unsigned slots = req.tp_frame_nr, per_block = (unsigned)(block_size / 2048);
/* The header of frames-mode slot i: slots fill a block, then the next one. */
#define SLOT(i) ((struct tpacket2_hdr *)(ring + (size_t)((i) / per_block) * (size_t)block_size + (size_t)((i) % per_block) * 2048))
  uint8_t *ring = mmap(NULL, (size_t)block_size * (size_t)blocks, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, rx, 0);
  if (ring == MAP_FAILED) die("mmap");
  setsockopt(rx, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  struct sockaddr_ll in_addr = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = interface_index(in_name) };
  if (bind(rx, (struct sockaddr *)&in_addr, sizeof in_addr) < 0) die("bind IN");
  if (setsockopt(tx, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) die("PACKET_QDISC_BYPASS");
  struct sockaddr_ll out_addr = { .sll_family = AF_PACKET, .sll_ifindex = interface_index(out_name) };
  if (bind(tx, (struct sockaddr *)&out_addr, sizeof out_addr) < 0) die("bind OUT");
  if (src_text) {
    if (parse_mac(src_text, macs + 6) < 0) usage_error(USAGE, "bad -s SRCMAC");
  } else {
    interface_mac(tx, out_name, macs + 6);
  }

  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  for (long j = 0; j < batch; j++) {
    msgs[j].msg_hdr.msg_iov = &iov[j];
    msgs[j].msg_hdr.msg_iovlen = 1;
  }
  long received = 0;
  unsigned current = 0;
  struct pollfd pfd = { .fd = rx, .events = POLLIN | POLLERR };
  printf("{\"ready\":true}\n");
  fflush(stdout);
  double start = now_seconds();
  while (frames_mode && !stopping && (seconds <= 0 || now_seconds() - start < seconds)) {
    /* Up to a batch of written slots, sent, then handed back. */
    unsigned n = 0, first = current;
    struct tpacket2_hdr *h;
    while (n < (unsigned)batch) {
      h = SLOT(current);
      uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
      if ((status & TP_STATUS_USER) == 0) break;
      prepare((uint8_t *)h + h->tp_mac, h->tp_snaplen, status, macs, n++);
      current = (current + 1) % slots;
    }
    if (n == 0) {
      wait_user(&h->tp_status, &pfd, busy_us);
      continue;
    }
    send_batch(tx, n);
    received += n;
    for (unsigned k = 0, s = first; k < n; k++, s = (s + 1) % slots) {
      h = SLOT(s);
      __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    }
  }
  while (!frames_mode && !stopping && (seconds <= 0 || now_seconds() - start < seconds)) {
    struct tpacket_block_desc *block = (struct tpacket_block_desc *)(ring + (size_t)current * (size_t)block_size);
    if ((__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) {
      wait_user(&block->hdr.bh1.block_status, &pfd, busy_us);
      continue;
    }
    unsigned n = block->hdr.bh1.num_pkts, queued = 0;
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)((uint8_t *)block + block->hdr.bh1.offset_to_first_pkt);
    for (unsigned i = 0; i < n; i++) {
      prepare((uint8_t *)h + h->tp_mac, h->tp_snaplen, h->tp_status, macs, queued);
      if (++queued == (unsigned)batch || i + 1 == n) {
        send_batch(tx, queued);
        queued = 0;
      }
      h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
    }
    received += n;
    __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    current = (current + 1) % (unsigned)blocks;
  }
  double elapsed = now_seconds() - start;
  struct tpacket_stats_v3 st;
  socklen_t st_len = sizeof st;
  memset(&st, 0, sizeof st);
  if (getsockopt(rx, SOL_PACKET, PACKET_STATISTICS, &st, &st_len) < 0) die("PACKET_STATISTICS");
  printf("{\"received\":%ld,\"forwarded\":%ld,\"checksumsCompleted\":%ld,\"txErrors\":%ld,\"txSyscalls\":%ld,"
         "\"rxPackets\":%u,\"rxDrops\":%u,\"rxFreezeQueue\":%u,\"seconds\":%.6f}\n",
         received, forwarded, completed, tx_errors, syscalls, st.tp_packets, st.tp_drops, st.tp_freeze_q_cnt, elapsed);
  return 0;
}
