#include "ring.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace lb {

namespace {

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

// Where the kernel puts frame data in a TPACKET_V3 slot: after the header and
// a sockaddr_ll (RX); at the aligned header end minus the sockaddr_ll (TX).
constexpr size_t kV3HeaderRoom = TPACKET_ALIGN(sizeof(tpacket3_hdr)) + sizeof(sockaddr_ll);
constexpr size_t kV2HeaderRoom = TPACKET_ALIGN(sizeof(tpacket2_hdr)) + sizeof(sockaddr_ll);
constexpr size_t kTxDataOffset = TPACKET_ALIGN(sizeof(tpacket3_hdr));
constexpr size_t kMinTxBatch = 1024;

std::string errno_text(int e) { return std::strerror(e); }

bool socket_failed(Error* err, const std::string& what, int e) {
  return err->set("ERR_SOCKET", what + " failed: " + errno_text(e) + ".");
}

bool ring_failed(Error* err, const RingOptions& o, const char* which, int e) {
  std::string size = std::to_string(static_cast<uint64_t>(o.block_size) * o.block_count >> 20) + " MiB";
  if (e == ENOMEM || e == E2BIG || e == ENOBUFS) {
    return err->set("ERR_RING_TOO_LARGE", std::string("the ") + which + " ring (" + size + ") does not fit in memory (at most half of RAM): use fewer or smaller blocks.");
  }
  if (e == EINVAL) {
    return err->set("ERR_INVALID_ARG", std::string("the kernel refused the ") + which +
        " ring geometry: block size must be a power-of-two multiple of the page size and frame size a multiple of 16 that fits in a block.");
  }
  return socket_failed(err, std::string("setting up the ") + which + " ring", e);
}

// Runs fn on a short-lived thread that joined the named network namespace:
// the caller's thread (Node's main thread, with its sockets) never moves.
template <typename F>
bool in_netns(const std::string& ns, Error* err, F fn) {
  if (ns.empty()) return fn();
  std::string path = ns[0] == '/' ? ns : "/var/run/netns/" + ns;
  int nsfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) {
    int e = errno;
    if (e == EACCES || e == EPERM) return err->set("ERR_NO_PRIVILEGE", "entering network namespace " + ns + " needs CAP_SYS_ADMIN: run as root.");
    return err->set("ERR_NO_SUCH_NAMESPACE", "network namespace " + ns + " does not exist (" + path + ").");
  }
  bool ok = false;
  std::thread t([&] {
    if (setns(nsfd, CLONE_NEWNET) != 0) {
      int e = errno;
      if (e == EPERM) ok = err->set("ERR_NO_PRIVILEGE", "entering network namespace " + ns + " needs CAP_SYS_ADMIN: run as root.");
      else ok = err->set("ERR_NO_SUCH_NAMESPACE", path + " is not a network namespace: " + errno_text(e) + ".");
      return;
    }
    ok = fn();
  });
  t.join();
  ::close(nsfd);
  return ok;
}

template <typename T>
bool set_opt(int fd, int name, T value) {
  return setsockopt(fd, SOL_PACKET, name, &value, sizeof value) == 0;
}

