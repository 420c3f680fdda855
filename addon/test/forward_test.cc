#include "forward.h"

#include "check.h"
#include "checksum.h"
#include "vectors.h"

using namespace lb;

namespace {

// The frame as a CHECKSUM_PARTIAL skb carries it: the pseudo-header sum in the field.
std::vector<uint8_t> partial_tcp_ipv4() {
  auto f = vectors::tcp_ipv4();
  const uint8_t* ip = f.data() + 14;
  store16(f.data() + vectors::kTcpIpv4TcpCsumAt,
          csum_fold(pseudo_header_ipv4(ip + 12, ip + 16, 6, static_cast<uint32_t>(f.size() - 34))));
  return f;
}

const uint8_t kTable[24] = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb, 0xbb,
                            0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0xdd};

}  // namespace

TEST_CASE(rewrite_buffer_applies_each_decision) {
  auto a = vectors::tcp_ipv4();
  std::vector<uint8_t> buf;
  for (int i = 0; i < 4; ++i) buf.insert(buf.end(), a.begin(), a.end());
  int32_t n = static_cast<int32_t>(a.size());
  int32_t offsets[] = {0, n, 2 * n, 3 * n};
  int32_t lengths[] = {n, n, n, n};
  int32_t decisions[] = {1, kDecisionDrop, kDecisionConsumed, 0};
  ForwardCounters c;
  CHECK_EQ(rewrite_buffer(buf.data(), buf.size(), offsets, lengths, nullptr, decisions, 4, MacTable{kTable, 2}, &c), 2u);
  CHECK(std::equal(kTable + 12, kTable + 24, buf.begin()));
  CHECK(std::equal(a.begin(), a.end(), buf.begin() + n));
  CHECK(std::equal(a.begin(), a.end(), buf.begin() + 2 * n));
  CHECK(std::equal(kTable, kTable + 12, buf.begin() + 3 * n));
  CHECK(std::equal(a.begin() + 12, a.end(), buf.begin() + 3 * n + 12));
  CHECK_EQ(c.forwarded, 2u);
  CHECK_EQ(c.dropped, 1u);
  CHECK_EQ(c.consumed, 1u);
}

TEST_CASE(rewrite_buffer_completes_flagged_partial_checksums_only) {
  auto f = partial_tcp_ipv4();
  auto g = f;
  int32_t off[] = {0}, len[] = {static_cast<int32_t>(f.size())}, dec[] = {0};
  int32_t flagged[] = {static_cast<int32_t>(kFlagCsumNotReady)}, plain[] = {0};
  ForwardCounters c;
  rewrite_buffer(f.data(), f.size(), off, len, flagged, dec, 1, MacTable{kTable, 1}, &c);
  CHECK_EQ(load16(f.data() + vectors::kTcpIpv4TcpCsumAt), 0x6f22);
  CHECK_EQ(c.checksums_completed, 1u);
  uint16_t before = load16(g.data() + vectors::kTcpIpv4TcpCsumAt);
  rewrite_buffer(g.data(), g.size(), off, len, plain, dec, 1, MacTable{kTable, 1}, &c);
  CHECK_EQ(load16(g.data() + vectors::kTcpIpv4TcpCsumAt), before);
}

TEST_CASE(rewrite_buffer_treats_unknown_decisions_and_short_frames_as_drops) {
  auto f = vectors::tcp_ipv4();
  auto copy = f;
  int32_t off[] = {0, 0}, len[] = {static_cast<int32_t>(f.size()), 10}, dec[] = {7, 0};
  ForwardCounters c;
  CHECK_EQ(rewrite_buffer(f.data(), f.size(), off, len, nullptr, dec, 2, MacTable{kTable, 1}, &c), 0u);
  CHECK(f == copy);
  CHECK_EQ(c.dropped, 2u);
}

TEST_CASE(complete_frame_partial_ignores_ethernet_padding) {
  // A short UDP frame padded to 60 bytes: the padding must not enter the sum.
  auto f = vectors::udp_ipv6();
  const uint8_t* ip = f.data() + 14;
  store16(f.data() + vectors::kUdpIpv6CsumAt, csum_fold(pseudo_header_ipv6(ip + 8, ip + 24, 17, static_cast<uint32_t>(f.size() - 54))));
  f.insert(f.end(), {0xde, 0xad, 0xbe, 0xef});
  CHECK(complete_frame_partial(f.data(), f.size()));
  CHECK_EQ(load16(f.data() + vectors::kUdpIpv6CsumAt), 0x170e);
}
