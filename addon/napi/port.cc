// PacketPort: the JS face of lb::PacketRing and lb::forward_frames. It copies
// JS options into RingOptions, maps the RX ring into JS once (an external
// ArrayBuffer), and crosses the boundary once per batch.
#include <linux/if_packet.h>

#include <memory>
#include <vector>

#include "bindings.h"
#include "forward.h"
#include "ring.h"
#include "util.h"

namespace lbnapi {

namespace {

constexpr size_t kStride = 4;  // descriptor int32s per frame: offset, length, flags, vlan

class PortWrap : public Napi::ObjectWrap<PortWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PacketPort", {
      InstanceMethod<&PortWrap::Receive>("receive"),
      InstanceMethod<&PortWrap::Release>("release"),
      InstanceMethod<&PortWrap::Forward>("forward"),
      InstanceMethod<&PortWrap::SetNextHops>("setNextHops"),
      InstanceMethod<&PortWrap::SendFrames>("sendFrames"),
      InstanceMethod<&PortWrap::Stats>("stats"),
      InstanceMethod<&PortWrap::SetFilter>("setFilter"),
      InstanceMethod<&PortWrap::Close>("close"),
    });
  }

  explicit PortWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PortWrap>(info) {
    Napi::Env env = info.Env();
    lb::RingOptions o;
    if (!ReadOptions(info, &o)) return;
    lb::Error err;
    ring_ = lb::PacketRing::open(o, &err);
    if (!ring_) {
      throw_error(env, err);
      return;
    }
    frames_.resize(o.batch_size);

    Napi::Object self = info.This().As<Napi::Object>();
    // External: the ring owns the memory. A TX-only port has no RX ring: an empty buffer.
    auto ring = ring_->rx_bytes() ? Napi::ArrayBuffer::New(env, ring_->rx_base(), ring_->rx_bytes()) : Napi::ArrayBuffer::New(env, 0);
    ring_buffer_ = Napi::Persistent(ring);
    auto desc_buf = Napi::ArrayBuffer::New(env, o.batch_size * kStride * sizeof(int32_t));
    descriptors_ = static_cast<int32_t*>(desc_buf.Data());
    auto desc = Napi::Int32Array::New(env, o.batch_size * kStride, desc_buf, 0);
    descriptors_ref_ = Napi::Persistent(desc);
    auto mac = Napi::Uint8Array::New(env, 6);
    std::memcpy(mac.Data(), ring_->mac(), 6);
    self.DefineProperties({
      Napi::PropertyDescriptor::Value("ring", ring, napi_enumerable),
      Napi::PropertyDescriptor::Value("descriptors", desc, napi_enumerable),
      Napi::PropertyDescriptor::Value("mac", mac, napi_enumerable),
      Napi::PropertyDescriptor::Value("ifindex", Napi::Number::New(env, ring_->ifindex()), napi_enumerable),
      Napi::PropertyDescriptor::Value("mtu", Napi::Number::New(env, ring_->mtu()), napi_enumerable),
      Napi::PropertyDescriptor::Value("fd", Napi::Number::New(env, ring_->fd()), napi_enumerable),
    });
  }

  ~PortWrap() override { Shutdown(); }

  lb::PacketRing* ring() const { return ring_.get(); }

 private:
  static bool ReadOptions(const Napi::CallbackInfo& info, lb::RingOptions* o) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) return invalid(env, "Expected an options object for PacketPort.");
    Napi::Object js = info[0].As<Napi::Object>();
    auto str = [&](const char* k) { Napi::Value v = js.Get(k); return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string(); };
    auto num = [&](const char* k, uint32_t def) { Napi::Value v = js.Get(k); return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : def; };
    auto flag = [&](const char* k, bool def) { Napi::Value v = js.Get(k); return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : def; };
    o->interface = str("interface");
    o->netns = str("netns");
    o->block_size = num("blockSize", o->block_size);
    o->block_count = num("blockCount", o->block_count);
    o->frame_size = num("frameSize", o->frame_size);
    o->retire_ms = num("retireMs", o->retire_ms);
    o->rx_mode = str("rxMode") == "frames" ? lb::RxMode::frames : lb::RxMode::blocks;
    o->tx_mode = str("txMode") == "ring" ? lb::TxMode::ring : lb::TxMode::sendmmsg;
    o->tx_frame_size = num("txFrameSize", o->tx_frame_size);
    o->tx_frame_count = num("txFrameCount", o->tx_frame_count);
    o->batch_size = num("batchSize", o->batch_size);
    o->busy_poll_us = num("busyPollUs", o->busy_poll_us);
    o->qdisc_bypass = flag("qdiscBypass", o->qdisc_bypass);
    o->ignore_outgoing = flag("ignoreOutgoing", o->ignore_outgoing);
    o->vnet_hdr = flag("vnetHdr", o->vnet_hdr);
    o->tx_only = flag("txOnly", o->tx_only);
    Napi::Value g = js.Get("fanoutGroup");
    o->fanout_group = g.IsNumber() ? g.As<Napi::Number>().Int32Value() : -1;
    std::string mode = str("fanoutMode");
    o->fanout_mode = mode == "lb" ? PACKET_FANOUT_LB : mode == "cpu" ? PACKET_FANOUT_CPU : mode == "rollover" ? PACKET_FANOUT_ROLLOVER
                   : mode == "random" ? PACKET_FANOUT_RND : mode == "qm" ? PACKET_FANOUT_QM : PACKET_FANOUT_HASH;
    Napi::Value f = js.Get("filter");
    if (f.IsTypedArray() && f.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array) {
      Napi::Uint32Array words = f.As<Napi::Uint32Array>();
      o->filter.assign(words.Data(), words.Data() + words.ElementLength());
    }
    if (o->batch_size == 0) return invalid(env, "Expected a batchSize of at least 1.");
    return true;
  }

  // receive(maxFrames, timeoutMs) -> count; fills `descriptors`.
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    int64_t max, timeout;
    if (!number_arg(info, 0, "maxFrames", &max) || !number_arg(info, 1, "timeoutMs", &timeout)) return info.Env().Undefined();
    if (ring_->closed()) return Napi::Number::New(info.Env(), 0);
    size_t limit = max < 0 ? 0 : std::min(static_cast<size_t>(max), frames_.size());
    count_ = ring_->receive(frames_.data(), limit, static_cast<int>(timeout));
    const uint8_t* base = ring_->rx_base();
    for (size_t i = 0; i < count_; ++i) {
      int32_t* d = descriptors_ + i * kStride;
      d[0] = static_cast<int32_t>(frames_[i].data - base);
      d[1] = static_cast<int32_t>(frames_[i].len);
      d[2] = static_cast<int32_t>(frames_[i].flags);
      d[3] = static_cast<int32_t>(frames_[i].vlan);
    }
    counters_received_ += count_;
    return Napi::Number::New(info.Env(), static_cast<double>(count_));
  }

  Napi::Value Release(const Napi::CallbackInfo& info) {
    if (!ring_->closed()) ring_->release();
    count_ = 0;
    return info.Env().Undefined();
  }

  // setFilter(words: Uint32Array | null): replaces the socket filter; null detaches it.
  Napi::Value SetFilter(const Napi::CallbackInfo& info) { return ApplyFilter(info.Env(), ring_->fd(), info[0]); }

 public:
  // words: a Uint32Array (4 per instruction) or null (detach), applied to socket fd.
  static Napi::Value ApplyFilter(Napi::Env env, int fd, Napi::Value f) {
    std::vector<uint32_t> words;
    if (f.IsTypedArray() && f.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array) {
      Napi::Uint32Array w = f.As<Napi::Uint32Array>();
      words.assign(w.Data(), w.Data() + w.ElementLength());
    } else if (!f.IsNull()) {
      throw_coded(env, "ERR_INVALID_ARG", "Expected filter to be a Uint32Array or null.");
      return env.Undefined();
    }
    lb::Error err;
    if (!lb::set_socket_filter(fd, words, &err)) throw_error(env, err);
    return env.Undefined();
  }

 private:

  // forward(decisions: Int32Array, count) -> frames queued
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Span<int32_t> decisions;
    int64_t count;
    if (!int32_arg(info, 0, "decisions", &decisions) || !number_arg(info, 1, "count", &count)) return info.Env().Undefined();
    size_t n = std::min({static_cast<size_t>(count < 0 ? 0 : count), decisions.length, count_});
    size_t queued = lb::forward_frames(frames_.data(), decisions.data, n, table_.data(), table_.size(), out_ports_.data(),
                                       out_ports_.size(), &counters_);
    count_ = 0;  // a batch is forwarded once
    return Napi::Number::New(info.Env(), static_cast<double>(queued));
  }

  // setNextHops(ports: PacketPort[], portIndex: Int32Array, macs: Uint8Array (12 bytes per hop))
  Napi::Value SetNextHops(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Span<int32_t> index;
    Span<uint8_t> macs;
    if (info.Length() < 1 || !info[0].IsArray() || !int32_arg(info, 1, "portIndex", &index) || !bytes_arg(info, 2, "macs", &macs)) {
      return invalid(env, "Expected (ports: PacketPort[], portIndex: Int32Array, macs: Uint8Array)."), env.Undefined();
    }
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<lb::PacketRing*> rings;
    std::vector<Napi::ObjectReference> refs;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(Constructor(env))) return invalid(env, "Expected PacketPort objects in ports."), env.Undefined();
      rings.push_back(Unwrap(v.As<Napi::Object>())->ring());
      refs.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
    if (macs.length < index.length * 12) return invalid(env, "Expected 12 MAC bytes per next hop."), env.Undefined();
    std::vector<lb::NextHop> table(index.length);
    for (size_t i = 0; i < index.length; ++i) {
      if (index.data[i] < 0 || static_cast<size_t>(index.data[i]) >= rings.size()) return invalid(env, "portIndex out of range."), env.Undefined();
      table[i].port = rings[index.data[i]];
      std::memcpy(table[i].macs, macs.data + i * 12, 12);
    }
    table_ = std::move(table);
    out_ports_ = std::move(rings);
    out_refs_ = std::move(refs);
    return env.Undefined();
  }

  // sendFrames(buf: Uint8Array, offsets: Int32Array, lengths: Int32Array, count) -> frames queued
  Napi::Value SendFrames(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Span<uint8_t> buf;
    Span<int32_t> offsets, lengths;
    int64_t count;
    if (!bytes_arg(info, 0, "buf", &buf) || !int32_arg(info, 1, "offsets", &offsets) || !int32_arg(info, 2, "lengths", &lengths) ||
        !number_arg(info, 3, "count", &count)) {
      return env.Undefined();
    }
    size_t n = std::min({static_cast<size_t>(count < 0 ? 0 : count), offsets.length, lengths.length});
    size_t queued = 0;
    for (size_t i = 0; i < n; ++i) {
      int64_t off = offsets.data[i], len = lengths.data[i];
      if (off < 0 || len <= 0 || static_cast<size_t>(off + len) > buf.length) continue;
      if (ring_->enqueue(buf.data + off, static_cast<size_t>(len), nullptr)) ++queued;
    }
    ring_->flush();
    return Napi::Number::New(env, static_cast<double>(queued));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    lb::RingStats s = ring_->stats();
    Napi::Object o = Napi::Object::New(env);
    auto put = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
    put("rxPackets", s.rx_packets);
    put("rxDrops", s.rx_drops);
    put("rxFreezeQueue", s.rx_freeze_q);
    put("received", counters_received_);
    put("forwarded", counters_.forwarded);
    put("dropped", counters_.dropped);
    put("consumed", counters_.consumed);
    put("checksumsCompleted", counters_.checksums_completed);
    put("txFrames", s.tx_frames);
    put("txErrors", s.tx_errors);
    put("txSyscalls", s.tx_syscalls);
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // Detaches the ring's ArrayBuffer before unmapping it: old views read as
  // empty instead of touching freed memory.
  void Shutdown() {
    if (!ring_ || ring_->closed()) return;
    if (!ring_buffer_.IsEmpty()) {
      Napi::ArrayBuffer ab = ring_buffer_.Value();
      if (!ab.IsEmpty() && !ab.IsDetached()) ab.Detach();
      ring_buffer_.Reset();
    }
    ring_->close();
    count_ = 0;
    table_.clear();
    out_ports_.clear();
    out_refs_.clear();
  }

  static Napi::Function Constructor(Napi::Env env) { return env.GetInstanceData<Napi::FunctionReference>()->Value(); }

  std::unique_ptr<lb::PacketRing> ring_;
  std::vector<lb::RxFrame> frames_;
  size_t count_ = 0;
  int32_t* descriptors_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> ring_buffer_;
  Napi::Reference<Napi::Int32Array> descriptors_ref_;
  std::vector<lb::NextHop> table_;
  std::vector<lb::PacketRing*> out_ports_;
  std::vector<Napi::ObjectReference> out_refs_;
  lb::ForwardCounters counters_;
  uint64_t counters_received_ = 0;
};

}  // namespace

void InitPacketPort(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = PortWrap::Define(env);
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(ctor)));
  exports.Set("PacketPort", ctor);
  // setSocketFilter(fd, words | null): a port's filter from another thread than the one that reads it.
  exports.Set("setSocketFilter", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    if (!info[0].IsNumber()) {
      throw_coded(info.Env(), "ERR_INVALID_ARG", "Expected fd to be a number.");
      return info.Env().Undefined();
    }
    return PortWrap::ApplyFilter(info.Env(), info[0].As<Napi::Number>().Int32Value(), info[1]);
  }));
}

}  // namespace lbnapi
