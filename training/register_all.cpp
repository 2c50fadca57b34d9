// register_all(): every area's registrations, once per process; a static object runs it when
// libtrfpipe.so is loaded (linked by the program, or loaded by the core on first use), so
// applications find the built-in factories without a call.
#include <mutex>

#include "components/common/registration.hpp"
#include "components/register.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/trfpipe.hpp"
#include "trfpipe/training.hpp"

namespace trfpipe {

void register_all() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_components();
    register_training();  // readers, batchers, loggers, scorers
    registry::mark_torch_library_loaded();
  });
}

namespace {
const RegisterAtLoad register_all_at_load(register_all, "the built-in components");
}  // namespace
}  // namespace trfpipe
