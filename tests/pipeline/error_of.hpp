// The message of the exception `f()` throws, or "<no error>" when it throws none; for tests
// that check what an error message says.
#pragma once
#include <exception>
#include <string>

namespace trfpipe::testing {

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace trfpipe::testing
