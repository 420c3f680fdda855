// Each binding file registers its functions through one of these.
#pragma once
#include <napi.h>

namespace lbnapi {
void InitChecksum(Napi::Env env, Napi::Object exports);
void InitReusePort(Napi::Env env, Napi::Object exports);
void InitPacketPort(Napi::Env env, Napi::Object exports);
void InitSplice(Napi::Env env, Napi::Object exports);
}  // namespace lbnapi