inline uint32_t load_acquire(const uint32_t* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
inline void store_release(uint32_t* p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

// Tells the CPU this is a spin-wait loop (frees the sibling hyperthread, avoids a memory-order stall on exit).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The descriptor of a received frame, from the fields its ring header (V2 or V3) gives: status,
// offset of the Ethernet header from the header, captured and wire lengths, the stripped tag.
void describe(RxFrame& f, uint8_t* hdr, uint32_t st, uint32_t mac, uint32_t snaplen, uint32_t len, uint16_t tci, uint16_t tpid,
              size_t header_room, bool vnet_hdr) {
  f.data = hdr + mac;
  f.len = snaplen;
  f.flags = ((st & TP_STATUS_CSUMNOTREADY) ? kFlagCsumNotReady : 0) | ((st & TP_STATUS_VLAN_VALID) ? kFlagVlanValid : 0) |
            ((st & TP_STATUS_CSUM_VALID) ? kFlagCsumValid : 0) | (snaplen < len ? kFlagTruncated : 0);
  uint32_t tag_tpid = (st & TP_STATUS_VLAN_TPID_VALID) ? tpid : 0x8100;
  f.vlan = (st & TP_STATUS_VLAN_VALID) ? (tci | tag_tpid << 16) : 0;
  f.headroom = mac > header_room ? static_cast<uint32_t>(mac - header_room) : 0;
  f.vnet = vnet_hdr ? reinterpret_cast<virtio_net_hdr*>(f.data - sizeof(virtio_net_hdr)) : nullptr;
}

}  // namespace

PacketRing::PacketRing(const RingOptions& o) : options_(o) {}

PacketRing::~PacketRing() { close(); }

std::unique_ptr<PacketRing> PacketRing::open(const RingOptions& options, Error* err) {
  std::unique_ptr<PacketRing> r(new PacketRing(options));
  if (!in_netns(options.netns, err, [&] { return r->setup(err); })) return nullptr;
  return r;
}

bool PacketRing::set_filter(const std::vector<uint32_t>& words, Error* err) { return set_socket_filter(fd_, words, err); }

// Attach (replacing any filter) or, with no words, detach. The kernel swaps the program in one
// step, so a ring can sit on the interface refusing everything and start taking frames at once.
bool set_socket_filter(int fd, const std::vector<uint32_t>& words, Error* err) {
  if (words.empty()) {
    int unused = 0;  // the kernel wants an int's worth of option, and ignores it
    if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused) != 0 && errno != ENOENT) {
      return socket_failed(err, "SO_DETACH_FILTER", errno);
    }
    return true;
  }
  if (words.size() % 4 != 0 || words.size() / 4 > BPF_MAXINSNS) {
    return err->set("ERR_INVALID_ARG", "a socket filter is 1 to 4096 instructions of 4 words each.");
  }
  std::vector<sock_filter> code(words.size() / 4);
  for (size_t i = 0; i < code.size(); ++i) {
    const uint32_t* w = &words[i * 4];
    code[i] = sock_filter{static_cast<uint16_t>(w[0]), static_cast<uint8_t>(w[1]), static_cast<uint8_t>(w[2]), w[3]};
  }
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    int e = errno;
    if (e == EINVAL) return err->set("ERR_INVALID_ARG", "the kernel refused the socket filter (an invalid BPF program).");
    return socket_failed(err, "SO_ATTACH_FILTER", e);
  }
  return true;
}

