// Helpers shared by the models tests.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "trfpipe/error.hpp"

namespace trfpipe::models::testing {

// A fresh, empty folder under the system temp dir, unique per process and name.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("trfpipe_models_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// The message of the DataError `f` throws (a test failure when it throws none).
template <typename F>
std::string data_error_message(F f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a DataError";
  return "";
}

}  // namespace trfpipe::models::testing
