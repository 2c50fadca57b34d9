// Test fixtures of the resolver: registered functions that record what they were given.
#pragma once
#include <any>
#include <memory>
#include <string>
#include <vector>

#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe::registry::testing {

// What a fixture function builds: its own name and the argument section it received.
struct Made {
  std::string name;
  Value args;
  std::vector<std::string> path;
};
using MadePtr = std::shared_ptr<const Made>;

inline void define(const std::string& registry_name, const std::string& function_name,
                   std::vector<ArgSpec> args, bool accepts_extra_args = false) {
  Function f;
  f.name = function_name;
  f.args = std::move(args);
  f.accepts_extra_args = accepts_extra_args;
  f.make = [function_name](const Value& a, const std::vector<std::string>& path) {
    return std::any(std::make_shared<const Made>(Made{function_name, a, path}));
  };
  get(registry_name).add(std::move(f));
}

inline MadePtr made(const Value& v) { return v.as<MadePtr>(); }

// The keys of a JSON object, in order.
inline std::vector<std::string> keys(const Json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

// The ConfigError a call throws; fails the test when it throws nothing or something else.
template <class F>
ConfigError config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  throw std::logic_error("expected a ConfigError, none was thrown");
}

}  // namespace trfpipe::registry::testing