bool PacketRing::setup(Error* err) {
  const RingOptions& o = options_;
  const std::string& name = o.interface;
  if (name.empty() || name.size() >= IFNAMSIZ) return err->set("ERR_INVALID_ARG", "interface name \"" + name + "\" is not 1 to 15 characters.");
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // protocol 0: nothing arrives before bind()
  if (fd_ < 0) {
    int e = errno;
    if (e == EPERM || e == EACCES) return err->set("ERR_NO_PRIVILEGE", "opening an AF_PACKET socket needs CAP_NET_RAW: run as root.");
    return socket_failed(err, "socket(AF_PACKET)", e);
  }

  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd_, SIOCGIFINDEX, &ifr) != 0) {
    return err->set("ERR_NO_SUCH_INTERFACE", "there is no interface named " + name + (o.netns.empty() ? "" : " in namespace " + o.netns) + ".");
  }
  ifindex_ = ifr.ifr_ifindex;
  if (ioctl(fd_, SIOCGIFFLAGS, &ifr) != 0) return socket_failed(err, "reading the flags of " + name, errno);
  if (!(ifr.ifr_flags & IFF_UP)) return err->set("ERR_INTERFACE_DOWN", "interface " + name + " is down: bring it up (ip link set " + name + " up).");
  if (ioctl(fd_, SIOCGIFHWADDR, &ifr) != 0) return socket_failed(err, "reading the MAC of " + name, errno);
  std::memcpy(mac_, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd_, SIOCGIFMTU, &ifr) != 0) return socket_failed(err, "reading the MTU of " + name, errno);
  mtu_ = ifr.ifr_mtu;

  const bool frames = o.rx_mode == RxMode::frames && !o.tx_only;
  // The TX ring's slots have the RX ring's header version; ours are written as V3.
  if (frames && o.tx_mode == TxMode::ring) return err->set("ERR_INVALID_ARG", "the TX ring needs the blocks RX mode: use sendmmsg TX with the frames RX mode.");
  if (!set_opt(fd_, PACKET_VERSION, static_cast<int>(frames ? TPACKET_V2 : TPACKET_V3))) return socket_failed(err, "PACKET_VERSION", errno);
  if (o.vnet_hdr && !set_opt(fd_, PACKET_VNET_HDR, 1)) return socket_failed(err, "PACKET_VNET_HDR", errno);
  // A malformed TX frame is marked TP_STATUS_WRONG_FORMAT and skipped, not a stop of the ring.
  if (!set_opt(fd_, PACKET_LOSS, 1)) return socket_failed(err, "PACKET_LOSS", errno);

  uint64_t rx_total = o.tx_only ? 0 : static_cast<uint64_t>(o.block_size) * o.block_count;
  // Refuse before the kernel tries: it would pin most of the memory, block by block, then fail.
  uint64_t half_ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 2;
  if (rx_total > half_ram) return ring_failed(err, o, "RX", ENOMEM);
  if (o.frame_size == 0 || o.block_size < o.frame_size) return ring_failed(err, o, "RX", EINVAL);
  if (o.tx_only && o.fanout_group >= 0) return err->set("ERR_INVALID_ARG", "a TX-only port cannot join a fanout group.");
  tpacket_req3 rx{};
  rx.tp_block_size = o.block_size;
  rx.tp_block_nr = o.block_count;
  rx.tp_frame_size = o.frame_size;
  rx.tp_frame_nr = o.block_size / o.frame_size * o.block_count;
  rx.tp_retire_blk_tov = o.retire_ms;
  // tpacket_req is tpacket_req3's first four fields: V2 reads only those.
  if (!o.tx_only && setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &rx, frames ? sizeof(tpacket_req) : sizeof rx) != 0) return ring_failed(err, o, "RX", errno);
  slots_per_block_ = o.block_size / o.frame_size;
  slots_ = frames ? rx.tp_frame_nr : 0;
  rx_bytes_ = rx_total;

  size_t tx_bytes = 0;
  if (o.tx_mode == TxMode::ring) {
    uint32_t block = o.tx_frame_size > 65536 ? o.tx_frame_size : 65536;
    uint32_t per_block = block / o.tx_frame_size;
    uint32_t blocks = (o.tx_frame_count + per_block - 1) / per_block;
    tpacket_req3 tx{};
    tx.tp_block_size = block;
    tx.tp_block_nr = blocks;
    tx.tp_frame_size = o.tx_frame_size;
    tx.tp_frame_nr = per_block * blocks;
    if (setsockopt(fd_, SOL_PACKET, PACKET_TX_RING, &tx, sizeof tx) != 0) return ring_failed(err, o, "TX", errno);
    tx_slots_ = tx.tp_frame_nr;
    tx_bytes = static_cast<size_t>(block) * blocks;
  }

  map_bytes_ = rx_bytes_ + tx_bytes;
  if (map_bytes_) {
    void* m = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, 0);
    if (m == MAP_FAILED) {
      map_bytes_ = 0;
      return ring_failed(err, o, "RX", errno);
    }
    map_ = static_cast<uint8_t*>(m);
    if (tx_bytes) tx_base_ = map_ + rx_bytes_;
  }

  if (o.qdisc_bypass && !set_opt(fd_, PACKET_QDISC_BYPASS, 1)) return socket_failed(err, "PACKET_QDISC_BYPASS", errno);
  if (o.ignore_outgoing && !set_opt(fd_, PACKET_IGNORE_OUTGOING, 1)) return socket_failed(err, "PACKET_IGNORE_OUTGOING", errno);

  if (!o.filter.empty() && !set_filter(o.filter, err)) return false;

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  // Protocol 0 registers no tap: a TX-only port costs the interface nothing per frame.
  sll.sll_protocol = o.tx_only ? 0 : htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
    int e = errno;
    if (e == ENETDOWN) return err->set("ERR_INTERFACE_DOWN", "interface " + name + " is down: bring it up (ip link set " + name + " up).");
    if (e == ENODEV) return err->set("ERR_NO_SUCH_INTERFACE", "interface " + name + " went away while opening it.");
    return socket_failed(err, "binding to " + name, e);
  }
  if (o.fanout_group >= 0) {
    int arg = (o.fanout_group & 0xffff) | (o.fanout_mode << 16);
    if (!set_opt(fd_, PACKET_FANOUT, arg)) {
      int e = errno;
      if (e == EINVAL || e == EALREADY) {
        return err->set("ERR_INVALID_ARG", "fanout group " + std::to_string(o.fanout_group) +
            " exists with another mode or on another interface: " + errno_text(e) + ".");
      }
      return socket_failed(err, "PACKET_FANOUT", e);
    }
  }

  // The TX batch is sized apart from the RX batch: a port that only sends
  // (batchSize 1) still flushes many frames per syscall.
  size_t batch = o.batch_size > kMinTxBatch ? o.batch_size : kMinTxBatch;
  msgs_.assign(batch, mmsghdr{});
  iovs_.resize(batch * 2);
  vnets_.resize(batch);
  for (size_t k = 0; k < batch; ++k) msgs_[k].msg_hdr.msg_iov = &iovs_[k * 2];
  done_blocks_.reserve(o.block_count);
  return true;
}

