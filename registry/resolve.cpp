// resolve() and fill_defaults(): confection's registry.resolve / registry.fill over trfpipe's
// registries. A block with exactly one "@<registry>" key is a promise; its other keys are the
// arguments; "*" holds the positional arguments ([x.*.name] sections, in order, or a list).
#include <exception>

#include "trfpipe/error.hpp"
#include "registry/types.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe::registry {

namespace {

using Path = std::vector<std::string>;

constexpr const char* kPositional = "*";

Path child(const Path& path, const std::string& key) {
  Path out = path;
  out.push_back(key);
  return out;
}

bool is_reference_key(const std::string& key) { return !key.empty() && key[0] == '@'; }

std::string label(const Function& fn) { return "@" + fn.registry + " \"" + fn.name + "\""; }

// The "@" key of a promise block; empty when the block is not a promise. Two or more: error.
std::string reference_key(const Json& block, const Path& path) {
  std::vector<std::string> keys;
  for (auto it = block.begin(); it != block.end(); ++it) {
    if (is_reference_key(it.key())) keys.push_back(it.key());
  }
  if (keys.size() > 1) {
    std::string listed;
    for (const std::string& k : keys) listed += (listed.empty() ? "" : ", ") + k;
    throw ConfigError(path, "a block can only contain one function registry reference "
                            "(\"@registry = name\"), got " + std::to_string(keys.size()) + ": " + listed);
  }
  return keys.empty() ? std::string() : keys.front();
}

const Function& lookup(const Json& block, const std::string& key, const Path& path) {
  const Json& name = block.at(key);
  if (!name.is_string()) {
    throw ConfigError(child(path, key), "expected the name of a registered function (a string), got " + name.dump());
  }
  try {
    return get(key.substr(1)).get(name.get<std::string>());
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    throw ConfigError(path, e.what());
  }
}

const ArgSpec* find_spec(const Function& fn, const std::string& name) {
  for (const ArgSpec& spec : fn.args) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Unexpected keys and missing required arguments, before anything is built.
void check_arguments(const Json& block, const Function& fn, const Path& path) {
  for (auto it = block.begin(); it != block.end(); ++it) {
    const std::string& key = it.key();
    if (is_reference_key(key) || fn.accepts_extra_args || find_spec(fn, key)) continue;
    std::string takes;
    for (const ArgSpec& spec : fn.args) takes += (takes.empty() ? "" : ", ") + spec.name;
    throw ConfigError(child(path, key), "unexpected argument for " + label(fn) + " (it takes: " +
                                            (takes.empty() ? std::string("no arguments") : takes) + ")");
  }
  for (const ArgSpec& spec : fn.args) {
    if (spec.name == kPositional || spec.default_value || block.contains(spec.name)) continue;
    throw ConfigError(child(path, spec.name), "missing required argument of " + label(fn) +
                                                  ": expected " + (spec.type.empty() ? "any" : spec.type));
  }
}

void check_type(const ArgSpec& spec, const Value& v, const Path& path) {
  if (v.is_null() && spec.default_value && spec.default_value->is_null()) return;
  if (types::accepts(spec.type, v)) return;
  throw ConfigError(path, "expected " + spec.type + ", got " + v.describe());
}

// ---- resolve ----

Value resolve_node(const Json& node, const Path& path);

// The positional arguments: {"name": block, ...} from [x.*.name] sections, or a list.
std::vector<std::pair<Path, Value>> resolve_positionals(const Json& given, const Path& path) {
  std::vector<std::pair<Path, Value>> out;
  if (given.is_object()) {
    for (auto it = given.begin(); it != given.end(); ++it) {
      Path p = child(path, it.key());
      out.emplace_back(p, resolve_node(*it, p));
    }
  } else if (given.is_array()) {
    for (size_t i = 0; i < given.size(); ++i) {
      Path p = child(path, std::to_string(i));
      out.emplace_back(p, resolve_node(given[i], p));
    }
  } else {
    throw ConfigError(path, "positional arguments must be [x.*.name] sections or a list, got " + given.dump());
  }
  return out;
}

Value positional_list(std::vector<std::pair<Path, Value>> positionals) {
  std::vector<Value> values;
  values.reserve(positionals.size());
  for (auto& p : positionals) values.push_back(std::move(p.second));
  return Value::list(std::move(values));
}

Value resolve_promise(const Json& block, const std::string& key, const Path& path) {
  const Function& fn = lookup(block, key, path);
  check_arguments(block, fn, path);
  std::vector<std::pair<std::string, Value>> args;
  for (const ArgSpec& spec : fn.args) {
    Path p = child(path, spec.name);
    if (spec.name == kPositional) {
      std::vector<std::pair<Path, Value>> positionals;
      if (block.contains(kPositional)) positionals = resolve_positionals(block.at(kPositional), p);
      for (const auto& [element_path, value] : positionals) check_type(spec, value, element_path);
      args.emplace_back(spec.name, positional_list(std::move(positionals)));
      continue;
    }
    auto given = block.find(spec.name);
    Value v = resolve_node(given != block.end() ? *given : *spec.default_value, p);
    check_type(spec, v, p);
    args.emplace_back(spec.name, std::move(v));
  }
  // Undeclared keys reach here only when the function takes extra arguments (**kwargs).
  for (auto it = block.begin(); it != block.end(); ++it) {
    if (is_reference_key(it.key()) || find_spec(fn, it.key())) continue;
    Path p = child(path, it.key());
    if (it.key() == kPositional) {
      args.emplace_back(it.key(), positional_list(resolve_positionals(*it, p)));
    } else {
      args.emplace_back(it.key(), resolve_node(*it, p));
    }
  }
  Value section = Value::section(std::move(args));
  std::any object;
  try {
    object = fn.make(section, path);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(path, label(fn) + " failed: " + e.what());
  } catch (...) {
    throw ConfigError(path, label(fn) + " failed with an unknown exception");
  }
  return Value::from_object(std::move(object), "@" + fn.registry + " " + fn.name);
}

Value resolve_node(const Json& node, const Path& path) {
  if (node.is_object()) {
    std::string key = reference_key(node, path);
    if (!key.empty()) return resolve_promise(node, key, path);
    std::vector<std::pair<std::string, Value>> items;
    items.reserve(node.size());
    for (auto it = node.begin(); it != node.end(); ++it) {
      items.emplace_back(it.key(), resolve_node(*it, child(path, it.key())));
    }
    return Value::section(std::move(items));
  }
  if (node.is_array()) {
    std::vector<Value> elements;
    elements.reserve(node.size());
    for (size_t i = 0; i < node.size(); ++i) elements.push_back(resolve_node(node[i], child(path, std::to_string(i))));
    return Value::list(std::move(elements));
  }
  return Value::from_json(node);
}

// ---- fill ----

Json fill_node(const Json& node, const Path& path);

Json fill_promise(const Json& block, const std::string& key, const Path& path) {
  const Function& fn = lookup(block, key, path);
  check_arguments(block, fn, path);
  Json out = Json::object();
  for (auto it = block.begin(); it != block.end(); ++it) {
    out[it.key()] = is_reference_key(it.key()) ? *it : fill_node(*it, child(path, it.key()));
  }
  for (const ArgSpec& spec : fn.args) {
    if (spec.name == kPositional || block.contains(spec.name)) continue;
    out[spec.name] = fill_node(*spec.default_value, child(path, spec.name));
  }
  return out;
}

Json fill_node(const Json& node, const Path& path) {
  if (node.is_object()) {
    std::string key = reference_key(node, path);
    if (!key.empty()) return fill_promise(node, key, path);
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) out[it.key()] = fill_node(*it, child(path, it.key()));
    return out;
  }
  if (node.is_array()) {
    Json out = Json::array();
    for (size_t i = 0; i < node.size(); ++i) out.push_back(fill_node(node[i], child(path, std::to_string(i))));
    return out;
  }
  return node;
}

}  // namespace

Value resolve(const Json& tree, const std::vector<std::string>& path) { return resolve_node(tree, path); }

Json fill_defaults(const Json& tree, const std::vector<std::string>& path) { return fill_node(tree, path); }

}  // namespace trfpipe::registry
