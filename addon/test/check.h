// A tiny C++ test runner for the plain C++ core (no framework, no exceptions).
//
//   #include "check.h"
//   TEST_CASE(sums_rfc1071_example) { CHECK_EQ(lb::fold(...), 0xddf2); }
//
// Every TEST_CASE registers itself; main.cc runs them all, prints each failed
// check with file:line, and ends with exactly "cpp: N passed, N failed".
#pragma once
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace check {

struct Case {
  const char* name;
  void (*fn)();
};

inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

// Number of failed checks in the case that is running now.
inline int& failures_in_case() {
  static int n = 0;
  return n;
}

inline const char*& current_case() {
  static const char* name = "";
  return name;
}

struct Register {
  Register(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

inline void report(const char* file, int line, const std::string& what) {
  ++failures_in_case();
  std::printf("FAIL %s (%s:%d): %s\n", current_case(), file, line, what.c_str());
}

template <typename T>
std::string show(const T& v) {
  std::ostringstream s;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    s << static_cast<long long>(v) << " (0x" << std::hex << static_cast<unsigned long long>(v) << ")";
  } else {
    s << v;
  }
  return s.str();
}

template <typename A, typename B>
void check_eq(const A& a, const B& b, const char* ea, const char* eb, const char* file, int line) {
  if (!(a == b)) report(file, line, std::string(ea) + " == " + eb + ": got " + show(a) + ", expected " + show(b));
}

}  // namespace check

#define CHECK_CONCAT2(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT2(a, b)

#define TEST_CASE(name)                                                        \
  static void name();                                                          \
  static ::check::Register CHECK_CONCAT(check_register_, name)(#name, name);   \
  static void name()

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) ::check::report(__FILE__, __LINE__, "CHECK(" #cond ")");      \
  } while (0)

#define CHECK_EQ(a, b) ::check::check_eq((a), (b), #a, #b, __FILE__, __LINE__)
