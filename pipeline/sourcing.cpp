// Sourced components and Language::replace_listeners (spaCy's nlp.replace_listeners).
#include "pipeline/sourcing.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/text_util.hpp"
#include "pipeline/file_io.hpp"
#include "pipeline/language_impl.hpp"
#include "trfpipe/error.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

namespace pipeline {

namespace {

// The node at a dotted path inside a block, or nullptr.
Json* node_at(Json& block, const std::string& path) {
  Json* node = &block;
  for (std::string_view part : split_on(path, '.')) {
    const std::string key(part);
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return node;
}

void collect_listener_paths(const Json& node, const std::string& prefix,
                            const std::vector<std::string>& architectures,
                            const std::string& upstream, std::vector<std::string>& out) {
  if (!node.is_object()) return;
  const auto arch = node.find("@architectures");
  if (arch != node.end() && arch->is_string() &&
      std::find(architectures.begin(), architectures.end(), arch->get<std::string>()) !=
          architectures.end()) {
    const std::string target = node.value("upstream", std::string("*"));
    if (target == "*" || target == upstream) out.push_back(prefix);
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it)
    collect_listener_paths(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(),
                           architectures, upstream, out);
}

std::string quoted(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", '" : "'") + v[i] + "'";
  return out + "]";
}

// A listener at `path` ("model.tok2vec") keeps its parameters under "tok2vec." in the component's
// weights: components collect their model's parameters without a prefix.
std::string parameter_prefix(const std::string& path) {
  const std::string model = "model.";
  if (path.compare(0, model.size(), model) != 0 || path.size() == model.size())
    throw ValueError("replace_listeners: the listener path '" + path +
                     "' must be inside the component's model (\"model.tok2vec\")");
  return path.substr(model.size()) + ".";
}

}  // namespace

bool is_sourced_block(const Json& section) {
  return section.is_object() && section.contains("source") && !section.contains("factory");
}

std::vector<std::string> sourced_components(const Json& config) {
  std::vector<std::string> out;
  if (!config.is_object() || !config.contains("components") || !config["components"].is_object())
    return out;
  for (auto it = config["components"].begin(); it != config["components"].end(); ++it)
    if (is_sourced_block(it.value())) out.push_back(it.key());
  return out;
}

std::vector<std::string> listener_paths(const Json& block,
                                        const std::vector<std::string>& listener_architectures,
                                        const std::string& upstream_name) {
  std::vector<std::string> out;
  if (block.is_object())
    for (auto it = block.begin(); it != block.end(); ++it)
      collect_listener_paths(it.value(), it.key(), listener_architectures, upstream_name, out);
  return out;
}

PipelineSources::~PipelineSources() {
  for (const fs::path& dir : temp_dirs_) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

Language& PipelineSources::load(const std::string& path, const std::vector<std::string>& at) {
  auto it = loaded_.find(path);
  if (it != loaded_.end()) return *it->second;
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    throw ConfigError(at, "'" + path + "' is not a pipeline folder (" +
                              (fs::exists(path, ec) ? "not a directory" : "it does not exist") +
                              "): `source` names the folder of a trained pipeline, e.g. "
                              "training/model-best");
  if (!fs::exists(fs::path(path) / "config.cfg", ec))
    throw ConfigError(at, "'" + path + "' is not a pipeline folder: it has no config.cfg "
                          "(`source` names the folder of a trained pipeline, e.g. "
                          "training/model-best)");
  std::unique_ptr<Language> nlp;
  try {
    nlp = Language::load(path);
  } catch (const Error& e) {
    throw ConfigError(at, "cannot load the pipeline '" + path + "': " + e.what());
  }
  return *(loaded_[path] = std::move(nlp));
}

SourcedComponent PipelineSources::resolve(const std::string& name, const Json& block,
                                          Vocab& vocab) {
  const std::vector<std::string> base{"components", name};
  auto at = [&](const std::string& key) {
    std::vector<std::string> p = base;
    p.push_back(key);
    return p;
  };
  static const std::set<std::string> allowed = {"source", "component", "replace_listeners"};
  for (auto it = block.begin(); it != block.end(); ++it)
    if (!allowed.count(it.key()))
      throw ConfigError(at(it.key()),
                        "a sourced component takes its settings from its source pipeline: "
                        "beside `source` only `component` and `replace_listeners` may be set");
  const Json& source = block["source"];
  if (!source.is_string() || source.get<std::string>().empty())
    throw ConfigError(at("source"), "expected the path of a trained pipeline, got " + source.dump());
  const std::string path = source.get<std::string>();
  std::string source_name = name;
  if (block.contains("component")) {
    if (!block["component"].is_string())
      throw ConfigError(at("component"), "expected a component name, got " + block["component"].dump());
    source_name = block["component"].get<std::string>();
  }
  std::vector<std::string> replace;
  if (block.contains("replace_listeners")) {
    const Json& r = block["replace_listeners"];
    if (!r.is_array())
      throw ConfigError(at("replace_listeners"),
                        "expected a list of listener paths (\"model.tok2vec\"), got " + r.dump());
    for (const Json& p : r) {
      if (!p.is_string())
        throw ConfigError(at("replace_listeners"),
                          "expected a list of listener paths (\"model.tok2vec\"), got " + r.dump());
      replace.push_back(p.get<std::string>());
    }
  }

  Language& src = load(path, at("source"));
  if (!src.has_pipe(source_name))
    throw ConfigError(block.contains("component") ? at("component") : base,
                      "the pipeline '" + path + "' has no component '" + source_name +
                          "' (its components: " + join_names(src.component_names()) +
                          "); set `component` to the name it has there");
  // spaCy loads the source with the new pipeline's vocab; here its strings are added to it.
  for (const std::string& s : src.vocab().strings().sorted()) vocab.strings().add(s);

  SourcedComponent out;
  if (replace.empty()) {
    out.block = src.config()["components"][source_name];
    out.state_dir = (fs::path(path) / source_name).string();
    return out;
  }
  // Every path must be a listener of an upstream of the source pipeline.
  const Json source_block = src.config()["components"][source_name];
  std::string upstream;
  for (const std::string& candidate : src.component_names()) {
    if (candidate == source_name) continue;
    const FactoryMeta& meta = get_factory(src.get_pipe(candidate).factory_name());
    if (meta.listener_architectures.empty()) continue;
    if (!listener_paths(source_block, meta.listener_architectures, candidate).empty()) {
      upstream = candidate;
      break;
    }
  }
  if (upstream.empty())
    throw ConfigError(at("replace_listeners"),
                      "component '" + source_name + "' of '" + path +
                          "' does not listen to a tok2vec or transformer there: it has no "
                          "listeners to replace");
  try {
    src.replace_listeners(upstream, source_name, replace);
  } catch (const ValueError& e) {
    throw ConfigError(at("replace_listeners"), e.what());
  }
  out.block = src.config()["components"][source_name];
  const fs::path dir = make_temp_dir(fs::temp_directory_path(), "trfpipe-sourced-");
  temp_dirs_.push_back(dir);
  src.get_pipe(source_name).to_disk((dir / "state").string());
  out.state_dir = (dir / "state").string();
  loaded_.erase(path);  // its listeners changed (spaCy drops it from source_nlps too)
  return out;
}

}  // namespace pipeline

// ------------------------------------------------------------------ Language::replace_listeners

void Language::replace_listeners(const std::string& tok2vec_name, const std::string& pipe_name,
                                 const std::vector<std::string>& listeners) {
  if (!has_pipe(tok2vec_name))
    throw ValueError("[E889] Can't replace '" + tok2vec_name + "' listeners of component '" +
                     pipe_name + "' because '" + tok2vec_name +
                     "' is not in the pipeline. Available components: " +
                     pipeline::join_names(component_names()));
  const size_t pipe_index = impl_->checked_index(pipe_name);
  Impl::Entry& up = impl_->pipes[impl_->checked_index(tok2vec_name)];
  const FactoryMeta& meta = get_factory(up.pipe->factory_name());
  if (meta.listener_architectures.empty() || !meta.replace_listener_cfg ||
      !meta.copy_into_listener_folder)
    throw ValueError("[E888] Can't replace listeners for '" + tok2vec_name + "' (" +
                     up.pipe->factory_name() +
                     "): invalid upstream component that doesn't seem to support listeners. "
                     "Expected Tok2Vec or Transformer component.");
  Impl::Entry& entry = impl_->pipes[pipe_index];
  const std::vector<std::string> found =
      pipeline::listener_paths(entry.block, meta.listener_architectures, tok2vec_name);
  if (found.empty())
    throw ValueError("Can't replace listeners of '" + pipe_name + "': it does not listen to '" +
                     tok2vec_name + "'");
  Json new_block = entry.block;
  for (const std::string& path : listeners) {
    if (!pipeline::node_at(new_block, path))
      throw ValueError("[E886] Can't replace " + pipe_name + " -> " + tok2vec_name +
                       " listeners: path '" + path + "' not found in config for component '" +
                       pipe_name + "'.");
    if (std::find(found.begin(), found.end(), path) == found.end())
      throw ValueError("Can't replace " + pipe_name + " -> " + tok2vec_name + " listeners: '" +
                       path + "' is not a listener of '" + tok2vec_name + "' (listeners: " +
                       pipeline::quoted(found) + ")");
  }
  if (listeners.size() != found.size())
    throw ValueError("[E887] Can't replace " + pipe_name + " -> " + tok2vec_name +
                     " listeners: the paths to replace (" + pipeline::quoted(listeners) +
                     ") don't match the available listeners in the model (" +
                     std::to_string(found.size()) + ").");

  // The component's state plus the upstream's, written where the rebuilt component reads it.
  const fs::path tmp = make_temp_dir(fs::temp_directory_path(), "trfpipe-replace-listeners-");
  struct Remove {
    fs::path dir;
    ~Remove() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove{tmp};
  const std::string state = (tmp / "state").string();
  entry.pipe->to_disk(state);
  const Json upstream_model = up.block.value("model", Json::object());
  for (const std::string& path : listeners) {
    Json* node = pipeline::node_at(new_block, path);
    *node = meta.replace_listener_cfg(upstream_model, *node);
    meta.copy_into_listener_folder(*up.pipe, state, pipeline::parameter_prefix(path));
  }
  Json settings = new_block;
  settings.erase("factory");
  Impl::Entry rebuilt = impl_->make_entry(*this, entry.pipe->factory_name(), pipe_name, settings);
  rebuilt.pipe->from_disk(state);
  rebuilt.enabled = entry.enabled;
  rebuilt.sourced = entry.sourced;
  impl_->pipes[pipe_index] = std::move(rebuilt);
  link_components();
}

std::vector<std::string> Language::sourced_components() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->pipes)
    if (e.sourced) out.push_back(e.pipe->name());
  return out;
}

}  // namespace trfpipe
