// An AF_PACKET socket bound to one interface: an RX ring, either TPACKET_V3 (blocks of
// tightly packed frames, handed to user space whole: one wakeup per block, the throughput mode)
// or TPACKET_V2 (one slot per frame, each visible at once: the latency mode), and a batched TX path
// (a TPACKET_V3 TX ring flushed with one send(), or one sendmmsg() per flush).
// Plain C++, no N-API; not thread-safe: one thread owns a ring.
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "error.h"


namespace lb {

// struct virtio_net_hdr (linux/virtio_net.h is not valid C++): the offload
// state PACKET_VNET_HDR puts before each frame, in host byte order.
struct virtio_net_hdr {
  uint8_t flags;        // kVnetNeedsCsum: csum_start/csum_offset describe a partial checksum
  uint8_t gso_type;     // kVnetGsoNone, or the GSO type of a super-frame
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;  // from the Ethernet header
  uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == 10, "virtio_net_hdr is 10 bytes");
constexpr uint8_t kVnetNeedsCsum = 1;
constexpr uint8_t kVnetGsoNone = 0;

enum class TxMode { ring, sendmmsg };
// blocks: TPACKET_V3, a partly filled block waits up to retire_ms. frames: TPACKET_V2, slots of
// frame_size bytes (a larger frame is truncated), each handed over as soon as it is written.
enum class RxMode { blocks, frames };

struct RingOptions {
  std::string interface;
  std::string netns;               // empty: the caller's namespace
  uint32_t block_size = 128 * 1024;  // holds a 64 KiB GSO frame; a multiple of the page size
  uint32_t block_count = 128;        // 16 MiB; at low rates block_count x retire_ms of reader stall
  uint32_t frame_size = 2048;        // blocks: only sizes tp_frame_nr (V3 packs frames); frames: the slot size
  uint32_t retire_ms = 1;            // blocks: latency bound for a partly filled block
  RxMode rx_mode = RxMode::blocks;
  TxMode tx_mode = TxMode::sendmmsg;
  uint32_t tx_frame_size = 2048;
  uint32_t tx_frame_count = 1024;
  uint32_t batch_size = 256;         // most frames per receive() (the TX batch holds at least 1024)
  // Before sleeping in poll() for frames, watch the ring for up to this long (0: sleep at once).
  // A sleeping reader's wakeup (an IPI, a context switch) is most of a frame's forwarding
  // latency; a spinning one sees it at once, for a core kept busy.
  uint32_t busy_poll_us = 0;
  bool qdisc_bypass = true;
  bool ignore_outgoing = true;
  bool tx_only = false;              // no RX ring, no tap on the interface: the port only sends
  bool vnet_hdr = true;               // carry partial checksums / GSO to the kernel (measured cheaper)
  int fanout_group = -1;             // < 0: no fanout
  int fanout_mode = 0;               // PACKET_FANOUT_* (0 = hash)
  // A classic BPF program (SO_ATTACH_FILTER), 4 words per instruction: code, jt, jf, k. Empty:
  // every frame. Attached before bind(), so no unfiltered frame reaches the ring.
  std::vector<uint32_t> filter;
};

// Bits of RxFrame::flags (and of the descriptors JS reads).
enum : uint32_t {
  kFlagCsumNotReady = 1,
  kFlagVlanValid = 2,
  kFlagCsumValid = 4,
  kFlagTruncated = 8,
};

struct RxFrame {
  uint8_t* data;            // the Ethernet header, inside the ring
  uint32_t len;             // bytes captured
  uint32_t flags;           // kFlag*
  uint32_t vlan;            // stripped tag: TCI | TPID << 16, when kFlagVlanValid
  uint32_t headroom;        // writable bytes before data (room to put a VLAN tag back)
  virtio_net_hdr* vnet;     // the offload header before data, when the port has vnet_hdr
};

struct RingStats {
  uint64_t rx_packets = 0;    // kernel tp_packets (includes drops), accumulated
  uint64_t rx_drops = 0;      // kernel tp_drops: the ring was full
  uint64_t rx_freeze_q = 0;   // kernel tp_freeze_q_cnt: blocks retired while user space held them all
  uint64_t tx_frames = 0;     // frames handed to the kernel
  uint64_t tx_errors = 0;     // frames the kernel refused or the TX ring had no room for
  uint64_t tx_syscalls = 0;
};

// The socket filter of any socket (words as RingOptions::filter; empty detaches it): lets a control
// thread swap the filter of a ring that another thread reads. false + *err on failure.
bool set_socket_filter(int fd, const std::vector<uint32_t>& words, Error* err);

class PacketRing {
 public:
  // Opens, sizes and maps the rings, binds to the interface. nullptr + *err on failure:
  // ERR_NO_PRIVILEGE, ERR_NO_SUCH_INTERFACE, ERR_INTERFACE_DOWN, ERR_RING_TOO_LARGE,
  // ERR_NO_SUCH_NAMESPACE, ERR_INVALID_ARG, ERR_SOCKET.
  static std::unique_ptr<PacketRing> open(const RingOptions& options, Error* err);
  ~PacketRing();
  PacketRing(const PacketRing&) = delete;
  PacketRing& operator=(const PacketRing&) = delete;

