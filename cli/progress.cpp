#include "cli/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace trfpipe::cli {

std::string thousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

namespace {

std::string duration(double seconds) {
  const long s = long(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

}  // namespace

Progress::Progress(uint64_t total_bytes, bool enabled)
    : active_(enabled && isatty(STDERR_FILENO)),
      total_bytes_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::add(uint64_t words, uint64_t bytes) {
  ++docs_;
  words_ += words;
  bytes_ += bytes;
  if (!active_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ >= std::chrono::milliseconds(200)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (!active_) return;
  draw(true);
  std::cerr << "\n" << std::flush;
  active_ = false;
}

void Progress::draw(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? docs_ / elapsed : 0, word_rate = elapsed > 0 ? words_ / elapsed : 0;
  std::string line = thousands(docs_) + " docs, " + thousands(words_) + " words | " +
                     thousands(uint64_t(rate)) + " docs/s, " + thousands(uint64_t(word_rate)) +
                     " words/s";
  if (total_bytes_ > 0) {
    const double done = std::min(1.0, double(bytes_) / double(total_bytes_));
    const int width = 20, filled = int(done * width);
    line = "[" + std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.') + "] " +
           std::to_string(int(done * 100)) + "% | " + line;
    if (!final && done > 0) line += " | ETA " + duration(elapsed * (1 - done) / done);
  }
  if (final) line += " | " + duration(elapsed);
  std::cerr << "\r\033[K" << line << std::flush;
}

}  // namespace trfpipe::cli
