// The C++ baseline of `lbarray replay`: the same work as the TypeScript path of
// engine/scheduler (decide.ts: parse with the same validity checks, service check, flow key,
// MurmurHash3, flow table, Maglev lookup, counters) followed by the addon's own rewrite
// (lb::rewrite_buffer), in a plain loop over the frames of a capture, many times. Built on demand
// by perf/micro/scheduler-replay.ts.
//
//   scheduler-replay-baseline INPUT MIN_SECONDS BATCH
//
// INPUT (little-endian u32 unless said): "LBRP", table size, table (i32 each), node count, node
// state words, MAC entries (12 bytes each), service entry count, entries (addr[4], kind),
// flow capacity, frame count, then per frame: length, bytes.
// Prints one JSON line: frames, iterations, seconds, cpuSeconds (of the timed passes), pps, decisions (per node), drops (per reason),
// consumed. Decisions of the first pass are counted, so they compare with the TypeScript pass.
//
// Under `valgrind --tool=callgrind --collect-atstart=no` only the passes are counted (the CI gate,
// perf/gate/); MIN_SECONDS 0 then means exactly two passes. -DLB_GATE_EXTRA_MIXES=N adds N hash
// mixes per frame: the deliberate slowdown test/perf/gate.test.ts shows the gate refusing.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#endif

#include "forward.h"

namespace {

constexpr int kDrop = -1, kConsumed = -2;
enum Reason { MALFORMED, NOT_IP, NOT_VIP_RESOLUTION, NOT_VIP, NOT_SERVICE, ICMP_NOT_STEERABLE, NO_NODE, TRUNCATED, REASONS };  // TRUNCATED: ring frames only
enum Cls : uint32_t { EMPTY = 0, EMBRYONIC = 1, ESTABLISHED = 2 };
constexpr uint32_t kKindV6 = 1u << 8, kKindFrag = 1u << 9;
constexpr int kWays = 8, kKeyWords = 10, kEntryWords = 16;
constexpr int eNode = 10, eState = 11, eSeen = 12, eClass = 13;

inline uint32_t be32(const uint8_t* b) { return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3]; }
inline uint32_t be16(const uint8_t* b) { return (uint32_t(b[0]) << 8) | b[1]; }
// The validity rules decide.ts shares with the codec (engine/packet/parse-ip.ts, parse-l4.ts).
bool ipv4_options_fit(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    if (p[0] == 0) return true;
    if (p[0] == 1) { ++p; continue; }
    if (p + 1 >= end || p[1] < 2 || p + p[1] > end) return false;
    p += p[1];
  }
  return true;
}
inline bool fragment_fits(uint32_t offset, long piece, bool more) { return !(more && piece % 8 != 0) && offset + piece <= 65535; }
inline bool ipv4_fragment_fits(uint32_t flags, long piece) {
  return (flags & 0xc000) == 0 && piece != 0 && fragment_fits((flags & 0x1fff) * 8, piece, flags & 0x2000);
}
bool ndp_options_fit(const uint8_t* p, const uint8_t* end) {
  for (const uint8_t* o = p; o < end; o += o[1] * 8)
    if (o + 2 > end || o[1] == 0 || o + o[1] * 8 > end) return false;
  return true;
}
inline bool tcp_header_fits(const uint8_t* p, const uint8_t* end) {
  if (p + 20 > end) return false;
  uint32_t off = (p[12] >> 4) * 4;
  return off >= 20 && p + off <= end;
}
inline bool udp_length_fits(const uint8_t* p, const uint8_t* end) { return p + 8 <= end && be16(p + 4) == uint32_t(end - p); }

inline uint32_t rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

inline uint32_t mix(uint32_t h, uint32_t k) {
  k *= 0xcc9e2d51u; k = rotl(k, 15); k *= 0x1b873593u;
  h ^= k; h = rotl(h, 13); return h * 5 + 0xe6546b64u;
}
inline uint32_t fmix(uint32_t h, uint32_t len) {
  h ^= len; h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; return h ^ (h >> 16);
}
inline uint32_t hash_key(const uint32_t* k) {
  uint32_t h = 0x5eed1b;
  if (!(k[9] & kKindV6)) return fmix(mix(mix(mix(mix(h, k[0]), k[4]), k[8]), k[9]), 16);
  for (int i = 0; i < kKeyWords; ++i) h = mix(h, k[i]);
  return fmix(h, 40);
}

