// The LibTorch library (libtrfpipe.so) loaded on first use by the core (libtrfpipe_core.so): a
// lookup of a registered function or factory that is not there loads it once and looks again.
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "trfpipe/registry.hpp"

namespace trfpipe::registry {

namespace {

struct TorchLibrary {
  // Recursive: loading runs the library's registrations, which look names up again on this
  // thread; other threads wait until it is loaded.
  std::recursive_mutex mutex;
  bool loaded = false;   // its registrations ran (loaded here, or linked by the program)
  bool loading = false;
  bool tried = false;    // a failed attempt is not repeated at every lookup
  std::string error;
};

TorchLibrary& torch_library() {
  static TorchLibrary state;
  return state;
}

// libtrfpipe.so beside the shared core when this code runs inside libtrfpipe_core.so; "" in a
// program built from the static area libraries (the tests of one area), which has none to load.
std::string torch_library_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&torch_library_path), &info) == 0 || !info.dli_fname)
    return "";
  const std::filesystem::path self(info.dli_fname);
  if (self.filename().string().rfind("libtrfpipe_core.so", 0) != 0) return "";
  return (self.parent_path() / "libtrfpipe.so").string();
}

// LibTorch's OpenMP runtime (libgomp) lets idle team threads spin for ~300,000 iterations before
// sleeping. On a machine whose cores other processes also use, the spinning threads take the
// cores from the thread with work: a 2-thread encoder forward ran 10-25x slower than with sleeping
// threads on the loaded 2-core machine (docs/threads.md). libgomp reads its settings once, when
// it is loaded, so a short spin is set here, before LibTorch (and with it libgomp) is loaded,
// unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT, or libgomp is already in the process.
constexpr const char* kGompSpinCount = "1000";

void default_openmp_wait() {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (void* gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD)) {
    dlclose(gomp);  // already loaded (and configured): too late to change
    return;
  }
  setenv("GOMP_SPINCOUNT", kGompSpinCount, 0);
}

}  // namespace

bool load_torch_library() {
  TorchLibrary& lib = torch_library();
  std::lock_guard<std::recursive_mutex> lock(lib.mutex);
  if (lib.loaded) return true;
  if (lib.loading || lib.tried) return false;
  lib.tried = true;
  const std::string path = torch_library_path();
  if (path.empty()) return false;  // not an error: everything the program has is registered
  lib.loading = true;
  default_openmp_wait();
  dlerror();
  // RTLD_GLOBAL: as if the program had linked it (plugins loaded later see the same symbols).
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  lib.loading = false;
  if (handle == nullptr) {
    const char* why = dlerror();
    lib.error = "can't load " + path + ": " + (why ? why : "unknown error");
    return false;
  }
  lib.loaded = true;  // the handle stays open: the registered functions live in it
  return true;
}

bool torch_library_loaded() {
  TorchLibrary& lib = torch_library();
  std::lock_guard<std::recursive_mutex> lock(lib.mutex);
  return lib.loaded;
}

std::string torch_library_error() {
  TorchLibrary& lib = torch_library();
  std::lock_guard<std::recursive_mutex> lock(lib.mutex);
  return lib.error;
}

void mark_torch_library_loaded() {
  TorchLibrary& lib = torch_library();
  std::lock_guard<std::recursive_mutex> lock(lib.mutex);
  lib.loaded = true;
}

}  // namespace trfpipe::registry