size_t PacketRing::receive(RxFrame* out, size_t max, int timeout_ms) {
  if (fd_ < 0 || options_.tx_only) return 0;
  release();
  return slots_ ? receive_frames(out, max, timeout_ms) : receive_blocks(out, max, timeout_ms);
}

// One slot per frame: a frame is the reader's as soon as the kernel flips its status, so the
// reader never waits for a block to fill or retire. Slots go back in order on the next receive().
size_t PacketRing::receive_frames(RxFrame* out, size_t max, int timeout_ms) {
  const size_t header_room = kV2HeaderRoom + (options_.vnet_hdr ? sizeof(virtio_net_hdr) : 0);
  size_t n = 0;
  bool waited = false;
  // held_slots_ == slots_: every slot is this batch's already (the next one would repeat a frame).
  while (n < max && held_slots_ < slots_) {
    auto* h = reinterpret_cast<tpacket2_hdr*>(slot_address(slot_));
    uint32_t st = load_acquire(&h->tp_status);
    if (!(st & TP_STATUS_USER)) {
      if (n > 0 || waited || timeout_ms == 0) break;
      wait_user(&h->tp_status, timeout_ms);
      waited = true;
      continue;
    }
    describe(out[n++], reinterpret_cast<uint8_t*>(h), st, h->tp_mac, h->tp_snaplen, h->tp_len, h->tp_vlan_tci, h->tp_vlan_tpid,
             header_room, options_.vnet_hdr);
    slot_ = slot_ + 1 == slots_ ? 0 : slot_ + 1;
    ++held_slots_;
  }
  return n;
}

void PacketRing::wait_user(const uint32_t* status, int timeout_ms) {
  if (options_.busy_poll_us > 0) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(options_.busy_poll_us);
    // The clock is read every 64 looks: a look is one cache line the kernel writes when it hands over.
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (load_acquire(status) & TP_STATUS_USER) return;
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= until) break;
    }
  }
  pollfd p{fd_, POLLIN | POLLERR, 0};
  poll(&p, 1, timeout_ms);
}

