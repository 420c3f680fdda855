// openReusePortListener(host, port, backlog) -> fd
#include "reuseport.h"

#include "bindings.h"
#include "util.h"

namespace lbnapi {

namespace {

Napi::Value OpenReusePortListener(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t port, backlog;
  if (info.Length() < 1 || !info[0].IsString() || !number_arg(info, 1, "port", &port) || !number_arg(info, 2, "backlog", &backlog)) {
    return invalid(env, "Expected (host: string, port: number, backlog: number)."), env.Undefined();
  }
  lb::Error err;
  int fd = lb::open_reuseport_listener(info[0].As<Napi::String>().Utf8Value(), static_cast<int>(port), static_cast<int>(backlog), &err);
  if (fd < 0) return throw_error(env, err), env.Undefined();
  return Napi::Number::New(env, fd);
}

}  // namespace

void InitReusePort(Napi::Env env, Napi::Object exports) {
  exports.Set("openReusePortListener", Napi::Function::New(env, OpenReusePortListener));
}

}  // namespace lbnapi
