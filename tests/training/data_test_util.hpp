// Helpers for the data-format tests: shared data paths, temp files, a whitespace tokenizer.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include "trfpipe/data.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::testing {

inline std::string shared_path(const std::string& rel) {
  return std::string(TRFPIPE_SHARED_DIR) + "/" + rel;
}

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("trfpipe_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Splits on single spaces (enough for tests of the text formats).
inline MakeDoc whitespace_make_doc(std::shared_ptr<Vocab> vocab) {
  return [vocab](std::string_view text) {
    std::vector<std::string> words;
    std::vector<bool> spaces;
    std::string cur;
    for (char c : text) {
      if (c == ' ') {
        if (!cur.empty()) {
          words.push_back(cur);
          spaces.push_back(true);
          cur.clear();
        }
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) {
      words.push_back(cur);
      spaces.push_back(false);
    }
    return Doc(vocab, words, spaces);
  };
}

// Runs `f`, which must throw a DataError, and returns it (a test failure otherwise).
template <class F>
DataError expect_data_error(F&& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a DataError";
  return DataError("", -1, "no error");
}

inline size_t count_ents(Doc& doc) { return doc.ents().size(); }

}  // namespace trfpipe::testing
