// Small helpers shared by the bindings: coded errors, typed-array access.
// Arguments are validated in TypeScript (engine/ring); these only guard
// against a crash if a caller skips that layer.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "error.h"

namespace lbnapi {

inline void throw_coded(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.ThrowAsJavaScriptException();
}

inline void throw_error(Napi::Env env, const lb::Error& err) { throw_coded(env, err.code, err.message); }

inline bool invalid(Napi::Env env, const std::string& message) {
  throw_coded(env, "ERR_INVALID_ARG", message);
  return false;
}

// A typed-array argument of the expected element type, as pointer + length.
template <typename T>
struct Span {
  T* data = nullptr;
  size_t length = 0;
};

template <typename T>
bool typed_arg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* what, Span<T>* out) {
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    return invalid(info.Env(), std::string("Expected a typed array of the right type for ") + what + ".");
  }
  auto ta = info[i].As<Napi::TypedArray>();
  auto ab = ta.ArrayBuffer();
  out->data = reinterpret_cast<T*>(static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset());
  out->length = ta.ElementLength();
  return true;
}

inline bool bytes_arg(const Napi::CallbackInfo& info, size_t i, const char* what, Span<uint8_t>* out) {
  return typed_arg(info, i, napi_uint8_array, what, out);
}
inline bool int32_arg(const Napi::CallbackInfo& info, size_t i, const char* what, Span<int32_t>* out) {
  return typed_arg(info, i, napi_int32_array, what, out);
}

inline bool number_arg(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return invalid(info.Env(), std::string("Expected a number for ") + what + ".");
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

}  // namespace lbnapi
