// Why: glibc serves every allocation above M_MMAP_THRESHOLD (dynamic, at most 32 MiB) with its own
// mmap and returns it with munmap on free, and trims the heap top above M_TRIM_THRESHOLD. An
// encoder forward allocates and frees tens of large activation buffers (8 x 512 x 3072 floats is
// 48 MiB), so every forward paid mmap/munmap plus a page fault per 4 KiB page on first touch:
// bert-base 8 x 512 spent more time in the kernel than in GEMMs (sys 36 s of the run). Keeping
// freed buffers in the heap makes the next forward reuse warm pages (2.8x tokens/s there) at the
// price of a higher resident set (the largest forward's working set stays mapped).
// `bench/encoder_bench --malloc-ab` measures both settings side by side.
#include "models/malloc_tuning.hpp"

#include <malloc.h>

#include <climits>
#include <cstdlib>
#include <cstring>

namespace trfpipe::models {

namespace {

// The user's own GLIBC_TUNABLES for a setting win over ours.
bool tunable_set_by_user(const char* name) {
  const char* t = std::getenv("GLIBC_TUNABLES");
  return t != nullptr && std::strstr(t, name) != nullptr;
}

MallocTuning apply_malloc_tuning() {
  MallocTuning r;
  const char* env = std::getenv("TRFPIPE_MALLOC_TUNING");
  if (env != nullptr && std::strcmp(env, "0") == 0) {
    r.description = "off (TRFPIPE_MALLOC_TUNING=0): glibc defaults";
    return r;
  }
  // INT_MAX (2 GiB) is the largest value mallopt takes; glibc >= 2.35 accepts it (older ones cap
  // the mmap threshold at 32 MiB and refuse: then the defaults stay and we say so).
  constexpr int kNever = INT_MAX;
  std::string set;
  bool ok = true;
  if (!tunable_set_by_user("glibc.malloc.mmap_threshold")) {
    ok = mallopt(M_MMAP_THRESHOLD, kNever) == 1 && ok;
    set += "M_MMAP_THRESHOLD=2GiB ";
  }
  if (!tunable_set_by_user("glibc.malloc.trim_threshold")) {
    ok = mallopt(M_TRIM_THRESHOLD, kNever) == 1 && ok;
    set += "M_TRIM_THRESHOLD=2GiB ";
  }
  r.active = ok && !set.empty();
  if (set.empty())
    r.description = "left to GLIBC_TUNABLES";
  else
    r.description = ok ? "on: " + set.substr(0, set.size() - 1) + " (TRFPIPE_MALLOC_TUNING=0 turns it off)"
                       : "refused by this glibc: defaults";
  return r;
}

}  // namespace

const MallocTuning& malloc_tuning() {
  static const MallocTuning tuning = apply_malloc_tuning();
  return tuning;
}

namespace {
// Applied when the library is loaded, before its users allocate tensors.
const bool applied_at_load = (malloc_tuning(), true);
}  // namespace

}  // namespace trfpipe::models
