// register_core_components(): the components that need no LibTorch (they live in
// libtrfpipe_core.so), registered once per process — when the core library is loaded, or by
// register_components() in programs that link the static area libraries.
#include "components/register.hpp"

#include <mutex>

#include "components/common/registration.hpp"
#include "components/sentencizer/sentencizer.hpp"

namespace trfpipe {

void register_core_components() {
  static std::once_flag once;
  std::call_once(once, [] { register_sentencizer(); });
}

namespace {
const RegisterAtLoad register_core_at_load(register_core_components, "the rule-based components");
}  // namespace
}  // namespace trfpipe