  // Hands the previous batch back to the kernel, then returns up to max frames,
  // waiting up to timeout_ms (-1 forever, 0 not at all) if none is ready.
  size_t receive(RxFrame* out, size_t max, int timeout_ms);
  // Hands every fully returned block back to the kernel.
  void release();

  // Queues a frame for TX (vnet: its offload header, when this port has vnet_hdr;
  // nullptr sends "no offload"). data must stay valid until flush().
  bool enqueue(const uint8_t* data, size_t len, const virtio_net_hdr* vnet);
  // Sends everything queued: one syscall per TX path in use.
  void flush();

  RingStats stats();
  void close();
  // Replaces the socket filter (words as RingOptions::filter); empty detaches it. false + *err on failure.
  bool set_filter(const std::vector<uint32_t>& words, Error* err);

  bool closed() const { return fd_ < 0; }
  int fd() const { return fd_; }
  uint8_t* rx_base() const { return map_; }
  size_t rx_bytes() const { return rx_bytes_; }
  int ifindex() const { return ifindex_; }
  const uint8_t* mac() const { return mac_; }
  int mtu() const { return mtu_; }
  bool vnet_hdr() const { return options_.vnet_hdr; }
  const RingOptions& options() const { return options_; }

 private:
  explicit PacketRing(const RingOptions& o);
  bool setup(Error* err);
  size_t receive_blocks(RxFrame* out, size_t max, int timeout_ms);
  size_t receive_frames(RxFrame* out, size_t max, int timeout_ms);
  uint8_t* slot_address(uint32_t slot) const;
  // Waits until *status has TP_STATUS_USER: spins up to busy_poll_us, then polls up to timeout_ms.
  void wait_user(const uint32_t* status, int timeout_ms);
  bool enqueue_ring(const uint8_t* data, size_t len, const virtio_net_hdr* vnet);
  bool enqueue_msg(const uint8_t* data, size_t len, const virtio_net_hdr* vnet);
  void flush_ring();
  void flush_msgs();

  RingOptions options_;
  int fd_ = -1;
  int ifindex_ = 0;
  int mtu_ = 0;
  uint8_t mac_[6] = {};
  uint8_t* map_ = nullptr;
  size_t map_bytes_ = 0;
  size_t rx_bytes_ = 0;

  // RX cursor: the block being read, the next frame in it, frames left in it.
  uint32_t block_ = 0;
  bool in_block_ = false;
  uint8_t* next_frame_ = nullptr;
  uint32_t left_in_block_ = 0;
  std::vector<uint32_t> done_blocks_;  // fully returned, released on the next receive()

  // RX cursor of the frames mode: the next slot, and how many slots before it are still held.
  uint32_t slot_ = 0;
  uint32_t slots_ = 0;
  uint32_t slots_per_block_ = 0;
  uint32_t held_slots_ = 0;

  // TX ring.
  uint8_t* tx_base_ = nullptr;
  uint32_t tx_slots_ = 0;
  uint32_t tx_slot_ = 0;
  uint32_t tx_ring_pending_ = 0;

  // sendmmsg batch.
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<virtio_net_hdr> vnets_;
  size_t msg_count_ = 0;

  RingStats stats_;
};

}  // namespace lb