struct Services {
  std::vector<uint32_t> e;  // 5 words per entry
  bool has(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t kind) const {
    for (size_t i = 0; i < e.size(); i += 5)
      if (e[i] == a0 && e[i + 1] == a1 && e[i + 2] == a2 && e[i + 3] == a3 && e[i + 4] == kind) return true;
    return false;
  }
};

// Same layout as flow-table.ts: per bucket a line of 8 hashes, then 8 entries of 16 words.
constexpr int kBucketWords = 16 + kWays * kEntryWords;

struct FlowTable {
  uint32_t mask;
  std::vector<int32_t> m;
  explicit FlowTable(uint32_t capacity) : mask(capacity / kWays - 1), m(size_t(capacity / kWays) * kBucketWords) {}
  int32_t* bucket(int32_t h) { return &m[size_t(uint32_t(h) & mask) * kBucketWords]; }
  static uint32_t* entry(int32_t* b, int w) { return reinterpret_cast<uint32_t*>(b + 16 + w * kEntryWords); }
  uint32_t* find(const uint32_t* key, int32_t h) {
    int32_t* b = bucket(h);
    for (int w = 0; w < kWays; ++w) {
      if (b[w] != h) continue;
      uint32_t* r = entry(b, w);
      if (r[eClass] != EMPTY && std::memcmp(r, key, 40) == 0) return r;
    }
    return nullptr;
  }
  void insert(const uint32_t* key, int32_t h, uint32_t node, uint32_t state, uint32_t now, uint32_t cls) {
    int32_t* b = bucket(h);
    int emb = -1, est = -1, slot = -1;
    uint32_t embAge = 0, estAge = 0;
    for (int w = 0; w < kWays; ++w) {
      uint32_t* r = entry(b, w);
      if (r[eClass] == EMPTY) { slot = w; break; }
      uint32_t age = now - r[eSeen];
      if (r[eClass] == EMBRYONIC) { if (emb < 0 || age > embAge) { emb = w; embAge = age; } }
      else if (est < 0 || age > estAge) { est = w; estAge = age; }
    }
    if (slot < 0) slot = emb >= 0 ? emb : (cls == ESTABLISHED || estAge >= 120000 ? est : -1);
    if (slot < 0) return;
    b[slot] = h;
    uint32_t* r = entry(b, slot);
    std::memcpy(r, key, 40);
    r[eNode] = node; r[eState] = state; r[eSeen] = now; r[eClass] = cls;
  }
};

struct Decider {
  Services services;
  FlowTable flows;
  std::vector<int32_t> table;
  std::vector<uint32_t> states;
  double node_packets[65536] = {}, node_bytes[65536] = {}, drops[REASONS] = {}, consumed = 0;
  uint32_t key[kKeyWords];
  volatile uint32_t sink = 0;

  Decider(uint32_t cap) : flows(cap) {}
  int drop(int r) { drops[r]++; return kDrop; }
  int pick(int32_t h) const { return table[(uint32_t(h) >> 1) % table.size()]; }

  int route(int32_t h, uint32_t cls, uint32_t now) {
    uint32_t* r = flows.find(key, h);
    if (r) {
      if (states[r[eNode]] == r[eState]) { r[eSeen] = now; r[eClass] = cls; return int(r[eNode]); }
      int n = pick(h);
      if (n < 0) { r[eClass] = EMPTY; return -1; }
      r[eNode] = uint32_t(n); r[eState] = states[n]; r[eSeen] = now; r[eClass] = cls;
      return n;
    }
    int n = pick(h);
    if (n >= 0) flows.insert(key, h, uint32_t(n), states[n], now, cls);
    return n;
  }
  int peek(int32_t h) {
    const uint32_t* r = flows.find(key, h);
    if (r && states[r[eNode]] == r[eState]) return int(r[eNode]);
    return pick(h);
  }
  int routed(int n) { return n >= 0 ? n : drop(NO_NODE); }

  void fill(const uint8_t* l3, bool v6, uint32_t proto, const uint8_t* l4, bool ports, bool frag) {
    if (v6) { for (int i = 0; i < 4; ++i) { key[i] = be32(l3 + 8 + 4 * i); key[4 + i] = be32(l3 + 24 + 4 * i); } }
    else { key[0] = be32(l3 + 12); key[1] = key[2] = key[3] = 0; key[4] = be32(l3 + 16); key[5] = key[6] = key[7] = 0; }
    key[8] = ports ? be32(l4) : 0;
    key[9] = proto | (v6 ? kKindV6 : 0) | (frag ? kKindFrag : 0);
  }

