// Errors from the core: a stable code and one clear sentence. The N-API layer
// turns them into JS errors with `code`.
#pragma once
#include <string>

namespace lb {

struct Error {
  std::string code;  // empty: no error
  std::string message;
  bool ok() const { return code.empty(); }
  bool set(std::string c, std::string m) {
    code = std::move(c);
    message = std::move(m);
    return false;
  }
};

}  // namespace lb
