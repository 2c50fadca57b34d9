// Mutated real configs (fixed seed): every mutation either parses or throws a trfpipe::Error; what
// parses may fail to interpolate, write or convert only with a trfpipe::Error; never another
// exception, never a crash, and the whole loop stays well under 20 seconds.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>

#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

namespace fs = std::filesystem;
using trfpipe::Json;

namespace {

std::vector<std::string> load_sources() {
  std::vector<std::string> out;
  std::vector<fs::path> paths;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(TRFPIPE_SHARED_DIR) / "data" / "configs", ec)) {
    if (e.path().extension() == ".cfg") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::string cur;
  for (char c : s) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  lines.push_back(cur);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

std::string mutate(std::string text, std::mt19937& rng) {
  static const std::vector<std::string> pieces = {
      "[", "]", "{", "}", "$", "\"", "=", ":", "#", ";", ".", "\n", " ", "*", ",", "'", "0", "9", "-", "e",
      "\t", "\\", "@", "${paths.train}", "${", "$$", "[x]\n", "\n  ", "true", "1.5", "\"5\"", "\xc3\xa9",
      "\xff", std::string(1, '\0'), "${a}", "[a.*.b]\n"};
  int steps = 1 + static_cast<int>(rng() % 4);
  for (int s = 0; s < steps; ++s) {
    if (text.empty()) text = "x";
    size_t i = rng() % text.size();
    switch (rng() % 7) {
      case 0: text.erase(i, 1); break;
      case 1: text.insert(i, pieces[rng() % pieces.size()]); break;
      case 2: text.insert(i, 1, text[rng() % text.size()]); break;  // duplicate a character
      case 3: {
        auto lines = split_lines(text);
        size_t j = rng() % lines.size();
        lines.insert(lines.begin() + static_cast<long>(j), lines[j]);
        text = join_lines(lines);
        break;
      }
      case 4: {
        auto lines = split_lines(text);
        lines.erase(lines.begin() + static_cast<long>(rng() % lines.size()));
        text = join_lines(lines);
        break;
      }
      case 5: {
        size_t p = text.find_first_of("[]", i);
        if (p != std::string::npos) text[p] = text[p] == '[' ? ']' : '[';
        break;
      }
      default: {
        size_t p = text.find_first_of("[]{}", i);
        if (p != std::string::npos) text[p] = "{}[]"[rng() % 4];
        break;
      }
    }
  }
  return text;
}

TEST(ConfigFuzz, MutatedConfigsOnlyEverThrowTrfpipeErrors) {
  auto sources = load_sources();
  ASSERT_GE(sources.size(), 20u);
  std::mt19937 rng(20240611);
  const int kMutations = 3000;
  int parsed = 0, interpolated = 0, failures = 0;
  auto start = std::chrono::steady_clock::now();
  // A slow (sanitizer, debug, loaded) build stops early so the test stays under 20 s; the
  // sequence is fixed, so it then runs a prefix of the same mutations.
  const double kBudgetSeconds = 15.0;
  int done = 0;
  for (int n = 0; n < kMutations && failures < 5; ++n, ++done) {
    if (n % 50 == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > kBudgetSeconds) {
      break;
    }
    std::string text = mutate(sources[rng() % sources.size()], rng);
    auto step = [&](const char* what, const std::function<void()>& f) -> bool {
      try {
        f();
        return true;
      } catch (const trfpipe::Error&) {
        return false;
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << what << " threw a non-trfpipe exception: " << e.what() << "\n--- input ---\n" << text;
        return false;
      }
    };
    Json raw;
    if (!step("parse_cfg", [&] { raw = trfpipe::parse_cfg(text, "fuzz.cfg"); })) continue;
    ++parsed;
    if (step("interpolate", [&] { trfpipe::interpolate(raw); })) ++interpolated;
    step("load_config", [&] { trfpipe::load_config(text, {{"paths.train", "x"}}); });
    step("write_cfg", [&] { trfpipe::parse_cfg(trfpipe::write_cfg(raw)); });
    step("toml", [&] { trfpipe::parse_toml(trfpipe::write_toml(raw)); });
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 20.0);
  EXPECT_GE(done, 500) << "too few mutations ran in the time budget";
  // The mutations must exercise both sides: some parse, some fail.
  EXPECT_GT(parsed, done / 10);
  EXPECT_LT(parsed, done);
  EXPECT_GT(interpolated, 0);
  std::cout << "[ fuzz ] " << parsed << " of " << done << " mutations parsed, " << interpolated
            << " interpolated, " << seconds << " s\n";
}

}  // namespace
