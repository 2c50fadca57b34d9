// Shared by the libFuzzer targets (fuzz/*_fuzz.cpp, built and run by scripts/fuzz.sh). A reader
// rejects bad input with a trfpipe::Error; any other exception escapes LLVMFuzzerTestOneInput,
// std::terminate aborts, and libFuzzer reports the input as a crash, like a signal, an ASan or
// UBSan report, a leak, a timeout or running out of memory (-rss_limit_mb).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

#include "trfpipe/error.hpp"

namespace trfpipe::fuzz {

inline std::string_view bytes_of(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Runs `f`: returning or throwing a trfpipe::Error are both a pass.
template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const trfpipe::Error&) {
  }
}

// Two inputs from one: the bytes before the first NUL and those after it (all / "" without one).
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view s) {
  const size_t p = s.find('\0');
  if (p == std::string_view::npos) return {s, {}};
  return {s.substr(0, p), s.substr(p + 1)};
}

// A per-process scratch folder for the readers that take paths: under $TRFPIPE_FUZZ_SCRATCH
// (scripts/fuzz.sh points it at a folder in /dev/shm and removes it afterwards), else /dev/shm.
inline std::filesystem::path& scratch_path() {
  static std::filesystem::path path;
  return path;
}

inline const std::filesystem::path& scratch_dir() {
  std::filesystem::path& dir = scratch_path();
  if (dir.empty()) {
    const char* env = std::getenv("TRFPIPE_FUZZ_SCRATCH");
    std::filesystem::path base = env && *env                            ? std::filesystem::path(env)
                                 : std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                       : std::filesystem::temp_directory_path();
    dir = base / ("trfpipe-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_path(), ec);
    });
  }
  return dir;
}

// Writes `bytes` as scratch_dir()/name and returns the path.
inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  const std::filesystem::path p = scratch_dir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  return p.string();
}

}  // namespace trfpipe::fuzz
