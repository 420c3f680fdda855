/* sink: counts frames on an interface with a TPACKET_V3 RX ring and, for frames that pktgen -T
 * stamped, measures one-way latency: the kernel's receive timestamp of the frame (tp_sec/tp_nsec,
 * CLOCK_REALTIME) minus the send time pktgen wrote into the UDP payload (same clock, same
 * machine). Runs until SIGTERM/SIGINT or -t SECONDS; prints one JSON line: frames, stamped
 * frames, latency percentiles in microseconds, ring drops (PACKET_STATISTICS).
 *
 *   sink -i IFACE [-t SECONDS]
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

#include "stamp.h"

#define USAGE "sink -i IFACE [-t SECONDS]"
/* Latency histogram: 100 ns buckets up to 20 ms, then one overflow bucket. */
#define BUCKET_NS 100
#define BUCKETS 200000

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static uint64_t histogram[BUCKETS + 1];

static double percentile(uint64_t stamped, double p) {
  uint64_t rank = (uint64_t)(p * (double)stamped);
  uint64_t seen = 0;
  for (int i = 0; i <= BUCKETS; i++) {
    seen += histogram[i];
    if (seen > rank) return (double)(i + 1) * BUCKET_NS / 1000.0; /* upper edge, in µs */
  }
  return (double)(BUCKETS + 1) * BUCKET_NS / 1000.0;
}

int main(int argc, char **argv) {
  const char *ifname = NULL;
  double seconds = 0;
  int opt;
  while ((opt = getopt(argc, argv, "i:t:")) != -1) {
    switch (opt) {
      case 'i': ifname = optarg; break;
      case 't': seconds = atof(optarg); break;
      default: usage_error(USAGE, "unknown option");
    }
  }
  if (!ifname) usage_error(USAGE, "need -i IFACE");
  const unsigned block_size = 1 << 20, blocks = 32;
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) die("socket(AF_PACKET)");
  int version = TPACKET_V3;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) die("PACKET_VERSION");
  struct tpacket_req3 req = {
    .tp_block_size = block_size, .tp_block_nr = blocks, .tp_frame_size = 2048,
    .tp_frame_nr = block_size / 2048 * blocks, .tp_retire_blk_tov = 1,
  };
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) die("PACKET_RX_RING");
  uint8_t *ring = mmap(NULL, (size_t)block_size * blocks, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) die("mmap");
  struct sockaddr_ll addr = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = interface_index(ifname) };
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("{\"ready\":true}\n");
  fflush(stdout);

  uint64_t frames = 0, stamped = 0;
  int64_t max_ns = 0;
  unsigned current = 0;
  struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLERR };
  double start = now_seconds();
  while (!stopping && (seconds <= 0 || now_seconds() - start < seconds)) {
    struct tpacket_block_desc *block = (struct tpacket_block_desc *)(ring + (size_t)current * block_size);
    if ((__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) {
      poll(&pfd, 1, 100);
      continue;
    }
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)((uint8_t *)block + block->hdr.bh1.offset_to_first_pkt);
    for (unsigned i = 0; i < block->hdr.bh1.num_pkts; i++) {
      int64_t sent_ns;
      if (read_stamp((uint8_t *)h + h->tp_mac, h->tp_snaplen, &sent_ns)) {
        int64_t latency = (int64_t)h->tp_sec * 1000000000 + h->tp_nsec - sent_ns;
        if (latency < 0) latency = 0;
        int64_t b = latency / BUCKET_NS;
        histogram[b > BUCKETS ? BUCKETS : b]++;
        if (latency > max_ns) max_ns = latency;
        stamped++;
      }
      frames++;
      h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
    }
    __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    current = (current + 1) % blocks;
  }
  struct tpacket_stats_v3 st;
  socklen_t st_len = sizeof st;
  memset(&st, 0, sizeof st);
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &st_len) < 0) die("PACKET_STATISTICS");
  printf("{\"frames\":%llu,\"stamped\":%llu,\"p50us\":%.1f,\"p90us\":%.1f,\"p99us\":%.1f,\"p999us\":%.1f,\"maxUs\":%.1f,"
         "\"rxPackets\":%u,\"rxDrops\":%u}\n",
         (unsigned long long)frames, (unsigned long long)stamped, percentile(stamped, 0.5), percentile(stamped, 0.9),
         percentile(stamped, 0.99), percentile(stamped, 0.999), (double)max_ns / 1000.0, st.tp_packets, st.tp_drops);
  return 0;
}