uint8_t* PacketRing::slot_address(uint32_t slot) const {
  return map_ + static_cast<size_t>(slot / slots_per_block_) * options_.block_size + static_cast<size_t>(slot % slots_per_block_) * options_.frame_size;
}

size_t PacketRing::receive_blocks(RxFrame* out, size_t max, int timeout_ms) {
  const size_t header_room = kV3HeaderRoom + (options_.vnet_hdr ? sizeof(virtio_net_hdr) : 0);
  size_t n = 0;
  bool waited = false;
  while (n < max) {
    if (!in_block_) {
      // Every block is this batch's already: the next one would be read a second time.
      if (done_blocks_.size() == options_.block_count) break;
      auto* b = reinterpret_cast<tpacket_block_desc*>(map_ + static_cast<size_t>(block_) * options_.block_size);
      if (!(load_acquire(&b->hdr.bh1.block_status) & TP_STATUS_USER)) {
        if (n > 0 || waited || timeout_ms == 0) break;
        wait_user(&b->hdr.bh1.block_status, timeout_ms);
        waited = true;
        continue;
      }
      in_block_ = true;
      left_in_block_ = b->hdr.bh1.num_pkts;
      next_frame_ = reinterpret_cast<uint8_t*>(b) + b->hdr.bh1.offset_to_first_pkt;
    }
    while (left_in_block_ > 0 && n < max) {
      auto* h = reinterpret_cast<tpacket3_hdr*>(next_frame_);
      describe(out[n++], next_frame_, h->tp_status, h->tp_mac, h->tp_snaplen, h->tp_len, h->hv1.tp_vlan_tci, h->hv1.tp_vlan_tpid,
               header_room, options_.vnet_hdr);
      next_frame_ += h->tp_next_offset;
      --left_in_block_;
    }
    if (left_in_block_ == 0) {
      done_blocks_.push_back(block_);
      in_block_ = false;
      block_ = (block_ + 1) % options_.block_count;
    }
  }
  return n;
}

void PacketRing::release() {
  // Frames mode: the held slots are the ones right before the cursor.
  for (uint32_t k = held_slots_, s = slot_; k > 0; --k) {
    s = s == 0 ? slots_ - 1 : s - 1;
    store_release(&reinterpret_cast<tpacket2_hdr*>(slot_address(s))->tp_status, TP_STATUS_KERNEL);
  }
  held_slots_ = 0;
  for (uint32_t b : done_blocks_) {
    auto* d = reinterpret_cast<tpacket_block_desc*>(map_ + static_cast<size_t>(b) * options_.block_size);
    store_release(&d->hdr.bh1.block_status, TP_STATUS_KERNEL);
  }
  done_blocks_.clear();
}

bool PacketRing::enqueue(const uint8_t* data, size_t len, const virtio_net_hdr* vnet) {
  if (fd_ < 0) {
    ++stats_.tx_errors;
    return false;
  }
  size_t need = kTxDataOffset + len + (options_.vnet_hdr ? sizeof(virtio_net_hdr) : 0);
  if (tx_base_ && need <= options_.tx_frame_size) return enqueue_ring(data, len, vnet);
  return enqueue_msg(data, len, vnet);
}

bool PacketRing::enqueue_ring(const uint8_t* data, size_t len, const virtio_net_hdr* vnet) {
  auto* h = reinterpret_cast<tpacket3_hdr*>(tx_base_ + static_cast<size_t>(tx_slot_) * options_.tx_frame_size);
  uint32_t st = load_acquire(&h->tp_status);
  if (st == TP_STATUS_WRONG_FORMAT) ++stats_.tx_errors;  // a frame the kernel refused earlier
  if (st != TP_STATUS_AVAILABLE && st != TP_STATUS_WRONG_FORMAT) {
    flush_ring();  // make room: the kernel frees slots as it sends
    st = load_acquire(&h->tp_status);
    if (st != TP_STATUS_AVAILABLE && st != TP_STATUS_WRONG_FORMAT) {
      ++stats_.tx_errors;
      return false;
    }
  }
  uint8_t* dst = reinterpret_cast<uint8_t*>(h) + kTxDataOffset;
  size_t total = len;
  if (options_.vnet_hdr) {
    if (vnet) std::memcpy(dst, vnet, sizeof *vnet);
    else std::memset(dst, 0, sizeof(virtio_net_hdr));
    dst += sizeof(virtio_net_hdr);
    total += sizeof(virtio_net_hdr);
  }
  std::memcpy(dst, data, len);
  h->tp_len = static_cast<uint32_t>(total);
  h->tp_snaplen = static_cast<uint32_t>(total);
  h->tp_next_offset = 0;
  store_release(&h->tp_status, TP_STATUS_SEND_REQUEST);
  tx_slot_ = tx_slot_ + 1 == tx_slots_ ? 0 : tx_slot_ + 1;
  ++tx_ring_pending_;
  return true;
}