  int transport(const uint8_t* l3, bool v6, uint32_t proto, const uint8_t* l4, const uint8_t* l4end,
                uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3, uint32_t now) {
    if (proto == 6 ? !tcp_header_fits(l4, l4end) : !udp_length_fits(l4, l4end)) return drop(MALFORMED);
    uint32_t kind = proto | (v6 ? kKindV6 : 0) | (be16(l4 + 2) << 16);
    if (!services.has(d0, d1, d2, d3, kind)) return drop(services.has(d0, d1, d2, d3, v6 ? kKindV6 : 0) ? NOT_SERVICE : NOT_VIP);
    uint32_t cls = proto == 6 && (l4[13] & 7) ? EMBRYONIC : ESTABLISHED;
    fill(l3, v6, proto, l4, true, false);
    return routed(route(int32_t(hash_key(key)), cls, now));
  }
  int fragment(const uint8_t* l3, bool v6, uint32_t proto, const uint8_t* l4, const uint8_t* l4end, bool first,
               uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3, uint32_t now) {
    uint32_t kind = proto | (v6 ? kKindV6 : 0);
    if (first && (proto == 6 || proto == 17)) { if (l4 + 4 > l4end) return drop(MALFORMED); kind |= be16(l4 + 2) << 16; }
    if (!services.has(d0, d1, d2, d3, kind)) return drop(NOT_SERVICE);
    fill(l3, v6, proto, l4, false, true);
    return routed(route(int32_t(hash_key(key)), EMBRYONIC, now));
  }
  int icmp_error(const uint8_t* in, const uint8_t* l4end, bool v6) {
    long avail = l4end - in;
    uint32_t proto; const uint8_t* l4;
    if (v6) {
      if (avail < 44 || (in[0] >> 4) != 6) return drop(ICMP_NOT_STEERABLE);
      proto = in[6]; l4 = in + 40;
      for (int i = 0; i < 4; ++i) { key[i] = be32(in + 24 + 4 * i); key[4 + i] = be32(in + 8 + 4 * i); }
    } else {
      long ihl = (in[0] & 15) * 4;
      if (avail < 20 || (in[0] >> 4) != 4 || ihl < 20 || avail < ihl + 4 || (be16(in + 6) & 0x1fff)) return drop(ICMP_NOT_STEERABLE);
      proto = in[9]; l4 = in + ihl;
      key[0] = be32(in + 16); key[1] = key[2] = key[3] = 0; key[4] = be32(in + 12); key[5] = key[6] = key[7] = 0;
    }
    if (proto != 6 && proto != 17) return drop(ICMP_NOT_STEERABLE);
    key[8] = (be16(l4 + 2) << 16) | be16(l4);
    key[9] = proto | (v6 ? kKindV6 : 0);
    uint32_t kind = proto | (v6 ? kKindV6 : 0) | ((key[8] & 0xffff) << 16);
    if (!services.has(key[4], key[5], key[6], key[7], kind)) return drop(ICMP_NOT_STEERABLE);
    return routed(peek(int32_t(hash_key(key))));
  }

