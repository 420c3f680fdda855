// Runs every registered TEST_CASE. Optional argument: a substring; only cases
// whose name contains it run.
#include <cstring>

#include "check.h"

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const auto& c : check::registry()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    check::current_case() = c.name;
    check::failures_in_case() = 0;
    c.fn();
    if (check::failures_in_case() == 0) ++passed; else ++failed;
  }
  std::printf("cpp: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
