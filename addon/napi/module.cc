// Registers the addon's functions. Each binding lives in its own file and
// only converts arguments; the work is done by addon/core.
#include <napi.h>

#include "bindings.h"

static Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), "0.1.0");
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version));
  lbnapi::InitChecksum(env, exports);
  lbnapi::InitReusePort(env, exports);
  lbnapi::InitPacketPort(env, exports);
  lbnapi::InitSplice(env, exports);
  return exports;
}

NODE_API_MODULE(lbarray, Init)