bool PacketRing::enqueue_msg(const uint8_t* data, size_t len, const virtio_net_hdr* vnet) {
  if (msg_count_ == msgs_.size()) flush_msgs();
  size_t k = msg_count_++;
  iovec* iov = &iovs_[k * 2];
  msghdr& m = msgs_[k].msg_hdr;  // msg_iov points at iovs_[2k] since setup
  if (!options_.vnet_hdr) {
    iov[0] = {const_cast<uint8_t*>(data), len};
    m.msg_iovlen = 1;
  } else if (vnet && reinterpret_cast<const uint8_t*>(vnet) + sizeof *vnet == data) {
    // The header still sits right before the frame in the RX ring: one iovec, no copy.
    iov[0] = {const_cast<virtio_net_hdr*>(vnet), len + sizeof *vnet};
    m.msg_iovlen = 1;
  } else {
    if (vnet) vnets_[k] = *vnet;
    else std::memset(&vnets_[k], 0, sizeof vnets_[k]);
    iov[0] = {&vnets_[k], sizeof(virtio_net_hdr)};
    iov[1] = {const_cast<uint8_t*>(data), len};
    m.msg_iovlen = 2;
  }
  return true;
}

void PacketRing::flush() {
  flush_ring();
  flush_msgs();
}

void PacketRing::flush_ring() {
  if (!tx_ring_pending_ || fd_ < 0) return;
  ++stats_.tx_syscalls;
  // MSG_DONTWAIT: don't wait for completion; the kernel sends every
  // SEND_REQUEST slot from its head on and frees each slot when done.
  if (send(fd_, nullptr, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS) ++stats_.tx_errors;
  stats_.tx_frames += tx_ring_pending_;
  tx_ring_pending_ = 0;
}

void PacketRing::flush_msgs() {
  size_t done = 0;
  while (done < msg_count_ && fd_ >= 0) {
    ++stats_.tx_syscalls;
    int r = sendmmsg(fd_, &msgs_[done], static_cast<unsigned>(msg_count_ - done), MSG_DONTWAIT);
    if (r > 0) {
      done += static_cast<size_t>(r);
      stats_.tx_frames += static_cast<uint64_t>(r);
    } else {
      ++done;  // the first message failed (too big, device busy): skip it
      ++stats_.tx_errors;
    }
  }
  msg_count_ = 0;
}

RingStats PacketRing::stats() {
  if (fd_ >= 0) {
    tpacket_stats_v3 st{};
    socklen_t len = sizeof st;
    // The kernel resets its counters on every read: accumulate.
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
      stats_.rx_packets += st.tp_packets;
      stats_.rx_drops += st.tp_drops;
      stats_.rx_freeze_q += st.tp_freeze_q_cnt;
    }
  }
  return stats_;
}

void PacketRing::close() {
  if (fd_ >= 0) stats();
  if (map_) munmap(map_, map_bytes_);
  map_ = nullptr;
  tx_base_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  done_blocks_.clear();
  in_block_ = false;
  held_slots_ = 0;
  msg_count_ = 0;
  tx_ring_pending_ = 0;
}

}  // namespace lb
