// load_plugin(): dlopen a shared object and run its trfpipe_register_plugin().
#include <dlfcn.h>
#include <sys/stat.h>

#include <exception>

#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe::registry {

namespace {

constexpr const char* kEntryPoint = "trfpipe_register_plugin";

std::string last_dl_error() {
  const char* text = dlerror();
  return text ? std::string(text) : std::string("unknown error");
}

}  // namespace

void load_plugin(const std::string& path) {
  struct stat info {};
  if (path.empty() || stat(path.c_str(), &info) != 0) {
    throw Error("plugin '" + path + "' not found");
  }
  if (!S_ISREG(info.st_mode)) throw Error("plugin '" + path + "' is not a regular file");
  // Without a slash, dlopen would search the library path instead of the current directory.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  dlerror();
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (handle == nullptr) {
    throw Error("can't load plugin '" + path + "' (not a loadable shared object?): " + last_dl_error());
  }
  dlerror();
  void* symbol = dlsym(handle, kEntryPoint);
  if (symbol == nullptr) {
    std::string why = last_dl_error();
    dlclose(handle);
    throw Error("plugin '" + path + "' has no function " + kEntryPoint +
                " (define it as extern \"C\" void " + kEntryPoint + "()): " + why);
  }
  using RegisterFn = void (*)();
  auto register_plugin = reinterpret_cast<RegisterFn>(symbol);
  // The handle stays open for the life of the process: the registered functions live in it.
  try {
    register_plugin();
  } catch (const std::exception& e) {
    throw Error("plugin '" + path + "': " + kEntryPoint + " failed: " + e.what());
  } catch (...) {
    throw Error("plugin '" + path + "': " + kEntryPoint + " failed with an unknown exception");
  }
}

}  // namespace trfpipe::registry
