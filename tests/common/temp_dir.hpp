// A fresh folder under the system temp dir for tests, removed with everything in it at the end.
// Header-only (no trfpipe library needed); any test can include it as "common/temp_dir.hpp":
//
//   TempDir tmp;
//   std::string in = tmp.file("in.jsonl", "{\"text\": \"Hi.\"}\n");
//   run_cli({"apply", "blank:en", in, tmp / "out.jsonl"});
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace trfpipe::testing {

struct TempDir {
  std::filesystem::path path;
  // `prefix` starts the folder's name; the process id and a counter make it unique.
  explicit TempDir(const std::string& prefix = "trfpipe_test_") {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           (prefix + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Writes `content` to the file `name` in the folder; returns its path.
  std::string file(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
    return (path / name).string();
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace trfpipe::testing
