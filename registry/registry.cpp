// Registry, the process-wide named registries, and the helpers for registration sites.
#include "trfpipe/registry.hpp"

#include <algorithm>
#include <set>

#include "registry/types.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::registry {

namespace {

std::string join(const std::vector<std::string>& names, const char* separator = ", ") {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += separator;
    out += n;
  }
  return out;
}

// spaCy's, thinc's, spacy-transformers' and curated-transformers' registry names that a
// config can refer to.
const char* const kRegistryNames[] = {
    "factories",  "architectures", "layers",   "span_getters", "annotation_setters",
    "batchers",   "optimizers",    "schedules", "readers",     "scorers",
    "loggers",    "misc",          "callbacks", "tokenizers",  "initializers",
    "losses",     "augmenters",    "vectors",   "lemmatizers", "lookups",
    "model_loaders", "ops",
};

using RegistryMap = std::map<std::string, std::unique_ptr<Registry>>;

const RegistryMap& registries() {
  // Built once, thread-safely (function-local static), on first use from any thread or from
  // another translation unit's static initialisation.
  static const RegistryMap map = [] {
    RegistryMap m;
    for (const char* name : kRegistryNames) m.emplace(name, std::make_unique<Registry>(name));
    return m;
  }();
  return map;
}

const Value& argument(const Value& args, const std::string& name) {
  if (!args.has(name)) {
    throw Error("argument '" + name + "' is missing (" +
                (args.is_section() ? "not in the argument section" : "not a section: " + args.describe()) + ")");
  }
  return args.at(name);
}

[[noreturn]] void wrong_type(const std::string& name, const char* expected, const Value& v) {
  throw Error("argument '" + name + "': expected " + expected + ", got " + v.describe());
}

}  // namespace

std::string torch_library_note() {
  const std::string error = torch_library_error();
  return error.empty() ? "" : " (the LibTorch library was not loaded: " + error + ")";
}

Registry::Registry(std::string name) : name_(std::move(name)) {}

void Registry::add(Function f) {
  if (f.name.empty()) throw Error("can't add a function without a name to registry " + name_);
  if (!f.make) throw Error("can't add '" + f.name + "' to registry " + name_ + ": it has no make function");
  std::set<std::string> seen;
  for (const ArgSpec& a : f.args) {
    if (a.name.empty()) throw Error("'" + f.name + "' in registry " + name_ + " declares an argument without a name");
    if (!seen.insert(a.name).second) {
      throw Error("'" + f.name + "' in registry " + name_ + " declares the argument '" + a.name + "' twice");
    }
    std::string problem = types::spelling_problem(a.type);
    if (!problem.empty()) {
      throw Error("'" + f.name + "' in registry " + name_ + ", argument '" + a.name + "': " + problem);
    }
  }
  f.registry = name_;
  auto fn = std::make_shared<const Function>(std::move(f));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = functions_.find(fn->name);
  if (it != functions_.end()) {
    replaced_.push_back(it->second);
    it->second = std::move(fn);
  } else {
    functions_.emplace(fn->name, std::move(fn));
  }
}

bool Registry::has(const std::string& function_name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return functions_.count(function_name) > 0;
}

const Function* Registry::find(const std::string& function_name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = functions_.find(function_name);
  return it == functions_.end() ? nullptr : it->second.get();
}

const Function& Registry::get(const std::string& function_name) const {
  const Function* f = find(function_name);
  // Not registered (yet): it may live in the LibTorch library, loaded on first use.
  if (!f && load_torch_library()) f = find(function_name);
  if (f) return *f;
  std::vector<std::string> available = names();
  // An unknown version of a known name (spacy.Tagger.v9): list that name's versions first.
  std::string versions;
  const size_t v = function_name.rfind(".v");
  if (v != std::string::npos)
    for (const auto& other : available)
      if (other.compare(0, v + 2, function_name, 0, v + 2) == 0)
        versions += (versions.empty() ? "" : ", ") + other;
  throw Error("Can't find '" + function_name + "' in registry " + name_ + "." +
              (versions.empty() ? std::string() : " Known versions: " + versions + ".") +
              " Available names: " +
              (available.empty() ? std::string("(none)") : join(available)) +
              torch_library_note());
}

std::vector<std::string> Registry::names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  out.reserve(functions_.size());
  for (const auto& entry : functions_) out.push_back(entry.first);  // std::map: sorted
  return out;
}

Registry& get(const std::string& registry_name) {
  const RegistryMap& map = registries();
  auto it = map.find(registry_name);
  if (it == map.end()) {
    throw Error("Unknown registry '" + registry_name + "'. Available registries: " + join(registry_names()));
  }
  return *it->second;
}

std::vector<std::string> registry_names() {
  std::vector<std::string> out;
  for (const auto& entry : registries()) out.push_back(entry.first);
  return out;
}

ArgSpec arg(std::string name, std::string type) {
  ArgSpec a;
  a.name = std::move(name);
  a.type = std::move(type);
  return a;
}

ArgSpec arg(std::string name, std::string type, Json default_value) {
  ArgSpec a = arg(std::move(name), std::move(type));
  a.default_value = std::move(default_value);
  return a;
}

int64_t get_int(const Value& args, const std::string& name) {
  const Value& v = argument(args, name);
  if (!v.is_json() || !v.json().is_number_integer()) wrong_type(name, "int", v);
  return v.json().get<int64_t>();
}

double get_float(const Value& args, const std::string& name) {
  const Value& v = argument(args, name);
  if (!v.is_json() || !v.json().is_number()) wrong_type(name, "float", v);
  return v.json().get<double>();
}

bool get_bool(const Value& args, const std::string& name) {
  const Value& v = argument(args, name);
  if (!v.is_json() || !v.json().is_boolean()) wrong_type(name, "bool", v);
  return v.json().get<bool>();
}

std::string get_str(const Value& args, const std::string& name) {
  const Value& v = argument(args, name);
  if (!v.is_json() || !v.json().is_string()) wrong_type(name, "str", v);
  return v.json().get<std::string>();
}

std::vector<std::string> get_str_list(const Value& args, const std::string& name) {
  const Value& v = argument(args, name);
  if (!v.is_list()) wrong_type(name, "a list of strings", v);
  std::vector<std::string> out;
  for (const Value& e : v.elements()) {
    if (!e.is_json() || !e.json().is_string()) wrong_type(name, "a list of strings", e);
    out.push_back(e.json().get<std::string>());
  }
  return out;
}

bool is_null(const Value& args, const std::string& name) { return argument(args, name).is_null(); }

}  // namespace trfpipe::registry
