// What every component folder's registration needs: adding a function to a registry with
// errors that name the config path, reading a sub-model argument of the right role, the model of
// a factory's config, and spaCy's default tok2vec block.
#pragma once
#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

using ConfigPath = std::vector<std::string>;
using MakeFunction = std::function<std::any(const registry::Value& args, const ConfigPath& path)>;

// Adds `name` to registry `reg` (architectures, layers, span_getters ...). A ValueError thrown by
// `make` becomes a ConfigError naming the block's path.
void add_function(const std::string& reg, const std::string& name,
                  std::vector<registry::ArgSpec> args, MakeFunction make,
                  const std::string& returns);

// Argument `name` of a block, resolved to a model of role T (std::shared_ptr<T> in the std::any);
// ConfigError naming path -> name otherwise.
template <class T>
std::shared_ptr<T> model_arg(const registry::Value& args, const std::string& name,
                             const ConfigPath& path) {
  const registry::Value& v = args.at(name);
  if (v.is_object())
    if (const auto* p = std::any_cast<std::shared_ptr<T>>(&v.object())) return *p;
  ConfigPath p = path;
  p.push_back(name);
  throw ConfigError(p, "expected a model of the right kind, got " + v.describe());
}

// An int argument that may be null (nO = null): 0 for null.
int64_t optional_int(const registry::Value& args, const std::string& name);

// The `model` of component `component`'s resolved config, of role T; ConfigError naming
// components -> component -> model otherwise.
template <class T>
std::shared_ptr<T> component_model(const registry::Value& config, const std::string& component) {
  const registry::Value& v = config.at("model");
  if (v.is_object())
    if (const auto* p = std::any_cast<std::shared_ptr<T>>(&v.object())) return *p;
  throw ConfigError(
      {"components", component, "model"},
      "the model (" + v.describe() + ") is not an architecture this component can use");
}

// Refuses a key of component `name`'s resolved config block that its factory does not take
// (spaCy validates component settings): ConfigError naming components -> name -> key.
void check_settings(const registry::Value& config, const std::string& name,
                    const std::string& factory, const std::vector<std::string>& allowed);
// A true/false setting of component `name`; ConfigError naming components -> name -> key.
bool bool_setting(const registry::Value& config, const std::string& name, const std::string& key);
// A string-or-null setting (nullopt for null); ConfigError naming the key otherwise.
std::optional<std::string> optional_str_setting(const registry::Value& config,
                                                const std::string& name, const std::string& key);
// A setting made by a registered function (a FuzzyCompare, a SpansFilter ...): ConfigError
// naming the key and `expected` when it is something else.
template <class T>
T object_setting(const registry::Value& config, const std::string& name, const std::string& key,
                 const std::string& expected) {
  const registry::Value& v = config.at(key);
  if (v.is_object())
    if (const T* p = std::any_cast<T>(&v.object())) return *p;
  throw ConfigError({"components", name, key}, "expected " + expected + ", got " + v.describe());
}

// Registers scorer `name` as a placeholder unless it exists: the training area registers the real
// scorers; this keeps the components' default configs resolvable in a process without them (the
// components do not use the scorer object).
void add_placeholder_scorer(const std::string& name);

// Runs `registration` when the library holding this object is loaded (a static object's
// constructor): an exception is printed instead of aborting the process.
struct RegisterAtLoad {
  RegisterAtLoad(void (*registration)(), const char* what);
};

// spaCy's default score weights of textcat / textcat_multilabel (cats_score 1.0, the other
// cats_* keys reported but not weighted), shared with the 2019 trf_textcat.
Json textcat_score_weights();

// spaCy's default tok2vec block (HashEmbedCNN.v2 width 96, depth 4, embed_size 2000,
// window_size 1, maxout_pieces 3, subword_features true) of tok2vec, tagger and ner.
Json default_hash_embed_cnn();

}  // namespace trfpipe
