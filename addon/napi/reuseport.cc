// openReusePortListener(host, port, backlog) -> fd; boundPort(fd) -> port
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

Napi::Value BoundPort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!number_arg(info, 0, "fd", &fd)) return env.Undefined();
  int port = lb::bound_port(static_cast<int>(fd));
  if (port < 0) return invalid(env, "fd " + std::to_string(fd) + " is not a bound TCP socket."), env.Undefined();
  return Napi::Number::New(env, port);
}

}  // namespace

void InitReusePort(Napi::Env env, Napi::Object exports) {
  exports.Set("openReusePortListener", Napi::Function::New(env, OpenReusePortListener));
  exports.Set("boundPort", Napi::Function::New(env, BoundPort));
}

}  // namespace lbnapi
