#include "components/common/registration.hpp"

#include <algorithm>
#include <iostream>

namespace trfpipe {

void add_function(const std::string& reg, const std::string& name,
                  std::vector<registry::ArgSpec> args, MakeFunction make,
                  const std::string& returns) {
  registry::Function f;
  f.name = name;
  f.args = std::move(args);
  f.make = [make = std::move(make)](const registry::Value& a, const ConfigPath& path) -> std::any {
    try {
      return make(a, path);
    } catch (const ConfigError&) {
      throw;
    } catch (const ValueError& e) {
      throw ConfigError(path, e.what());
    }
  };
  f.returns = returns;
  registry::get(reg).add(std::move(f));
}

int64_t optional_int(const registry::Value& args, const std::string& name) {
  return registry::is_null(args, name) ? 0 : registry::get_int(args, name);
}

RegisterAtLoad::RegisterAtLoad(void (*registration)(), const char* what) {
  try {
    registration();
  } catch (const std::exception& e) {
    // An exception escaping a static initializer would abort the process.
    std::cerr << "trfpipe: registering " << what << " failed: " << e.what() << "\n";
  }
}

void check_settings(const registry::Value& config, const std::string& name,
                    const std::string& factory, const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : config.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw ConfigError({"components", name, key},
                      "unknown setting of the " + factory + " (expected " + list + ")");
  }
}

bool bool_setting(const registry::Value& config, const std::string& name, const std::string& key) {
  const registry::Value& v = config.at(key);
  if (!v.is_json() || !v.json().is_boolean())
    throw ConfigError({"components", name, key}, "expected true or false, got " + v.describe());
  return v.json().get<bool>();
}

std::optional<std::string> optional_str_setting(const registry::Value& config,
                                                const std::string& name, const std::string& key) {
  const registry::Value& v = config.at(key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_json() || !v.json().is_string())
    throw ConfigError({"components", name, key}, "expected a string or null, got " + v.describe());
  return v.json().get<std::string>();
}

void add_placeholder_scorer(const std::string& name) {
  auto& reg = registry::get("scorers");
  if (reg.has(name)) return;
  registry::Function f;
  f.name = name;
  f.make = [name](const registry::Value&, const std::vector<std::string>&) -> std::any {
    return name;
  };
  f.returns = "Callable";
  reg.add(std::move(f));
}

Json textcat_score_weights() {
  return Json{{"cats_score", 1.0},         {"cats_score_desc", nullptr},
              {"cats_micro_p", nullptr},   {"cats_micro_r", nullptr},
              {"cats_micro_f", nullptr},   {"cats_macro_p", nullptr},
              {"cats_macro_r", nullptr},   {"cats_macro_f", nullptr},
              {"cats_macro_auc", nullptr}, {"cats_f_per_type", nullptr}};
}

Json default_hash_embed_cnn() {
  return Json{{"@architectures", "spacy.HashEmbedCNN.v2"},
              {"pretrained_vectors", nullptr},
              {"width", 96},
              {"depth", 4},
              {"embed_size", 2000},
              {"window_size", 1},
              {"maxout_pieces", 3},
              {"subword_features", true}};
}

}  // namespace trfpipe
