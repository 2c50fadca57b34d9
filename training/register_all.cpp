// register_all(): every area's registrations, once per process; a static object runs it when
// libtrfpipe.so is loaded, so applications find the built-in factories without a call.
#include <iostream>
#include <mutex>

#include "components/register.hpp"
#include "trfpipe/trfpipe.hpp"
#include "trfpipe/training.hpp"

namespace trfpipe {

void register_all() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_components();
    register_training();  // readers, batchers, loggers, scorers
  });
}

namespace {

struct RegisterAllAtLoad {
  RegisterAllAtLoad() {
    try {
      register_all();
    } catch (const std::exception& e) {
      // An exception escaping a static initializer would abort the process.
      std::cerr << "trfpipe: registering the built-in components failed: " << e.what() << "\n";
    }
  }
};
const RegisterAllAtLoad register_all_at_load;

}  // namespace
}  // namespace trfpipe
