// The glibc malloc settings applied when the models library is loaded, and their opt-out.
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "models/malloc_tuning.hpp"

namespace trfpipe::models {
namespace {

constexpr size_t kBuffer = 64u << 20;  // above glibc's largest dynamic mmap threshold (32 MiB)

// This process: the state matches TRFPIPE_MALLOC_TUNING, and glibc behaves accordingly for a
// large buffer (kept in the heap when on, its own mmap when off). Also run in child processes
// by the next test, with the variable set.
TEST(MallocTuning, MatchesEnvironmentAndGlibcBehaviour) {
  const char* env = std::getenv("TRFPIPE_MALLOC_TUNING");
  const bool opted_out = env != nullptr && std::strcmp(env, "0") == 0;
  const MallocTuning& t = malloc_tuning();
  ASSERT_EQ(t.active, !opted_out) << t.description;
  EXPECT_FALSE(t.description.empty());

  const struct mallinfo2 before = ::mallinfo2();
  char* p = static_cast<char*>(std::malloc(kBuffer));
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, kBuffer);
  const struct mallinfo2 during = ::mallinfo2();
  const size_t mmapped = during.hblkhd - before.hblkhd;
  std::free(p);
  const struct mallinfo2 after = ::mallinfo2();
  if (t.active) {
    EXPECT_EQ(mmapped, 0u) << "the buffer got its own mmap although the tuning is on";
    EXPECT_GE(after.arena, kBuffer) << "the heap was trimmed after free although the tuning is on";
  } else {
    EXPECT_GE(mmapped, kBuffer) << "glibc's default should mmap a 64 MiB buffer";
  }
  std::printf("malloc tuning: %s\n", t.description.c_str());
}

// A fresh process with TRFPIPE_MALLOC_TUNING=0 keeps glibc's defaults, one with =1 tunes.
TEST(MallocTuning, EnvironmentOptOutInAFreshProcess) {
  std::array<char, 4096> self{};
  const ssize_t n = ::readlink("/proc/self/exe", self.data(), self.size() - 1);
  ASSERT_GT(n, 0);
  for (const char* value : {"0", "1"}) {
    const std::string cmd = std::string("TRFPIPE_MALLOC_TUNING=") + value + " '" + self.data() +
                            "' --gtest_filter=MallocTuning.MatchesEnvironmentAndGlibcBehaviour 2>&1";
    FILE* f = ::popen(cmd.c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string out;
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), buf.size(), f)) out += buf.data();
    const int status = ::pclose(f);
    EXPECT_EQ(status, 0) << "TRFPIPE_MALLOC_TUNING=" << value << ":\n" << out;
    const std::string expected = value[0] == '0' ? "malloc tuning: off" : "malloc tuning: on";
    EXPECT_NE(out.find(expected), std::string::npos) << out;
    EXPECT_NE(out.find("[  PASSED  ] 1 test"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace trfpipe::models
