// Binding of the byte splicer (addon/core/splice.h) for the CDN rewriter: one call per chunk.
#include "splice.h"

#include <string>

#include "bindings.h"
#include "util.h"

namespace lbnapi {

namespace {

// A string argument's latin1 bytes (one a char; the rewriter's strings are latin1 text of page bytes),
// into a scratch buffer kept per thread: no allocation per call once it has grown.
bool latin1_arg(const Napi::CallbackInfo& info, size_t i, const char* what, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return invalid(info.Env(), std::string("Expected a string for ") + what + ".");
  size_t length = 0;
  if (napi_get_value_string_latin1(info.Env(), info[i], nullptr, 0, &length) != napi_ok) return invalid(info.Env(), what);
  out->resize(length + 1);  // napi writes a terminating NUL
  if (napi_get_value_string_latin1(info.Env(), info[i], out->data(), out->size(), &length) != napi_ok) return invalid(info.Env(), what);
  out->resize(length);
  return true;
}

// spliceLatin1(held, chunk, to, edits, count, texts): the input (held's latin1 bytes, then
// chunk) up to `to`, with edits (start, end, text length triples in `edits`) applied, their
// texts one after another in `texts`. A new Buffer.
Napi::Value SpliceLatin1(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  thread_local std::string held, texts;
  Span<uint8_t> chunk;
  Span<int32_t> edits;
  int64_t to, count;
  if (!latin1_arg(info, 0, "held", &held) || !bytes_arg(info, 1, "chunk", &chunk) || !number_arg(info, 2, "to", &to) ||
      !int32_arg(info, 3, "edits", &edits) || !number_arg(info, 4, "count", &count) || !latin1_arg(info, 5, "texts", &texts)) {
    return env.Undefined();
  }
  if (count < 0 || static_cast<uint64_t>(count) * 3 > edits.length || to < 0) return invalid(env, "count or to out of range."), env.Undefined();
  lb::SpliceSource src{reinterpret_cast<const uint8_t*>(held.data()), held.size(), chunk.data, chunk.length};
  const auto* list = reinterpret_cast<const lb::SpliceEdit*>(edits.data);
  size_t n = static_cast<size_t>(count);
  int64_t length = lb::splice_length(src, static_cast<size_t>(to), list, n, texts.size());
  if (length < 0) return invalid(env, "Expected edits in order, not overlapping, inside the input, with their texts."), env.Undefined();
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(length));
  lb::splice(src, static_cast<size_t>(to), list, n, reinterpret_cast<const uint8_t*>(texts.data()), out.Data());
  return out;
}

}  // namespace

void InitSplice(Napi::Env env, Napi::Object exports) {
  exports.Set("spliceLatin1", Napi::Function::New(env, SpliceLatin1));
}

}  // namespace lbnapi
