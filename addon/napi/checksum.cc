// Bindings of the checksum core and of the plain-buffer forward backend
// (tests, micro benchmarks, pcap replay). One call per buffer or batch.
#include "checksum.h"

#include "bindings.h"
#include "forward.h"
#include "frame.h"
#include "util.h"

namespace lbnapi {

namespace {

Napi::Value Checksum(const Napi::CallbackInfo& info) {
  Span<uint8_t> buf;
  if (!bytes_arg(info, 0, "buf", &buf)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), lb::internet_checksum(buf.data, buf.length));
}

Napi::Value Ipv4HeaderChecksum(const Napi::CallbackInfo& info) {
  Span<uint8_t> buf;
  int64_t off;
  if (!bytes_arg(info, 0, "buf", &buf) || !number_arg(info, 1, "offset", &off)) return info.Env().Undefined();
  if (off < 0 || static_cast<size_t>(off) + 20 > buf.length) return invalid(info.Env(), "offset leaves no IPv4 header."), info.Env().Undefined();
  const uint8_t* ip = buf.data + off;
  size_t ihl = (ip[0] & 0x0f) * 4u;
  if (ihl < 20 || off + ihl > buf.length) ihl = 20;
  return Napi::Number::New(info.Env(), lb::ipv4_header_checksum(ip, ihl));
}

Napi::Value L4Checksum(const Napi::CallbackInfo& info) {
  Span<uint8_t> buf;
  if (!bytes_arg(info, 0, "frame", &buf)) return info.Env().Undefined();
  lb::L4Location loc;
  if (!lb::locate_l4(buf.data, buf.length, &loc)) return Napi::Number::New(info.Env(), -1);
  const uint8_t* ip = buf.data + loc.l3_start;
  uint32_t l4len = static_cast<uint32_t>(loc.l4_len);
  uint32_t ph = loc.l3 == lb::L3::ipv4 ? lb::pseudo_header_ipv4(ip + 12, ip + 16, loc.proto, l4len)
                                       : lb::pseudo_header_ipv6(ip + 8, ip + 24, loc.proto, l4len);
  uint16_t c = lb::transport_checksum(buf.data + loc.csum_start, loc.l4_len, ph, loc.csum_offset);
  return Napi::Number::New(info.Env(), loc.proto == 17 ? lb::udp_wire_checksum(c) : c);
}

Napi::Value CompletePartial(const Napi::CallbackInfo& info) {
  Span<uint8_t> buf;
  int64_t start, off;
  if (!bytes_arg(info, 0, "buf", &buf) || !number_arg(info, 1, "csumStart", &start) || !number_arg(info, 2, "csumOffset", &off)) {
    return info.Env().Undefined();
  }
  if (start < 0 || off < 0) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), lb::complete_partial(buf.data, buf.length, static_cast<size_t>(start), static_cast<size_t>(off)));
}

Napi::Value CompleteFramePartial(const Napi::CallbackInfo& info) {
  Span<uint8_t> buf;
  if (!bytes_arg(info, 0, "frame", &buf)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), lb::complete_frame_partial(buf.data, buf.length));
}

Napi::Value ChecksumUpdate16(const Napi::CallbackInfo& info) {
  int64_t hc, m, m2;
  if (!number_arg(info, 0, "checksum", &hc) || !number_arg(info, 1, "oldWord", &m) || !number_arg(info, 2, "newWord", &m2)) {
    return info.Env().Undefined();
  }
  return Napi::Number::New(info.Env(), lb::csum_update16(static_cast<uint16_t>(hc), static_cast<uint16_t>(m), static_cast<uint16_t>(m2)));
}

// The frames of a rewriteBuffer batch: each inside buf and at least an Ethernet header, each
// decision one the MAC table covers. Checked here, not in TypeScript: one pass in C++ per
// batch instead of a JS loop (the replay's hot path). Throws ERR_INVALID_ARG naming the frame.
bool frames_fit(Napi::Env env, const Span<uint8_t>& buf, const Span<int32_t>& offsets, const Span<int32_t>& lengths,
                const Span<int32_t>& decisions, size_t n, size_t entries) {
  for (size_t i = 0; i < n; ++i) {
    int64_t off = offsets.data[i], len = lengths.data[i], d = decisions.data[i];
    if (off < 0 || len < 14 || static_cast<uint64_t>(off + len) > buf.length) {
      return invalid(env, "Expected a frame of 14 bytes or more inside buf (" + std::to_string(buf.length) + " bytes) for frame " +
                              std::to_string(i) + " but received " + std::to_string(off) + "+" + std::to_string(len) + ".");
    }
    if (d < lb::kDecisionConsumed || d >= static_cast<int64_t>(entries)) {
      return invalid(env, "Expected a decision between -2 and " + std::to_string(static_cast<int64_t>(entries) - 1) + " for decisions[" +
                              std::to_string(i) + "] but received " + std::to_string(d) + ".");
    }
  }
  return true;
}

// rewriteBuffer(buf, offsets, lengths, decisions, count, macTable, flags|null)
Napi::Value RewriteBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Span<uint8_t> buf, macs;
  Span<int32_t> offsets, lengths, decisions, flags;
  int64_t count;
  if (!bytes_arg(info, 0, "buf", &buf) || !int32_arg(info, 1, "offsets", &offsets) || !int32_arg(info, 2, "lengths", &lengths) ||
      !int32_arg(info, 3, "decisions", &decisions) || !number_arg(info, 4, "count", &count) || !bytes_arg(info, 5, "macTable", &macs)) {
    return env.Undefined();
  }
  bool has_flags = info.Length() > 6 && !info[6].IsNull() && !info[6].IsUndefined();
  if (has_flags && !int32_arg(info, 6, "flags", &flags)) return env.Undefined();
  size_t n = static_cast<size_t>(count);
  if (count < 0 || n > offsets.length || n > lengths.length || n > decisions.length || (has_flags && n > flags.length)) {
    return invalid(env, "count exceeds an array."), env.Undefined();
  }
  lb::MacTable table{macs.data, macs.length / 12};
  if (!frames_fit(env, buf, offsets, lengths, decisions, n, table.count)) return env.Undefined();
  lb::ForwardCounters counters;
  size_t done = lb::rewrite_buffer(buf.data, buf.length, offsets.data, lengths.data, has_flags ? flags.data : nullptr,
                                   decisions.data, n, table, &counters);
  return Napi::Number::New(env, static_cast<double>(done));
}

}  // namespace

void InitChecksum(Napi::Env env, Napi::Object exports) {
  exports.Set("checksum", Napi::Function::New(env, Checksum));
  exports.Set("ipv4HeaderChecksum", Napi::Function::New(env, Ipv4HeaderChecksum));
  exports.Set("l4Checksum", Napi::Function::New(env, L4Checksum));
  exports.Set("completePartial", Napi::Function::New(env, CompletePartial));
  exports.Set("completeFramePartial", Napi::Function::New(env, CompleteFramePartial));
  exports.Set("checksumUpdate16", Napi::Function::New(env, ChecksumUpdate16));
  exports.Set("rewriteBuffer", Napi::Function::New(env, RewriteBuffer));
}

}  // namespace lbnapi