  int ipv4(const uint8_t* p, const uint8_t* end, uint32_t now) {
    if (p + 20 > end) return drop(MALFORMED);
    uint32_t ihl = (p[0] & 15) * 4, total = be16(p + 2);
    if ((p[0] >> 4) != 4 || ihl < 20 || total < ihl || p + total > end) return drop(MALFORMED);
    if (ihl > 20 && !ipv4_options_fit(p + 20, p + ihl)) return drop(MALFORMED);
    uint32_t dst = be32(p + 16);
    uint32_t proto = p[9];
    const uint8_t *l4 = p + ihl, *l4end = p + total;
    uint32_t flags = be16(p + 6), frag = flags & 0xbfff;
    if (!frag && (proto == 6 || proto == 17)) return transport(p, false, proto, l4, l4end, dst, 0, 0, 0, now);
    if (frag && !ipv4_fragment_fits(flags, long(total - ihl))) return drop(MALFORMED);
    if (!services.has(dst, 0, 0, 0, 0)) return drop(NOT_VIP);
    if (frag) return fragment(p, false, proto, l4, l4end, (frag & 0x1fff) == 0, dst, 0, 0, 0, now);
    if (proto == 1) {
      if (l4 + 8 > l4end) return drop(MALFORMED);
      if (l4[0] == 8 && l4[1] == 0) { consumed++; return kConsumed; }  // a ping of the VIP: the responder answers
      if (l4[0] != 3 || l4[1] != 4) return drop(ICMP_NOT_STEERABLE);
      return icmp_error(l4 + 8, l4end, false);
    }
    return drop(NOT_SERVICE);
  }
  int ipv6(const uint8_t* p, const uint8_t* end, uint32_t now) {
    if (p + 40 > end || (p[0] >> 4) != 6) return drop(MALFORMED);
    const uint8_t* l4end = p + 40 + be16(p + 4);
    if (l4end > end) return drop(MALFORMED);
    uint32_t next = p[6];
    const uint8_t* l4 = p + 40;
    bool frag = false, first = false;
    int n = 0;
    for (; n < 8; ++n) {
      if (next == 0 || next == 43 || next == 60) {
        if (l4 + 8 > l4end || (next == 0 && n > 0)) return drop(MALFORMED);
        next = l4[0]; l4 += (l4[1] + 1) * 8;
      } else if (next == 44) {
        if (l4 + 8 > l4end || frag) return drop(MALFORMED);
        uint32_t field = be16(l4 + 2);
        frag = true; first = (field & 0xfff8) == 0; next = l4[0]; l4 += 8;
        if (!fragment_fits(field & 0xfff8, l4end - l4, field & 1)) return drop(MALFORMED);
        if (!first) break;
      } else break;
    }
    if (l4 > l4end || (n == 8 && (next == 0 || next == 43 || next == 60 || next == 44))) return drop(MALFORMED);
    uint32_t d0 = be32(p + 24), d1 = be32(p + 28), d2 = be32(p + 32), d3 = be32(p + 36);
    if (next == 58 && !frag) {
      if (l4 + 8 > l4end) return drop(MALFORMED);
      if (l4[0] == 135) {
        if (l4 + 24 > l4end || !ndp_options_fit(l4 + 24, l4end)) return drop(MALFORMED);
        if (!services.has(be32(l4 + 8), be32(l4 + 12), be32(l4 + 16), be32(l4 + 20), kKindV6)) return drop(NOT_VIP_RESOLUTION);
        consumed++; return kConsumed;
      }
      if (!services.has(d0, d1, d2, d3, kKindV6)) return drop(NOT_VIP);
      if (l4[0] == 128 && l4[1] == 0) { consumed++; return kConsumed; }
      if (l4[0] != 2) return drop(ICMP_NOT_STEERABLE);
      return icmp_error(l4 + 8, l4end, true);
    }
    if (!frag && (next == 6 || next == 17)) return transport(p, true, next, l4, l4end, d0, d1, d2, d3, now);
    if (!services.has(d0, d1, d2, d3, kKindV6)) return drop(NOT_VIP);
    if (frag) return fragment(p, true, next, l4, l4end, first, d0, d1, d2, d3, now);
    return drop(NOT_SERVICE);
  }
  int arp(const uint8_t* p, const uint8_t* end) {
    if (p + 28 > end || be32(p) != 0x00010800 || be16(p + 4) != 0x0604) return drop(MALFORMED);
    uint32_t op = be16(p + 6);
    if (op != 1 && op != 2) return drop(MALFORMED);
    if (op != 1 || !services.has(be32(p + 24), 0, 0, 0, 0)) return drop(NOT_VIP_RESOLUTION);
    consumed++; return kConsumed;
  }
  int decide(const uint8_t* f, uint32_t len, uint32_t now) {
    if (len < 14) return drop(MALFORMED);
#ifdef LB_GATE_EXTRA_MIXES
    uint32_t h = len;  // a chain the compiler cannot fold: the work really happens per frame
    for (int i = 0; i < LB_GATE_EXTRA_MIXES; ++i) h = mix(h, be32(f + (i & 3) * 2));
    sink = h;
#endif
    const uint8_t *end = f + len, *p = f + 14;
    uint32_t type = be16(f + 12);
    for (int tags = 0; type == 0x8100 || type == 0x88a8; ++tags) {
      if (tags == 2 || (type == 0x88a8 && tags > 0) || p + 4 > end || (be16(p) & 0xfff) == 0xfff) return drop(MALFORMED);
      type = be16(p + 2); p += 4;
    }
    int node;
    if (type == 0x0800) node = ipv4(p, end, now);
    else if (type == 0x86dd) node = ipv6(p, end, now);
    else if (type == 0x0806) return arp(p, end);
    else return drop(NOT_IP);
    if (node >= 0) { node_packets[node]++; node_bytes[node] += len; }
    return node;
  }
};

