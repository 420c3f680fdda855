#include "checksum.h"

#include <cstring>

#include "check.h"
#include "frame.h"
#include "vectors.h"

using namespace lb;

namespace {

// A deliberately naive reference: 16-bit words, one at a time.
uint16_t reference_checksum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

}  // namespace

TEST_CASE(rfc1071_example_sums_to_ddf2) {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
  const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK_EQ(csum_fold(csum_add(bytes, sizeof bytes)), 0xddf2);
  CHECK_EQ(internet_checksum(bytes, sizeof bytes), 0x220d);
}

TEST_CASE(sum_matches_naive_reference_for_every_length_and_alignment) {
  uint8_t buf[300];
  for (size_t i = 0; i < sizeof buf; ++i) buf[i] = static_cast<uint8_t>(i * 37 + 11);
  for (size_t start = 0; start < 4; ++start)
    for (size_t n = 0; n + start <= sizeof buf; ++n)
      if (internet_checksum(buf + start, n) != reference_checksum(buf + start, n)) {
        CHECK_EQ(internet_checksum(buf + start, n), reference_checksum(buf + start, n));
        return;
      }
}

TEST_CASE(sum_survives_carries_of_all_ones) {
  std::vector<uint8_t> ones(65536, 0xff);
  CHECK_EQ(internet_checksum(ones.data(), ones.size()), reference_checksum(ones.data(), ones.size()));
}

TEST_CASE(ipv4_header_checksum_of_captured_packet) {
  auto f = vectors::tcp_ipv4();
  CHECK_EQ(ipv4_header_checksum(f.data() + 14, 20), 0x9235);
  // Whatever the field holds, it counts as zero.
  f[vectors::kTcpIpv4IpCsumAt] = 0xab;
  CHECK_EQ(ipv4_header_checksum(f.data() + 14, 20), 0x9235);
}

TEST_CASE(tcp_over_ipv4_checksum_of_captured_packet) {
  auto f = vectors::tcp_ipv4();
  const uint8_t* ip = f.data() + 14;
  uint32_t ph = pseudo_header_ipv4(ip + 12, ip + 16, 6, static_cast<uint32_t>(f.size() - 34));
  CHECK_EQ(transport_checksum(f.data() + 34, f.size() - 34, ph, 16), 0x6f22);
}

TEST_CASE(udp_over_ipv6_checksum_of_captured_packet) {
  auto f = vectors::udp_ipv6();
  const uint8_t* ip = f.data() + 14;
  uint32_t ph = pseudo_header_ipv6(ip + 8, ip + 24, 17, static_cast<uint32_t>(f.size() - 54));
  CHECK_EQ(transport_checksum(f.data() + 54, f.size() - 54, ph, 6), 0x170e);
}

TEST_CASE(rfc1624_example_update_gives_0000) {
  // RFC 1624 section 4: HC = DD2F, m = 5555 -> m' = 3285 gives 0000 (eqn. 3).
  CHECK_EQ(csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

TEST_CASE(incremental_update_matches_recomputation) {
  auto f = vectors::tcp_ipv4();
  uint8_t* ip = f.data() + 14;
  uint16_t old_ttl_word = load16(ip + 8);
  ip[8] = 63;  // TTL 64 -> 63, as a router does
  uint16_t updated = csum_update16(load16(ip + 10), old_ttl_word, load16(ip + 8));
  CHECK_EQ(updated, ipv4_header_checksum(ip, 20));
}

TEST_CASE(complete_partial_finishes_tcp_ipv4_like_the_kernel) {
  auto f = vectors::tcp_ipv4();
  const uint8_t* ip = f.data() + 14;
  // What a CHECKSUM_PARTIAL skb carries: the folded pseudo-header sum, uncomplemented.
  store16(f.data() + vectors::kTcpIpv4TcpCsumAt, csum_fold(pseudo_header_ipv4(ip + 12, ip + 16, 6, static_cast<uint32_t>(f.size() - 34))));
  CHECK(complete_partial(f.data(), f.size(), 34, 16));
  CHECK_EQ(load16(f.data() + vectors::kTcpIpv4TcpCsumAt), 0x6f22);
}

TEST_CASE(complete_partial_finishes_udp_ipv6) {
  auto f = vectors::udp_ipv6();
  const uint8_t* ip = f.data() + 14;
  store16(f.data() + vectors::kUdpIpv6CsumAt, csum_fold(pseudo_header_ipv6(ip + 8, ip + 24, 17, static_cast<uint32_t>(f.size() - 54))));
  CHECK(complete_partial(f.data(), f.size(), 54, 6));
  CHECK_EQ(load16(f.data() + vectors::kUdpIpv6CsumAt), 0x170e);
}

TEST_CASE(complete_partial_refuses_a_field_outside_the_buffer) {
  auto f = vectors::udp_ipv6();
  auto copy = f;
  CHECK(!complete_partial(f.data(), f.size(), f.size() - 1, 0));
  CHECK(!complete_partial(f.data(), f.size(), f.size() + 1, 0));
  CHECK(!complete_partial(f.data(), f.size(), 54, f.size()));
  CHECK(f == copy);
}

TEST_CASE(locate_l4_finds_tcp_udp_through_vlan_tags_and_ipv6_extensions) {
  L4Location loc;
  auto tcp = vectors::tcp_ipv4();
  CHECK(locate_l4(tcp.data(), tcp.size(), &loc));
  CHECK_EQ(loc.csum_start, 34u);
  CHECK_EQ(loc.csum_offset, 16u);
  CHECK_EQ(loc.l4_len, tcp.size() - 34);

  // The same frame behind an 802.1Q tag.
  auto tagged = tcp;
  const uint8_t tag[] = {0x81, 0x00, 0x00, 0x0a};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  CHECK(locate_l4(tagged.data(), tagged.size(), &loc));
  CHECK_EQ(loc.csum_start, 38u);

  // UDP/IPv6 behind a hop-by-hop options header (8 bytes, next header UDP).
  auto udp = vectors::udp_ipv6();
  const uint8_t hbh[] = {17, 0, 1, 4, 0, 0, 0, 0};
  udp[14 + 6] = 0;  // next header: hop-by-hop
  udp[14 + 5] = static_cast<uint8_t>(udp[14 + 5] + 8);
  udp.insert(udp.begin() + 54, hbh, hbh + 8);
  CHECK(locate_l4(udp.data(), udp.size(), &loc));
  CHECK_EQ(loc.csum_start, 62u);
  CHECK_EQ(loc.csum_offset, 6u);
  CHECK(recompute_l4_checksum(udp.data(), udp.size()));
  CHECK_EQ(load16(udp.data() + 68), 0x170e);  // extension headers are not in the pseudo-header
}

TEST_CASE(locate_l4_rejects_what_has_no_transport_checksum) {
  L4Location loc;
  auto tcp = vectors::tcp_ipv4();
  auto frag = tcp;
  frag[14 + 7] = 0x10;  // fragment offset != 0
  CHECK(!locate_l4(frag.data(), frag.size(), &loc));
  CHECK(!locate_l4(tcp.data(), 40, &loc));  // truncated
  auto icmp = tcp;
  icmp[14 + 9] = 1;
  CHECK(!locate_l4(icmp.data(), icmp.size(), &loc));
  const uint8_t arp[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
  CHECK(!locate_l4(arp, sizeof arp, &loc));
}
