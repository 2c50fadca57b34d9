// The LibTorch library (libtrfpipe.so) loaded on first use by the core (libtrfpipe_core.so): a
// lookup of a registered function or factory that is not there loads it once and looks again.
#include <dlfcn.h>

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
