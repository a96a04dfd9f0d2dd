// Shared checks of the C++ binding tests: EXPECT(cond) counts failures, EXPECT_ERROR(code, stmt)
// expects stmt to throw tessera::error with that status and a message.
#pragma once

#include <cstdio>

#include "tessera.hpp"

namespace {

int failures = 0;

#define EXPECT(cond)                                                          \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                             \
    }                                                                         \
  } while (0)

template <class F>
void expect_error(tsr_status want, F&& f, int line) {
  try {
    f();
    std::fprintf(stderr, "line %d: no exception, expected %s\n", line, tsr_status_str(want));
    ++failures;
  } catch (const tessera::error& e) {
    if (e.code() != want || e.message().empty()) {
      std::fprintf(stderr, "line %d: got %s (%s), expected %s\n", line, e.status_name(), e.what(), tsr_status_str(want));
      ++failures;
    }
  }
}
#define EXPECT_ERROR(code, ...) expect_error(code, [&] { __VA_ARGS__; }, __LINE__)

}  // namespace
