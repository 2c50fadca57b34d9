// A one-line progress indicator on stderr for long runs (`trfpipe apply`): docs, words, their
// rates and, when the input's size is known, a bar with the ETA. It draws only when stderr is a
// terminal (a log file or a pipe stays clean) and at most five times a second.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace trfpipe::cli {

class Progress {
 public:
  // total_bytes: the input's size (0 = unknown, e.g. stdin: no bar, no ETA). `enabled` false
  // (--quiet) keeps it silent whatever stderr is.
  Progress(uint64_t total_bytes, bool enabled);
  ~Progress();  // ends the line it drew
  // Counts one finished doc of `words` tokens that came from `bytes` bytes of input.
  void add(uint64_t words, uint64_t bytes);
  void finish();  // draws the final state and ends the line

 private:
  void draw(bool final);
  bool active_;
  uint64_t total_bytes_, docs_ = 0, words_ = 0, bytes_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1,234,567"
std::string thousands(uint64_t n);

}  // namespace trfpipe::cli
