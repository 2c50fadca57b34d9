// A plugin as a user would write one: registers an architecture from trfpipe_register_plugin().
#include <any>
#include <memory>
#include <string>
#include <utility>

#include "trfpipe/registry.hpp"

extern "C" void trfpipe_register_plugin() {
  using namespace trfpipe::registry;
  Function f;
  f.name = "plugin.Doubler.v1";
  f.args = {arg("width", "int"), arg("label", "str", "doubler")};
  f.returns = "Model";
  f.make = [](const Value& args, const std::vector<std::string>&) {
    // Built as a pair so the test program can read it without sharing a header with the plugin.
    return std::any(std::make_pair(get_str(args, "label"), 2 * get_int(args, "width")));
  };
  get("architectures").add(std::move(f));
}