// CPU time of the timed passes: on a shared machine, wall time also counts the neighbours' turns.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct Reader {
  const uint8_t* p; const uint8_t* end;
  uint32_t u32() { if (p + 4 > end) { std::fprintf(stderr, "input truncated\n"); std::exit(2); } uint32_t v; std::memcpy(&v, p, 4); p += 4; return v; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) { std::fprintf(stderr, "usage: %s INPUT MIN_SECONDS BATCH\n", argv[0]); return 2; }
  FILE* in = std::fopen(argv[1], "rb");
  if (!in) { std::perror(argv[1]); return 2; }
  std::vector<uint8_t> raw;
  uint8_t chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, in)) > 0) raw.insert(raw.end(), chunk, chunk + got);
  std::fclose(in);
  Reader r{raw.data(), raw.data() + raw.size()};
  if (raw.size() < 4 || std::memcmp(raw.data(), "LBRP", 4) != 0) { std::fprintf(stderr, "not an LBRP input\n"); return 2; }
  r.p += 4;
  std::vector<int32_t> table(r.u32());
  for (auto& e : table) e = int32_t(r.u32());
  uint32_t nodes = r.u32();
  std::vector<uint32_t> states(nodes);
  for (auto& s : states) s = r.u32();
  std::vector<uint8_t> macs(r.p, r.p + 12 * nodes);
  r.p += 12 * nodes;
  uint32_t nservices = r.u32();
  std::vector<uint32_t> services(5 * nservices);
  for (auto& w : services) w = r.u32();
  uint32_t capacity = r.u32();
  uint32_t count = r.u32();
  std::vector<int32_t> offsets(count), lengths(count), decisions(count);
  std::vector<uint8_t> buf;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = r.u32();
    offsets[i] = int32_t(buf.size()); lengths[i] = int32_t(len);
    buf.insert(buf.end(), r.p, r.p + len);
    r.p += len;
  }
  auto* d = new Decider(capacity);
  d->services.e = services; d->table = table; d->states = states;
  lb::MacTable mt{macs.data(), nodes};
  lb::ForwardCounters fc;
  const double min_seconds = std::atof(argv[2]);
  const uint32_t batch = uint32_t(std::atoi(argv[3]));

  auto pass = [&](uint32_t now) {
    CALLGRIND_TOGGLE_COLLECT;  // a no-op outside valgrind
    for (uint32_t b = 0; b < count; b += batch) {
      uint32_t n = count - b < batch ? count - b : batch;
      for (uint32_t i = b; i < b + n; ++i) decisions[i] = d->decide(buf.data() + offsets[i], uint32_t(lengths[i]), now);
      lb::rewrite_buffer(buf.data(), buf.size(), offsets.data() + b, lengths.data() + b, nullptr, decisions.data() + b, n, mt, &fc);
    }
    CALLGRIND_TOGGLE_COLLECT;
  };
  pass(1);  // the counted pass (also the warm-up)
  std::vector<double> per_node(d->node_packets, d->node_packets + nodes);
  std::vector<double> drops(d->drops, d->drops + REASONS);
  double consumed = d->consumed;
  uint64_t iterations = 0;
  auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  double seconds = 0;
  do {
    pass(2 + uint32_t(iterations));
    ++iterations;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (seconds < min_seconds);
  const double cpu = cpu_seconds() - cpu0;
  std::printf("{\"frames\":%u,\"iterations\":%llu,\"seconds\":%.6f,\"cpuSeconds\":%.6f,\"pps\":%.0f,\"decisions\":[", count,
              (unsigned long long)iterations, seconds, cpu, double(count) * double(iterations) / seconds);
  for (uint32_t i = 0; i < nodes; ++i) std::printf("%s%.0f", i ? "," : "", per_node[i]);
  std::printf("],\"drops\":[");
  for (int i = 0; i < REASONS; ++i) std::printf("%s%.0f", i ? "," : "", drops[i]);
  std::printf("],\"consumed\":%.0f}\n", consumed);
  return 0;
}
