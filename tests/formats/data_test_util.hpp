// Helpers for the data-format tests: shared data paths, a whitespace tokenizer; temp folders are
// common/temp_dir.hpp's TempDir.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "common/temp_dir.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::testing {

inline std::string shared_path(const std::string& rel) {
  return std::string(TRFPIPE_SHARED_DIR) + "/" + rel;
}

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
