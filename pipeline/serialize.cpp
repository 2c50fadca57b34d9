// Language::from_config, to_disk and load: spaCy's pipeline directory layout.
//
//   config.cfg            the full config (config area's writer)
//   meta.json             spaCy's auto fields (lang, name, version, ..., pipeline, components)
//   vocab/strings.json    sorted JSON list of the StringStore's strings
//   vocab/vectors, key2row, vectors.cfg   the static vectors table (trfpipe/vectors.hpp), when
//                         the vocab has one; mapped read-only on load
//   tokenizer             JSON of RuleTokenizer::to_json() (spaCy writes msgpack here)
//   <component>...        whatever each component's to_disk(<dir>/<name>) writes
//
// to_disk writes into `<path>.tmp-XXXXXX` beside the target and exchanges it with `path`
// atomically (replace_dir), so an interrupted save never leaves a half-written pipeline, or none,
// at `path`; a write error (a full disk) leaves the previous pipeline untouched.
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "pipeline/file_io.hpp"
#include "pipeline/language_impl.hpp"
#include "pipeline/sourcing.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/vectors.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

namespace {

void write_file(const fs::path& path, const std::string& content) {
  write_file_bytes(path.string(), content);
}

std::vector<std::string> string_list(const Json& v, const std::vector<std::string>& path) {
  if (v.is_null()) return {};
  if (!v.is_array()) throw ConfigError(path, "expected a list of strings, got " + v.dump());
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) throw ConfigError(path, "expected a list of strings, got " + v.dump());
    out.push_back(e.get<std::string>());
  }
  return out;
}

void check_promise(const Json& nlp, const char* key, const char* registry, const char* name) {
  if (!nlp.contains(key) || nlp[key].is_null()) return;
  const Json& v = nlp[key];
  if (!v.is_object() || !v.contains(registry) || v[registry] != name)
    throw ConfigError({"nlp", key}, std::string("only {\"") + registry + "\": \"" + name +
                                        "\"} is supported, got " + v.dump());
}

// The vectors name from a pipeline's meta.json (spaCy keeps it there, not in vectors.cfg).
void set_vectors_name_from_meta(Vectors& vectors, const Json& meta) {
  if (meta.is_object() && meta.contains("vectors") && meta["vectors"].is_object() &&
      meta["vectors"].contains("name") && meta["vectors"]["name"].is_string())
    vectors.set_name(meta["vectors"]["name"].get<std::string>());
}

void add_strings_file(StringStore& strings, const fs::path& path) {
  Json list = read_json_file(path.string());
  if (!list.is_array()) throw DataError(path.string(), -1, "expected a list of strings");
  for (const auto& s : list) {
    if (!s.is_string()) throw DataError(path.string(), -1, "expected a list of strings");
    strings.add(s.get<std::string>());
  }
}

}  // namespace

void pipeline::load_vectors_into_vocab(Vocab& vocab, const std::string& path) {
  const fs::path dir(path);
  if (!Vectors::exists_in((dir / "vocab").string()))
    throw ConfigError({"initialize", "vectors"},
                      "[E884] The pipeline could not be initialized because the vectors could not "
                      "be found at '" + path + "' (expected a pipeline folder with vocab/vectors, "
                      "as `trfpipe init vectors LANG VECTORS_FILE OUTPUT_DIR` writes)");
  std::shared_ptr<Vectors> vectors = Vectors::from_disk((dir / "vocab").string());
  if (fs::exists(dir / "meta.json"))
    set_vectors_name_from_meta(*vectors, read_json_file((dir / "meta.json").string()));
  if (fs::exists(dir / "vocab" / "strings.json"))
    add_strings_file(vocab.strings(), dir / "vocab" / "strings.json");
  vocab.set_vectors(std::move(vectors));
}

std::unique_ptr<Language> Language::from_config(const Json& config) {
  if (!config.is_object()) throw ConfigError({}, "the config must be a tree of sections");
  if (!config.contains("nlp") || !config["nlp"].is_object())
    throw ConfigError({"nlp"}, "the config has no [nlp] section");
  const Json& nlpc = config["nlp"];
  static const std::set<std::string> known = {
      "lang",         "pipeline",   "disabled",  "enabled", "before_creation", "after_creation",
      "after_pipeline_creation", "batch_size", "tokenizer", "vectors"};
  for (auto it = nlpc.begin(); it != nlpc.end(); ++it)
    if (!known.count(it.key()))
      throw ConfigError({"nlp", it.key()},
                        "unknown setting (expected one of lang, pipeline, disabled, batch_size, "
                        "tokenizer, vectors, before_creation, after_creation, "
                        "after_pipeline_creation)");
  if (!nlpc.contains("lang") || !nlpc["lang"].is_string())
    throw ConfigError({"nlp", "lang"}, "a language code (\"en\") is required");
  for (const char* hook : {"before_creation", "after_creation", "after_pipeline_creation"})
    if (nlpc.contains(hook) && !nlpc[hook].is_null())
      throw ConfigError({"nlp", hook}, "creation callbacks are not supported; use null");
  const bool char_tokenizer = nlpc.contains("tokenizer") && nlpc["tokenizer"].is_object() &&
                              nlpc["tokenizer"].value("@tokenizers", "") == kCharPretokenizerName;
  if (!char_tokenizer) check_promise(nlpc, "tokenizer", "@tokenizers", kRuleTokenizerName);
  check_promise(nlpc, "vectors", "@vectors", "spacy.Vectors.v1");

  std::unique_ptr<Language> nlp;
  try {
    nlp = std::make_unique<Language>(nlpc["lang"].get<std::string>());
  } catch (const ValueError& e) {
    throw ConfigError({"nlp", "lang"}, e.what());
  }
  nlp->impl_->char_tokenizer = char_tokenizer;
  if (nlpc.contains("batch_size")) {
    const Json& bs = nlpc["batch_size"];
    if (!bs.is_number_integer() || bs.get<int64_t>() < 1)
      throw ConfigError({"nlp", "batch_size"}, "expected a positive integer, got " + bs.dump());
    nlp->batch_size = bs.get<size_t>();
  }
  std::vector<std::string> pipeline =
      string_list(nlpc.value("pipeline", Json::array()), {"nlp", "pipeline"});
  std::vector<std::string> disabled =
      string_list(nlpc.value("disabled", Json::array()), {"nlp", "disabled"});
  const Json components = config.contains("components") ? config["components"] : Json::object();
  if (!components.is_object())
    throw ConfigError({"components"}, "expected a section of component blocks");

  pipeline::PipelineSources sources;  // each `source` pipeline loaded once
  for (const std::string& name : pipeline) {
    if (!components.contains(name)) {
      std::vector<std::string> available;
      for (auto it = components.begin(); it != components.end(); ++it) available.push_back(it.key());
      throw ConfigError({"components"},
                        "[E956] Can't find component '" + name +
                            "' in [components] block in the config. Available components: " +
                            (available.empty() ? std::string("(none)") : pipeline::join_names(available)));
    }
    const Json& block = components[name];
    if (!block.is_object())
      throw ConfigError({"components", name}, "expected a block with a `factory`");
    if (block.contains("source") && block.contains("factory"))
      throw ConfigError({"components", name, "source"},
                        "set either `factory` (a new component) or `source` (a trained one), "
                        "not both");
    if (pipeline::is_sourced_block(block)) {
      pipeline::SourcedComponent sourced = sources.resolve(name, block, nlp->vocab());
      Json settings = sourced.block;
      const std::string factory = settings.value("factory", std::string());
      settings.erase("factory");
      Pipe& pipe = nlp->add_pipe(factory, name, settings);
      pipe.from_disk(sourced.state_dir);
      nlp->impl_->pipes[nlp->impl_->checked_index(name)].sourced = true;
      continue;
    }
    if (!block.contains("factory") || !block["factory"].is_string())
      throw ConfigError({"components", name},
                        "[E984] The component block has no `factory` (or `source`) setting");
    const std::string factory = block["factory"].get<std::string>();
    if (!has_factory(factory)) {
      auto names = factory_names();
      throw ConfigError({"components", name, "factory"},
                        "Can't find factory '" + factory + "'. Available factories: " +
                            (names.empty() ? std::string("(none registered)") : pipeline::join_names(names)));
    }
    Json cfg = block;
    cfg.erase("factory");
    nlp->add_pipe(factory, name, cfg);
  }
  for (const std::string& d : disabled) {
    if (std::find(pipeline.begin(), pipeline.end(), d) == pipeline.end())
      throw ConfigError({"nlp", "disabled"}, "'" + d + "' is not in [nlp] pipeline (" +
                                                 pipeline::join_names(pipeline) + ")");
    nlp->disable_pipe(d);
  }
  nlp->impl_->base_config = config;
  nlp->link_components();
  return nlp;
}

void Language::to_disk(const std::string& path_in) const {
  fs::path path = fs::path(path_in).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  if (path.empty()) throw ValueError("to_disk: empty path");
  if (fs::exists(path) && !fs::is_directory(path))
    throw Error("cannot save the pipeline to '" + path.string() +
                "': it exists and is not a directory");
  for (const auto& e : impl_->pipes) check_component_folder_name(e.pipe->name());
  std::error_code ec;
  fs::create_directories(path.has_parent_path() ? path.parent_path() : fs::path("."), ec);
  if (ec) throw Error("cannot save the pipeline to '" + path.string() + "': " + ec.message());
  write_dir_atomically(path, path.filename().string() + ".tmp-", [&](const fs::path& tmp) {
    write_file(tmp / "config.cfg", write_cfg(sections_last(config())));
    write_file(tmp / "meta.json", const_cast<Language*>(this)->meta().dump(2) + "\n");
    fs::create_directories(tmp / "vocab");
    write_file(tmp / "vocab" / "strings.json", Json(impl_->vocab->strings().sorted()).dump());
    if (!impl_->vocab->vectors().empty()) impl_->vocab->vectors().to_disk((tmp / "vocab").string());
    write_file(tmp / "tokenizer", impl_->tokenizer->to_json().dump());
    for (const auto& e : impl_->pipes) e.pipe->to_disk((tmp / e.pipe->name()).string());
  });
}

std::unique_ptr<Language> Language::load(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& overrides) {
  const std::string blank_prefix = "blank:";
  if (path.compare(0, blank_prefix.size(), blank_prefix) == 0) {
    auto nlp = blank(path.substr(blank_prefix.size()));
    if (overrides.empty()) return nlp;
    Json cfg = nlp->config();
    apply_overrides(cfg, overrides);
    return from_config(interpolate(cfg));
  }
  fs::path dir(path);
  if (!fs::exists(dir))
    throw Error("[E050] Can't find model '" + path +
                "'. It doesn't seem to be a valid path to a pipeline directory (or blank:<lang>).");
  if (!fs::is_directory(dir))
    throw Error("[E050] Can't load model '" + path + "': it is not a directory.");
  fs::path cfg_path = dir / "config.cfg";
  if (!fs::exists(cfg_path))
    throw ConfigError({}, "[E053] Could not read config.cfg from " + cfg_path.string() +
                              ": the pipeline directory has no config.cfg");
  Json config = load_config_file(cfg_path.string(), overrides);
  auto nlp = from_config(config);
  if (fs::exists(dir / "meta.json")) {
    Json meta = read_json_file((dir / "meta.json").string());
    if (!meta.is_object()) throw DataError((dir / "meta.json").string(), -1, "expected an object");
    for (auto it = meta.begin(); it != meta.end(); ++it) nlp->impl_->meta[it.key()] = it.value();
  }
  fs::path strings = dir / "vocab" / "strings.json";
  if (fs::exists(strings)) add_strings_file(nlp->impl_->vocab->strings(), strings);
  if (Vectors::exists_in((dir / "vocab").string())) {
    std::shared_ptr<Vectors> vectors = Vectors::from_disk((dir / "vocab").string());
    set_vectors_name_from_meta(*vectors, nlp->impl_->meta);
    nlp->impl_->vocab->set_vectors(std::move(vectors));
    nlp->link_components();  // models that project the vectors size themselves by the table
  }
  fs::path tok = dir / "tokenizer";
  if (fs::exists(tok)) {
    Json j = read_json_file(tok.string());
    try {
      nlp->impl_->tokenizer = std::make_unique<tokenization::RuleTokenizer>(
          tokenization::RuleTokenizer::from_json(j));
    } catch (const ValueError& e) {
      throw DataError(tok.string(), -1, e.what());
    } catch (const nlohmann::json::exception& e) {
      throw DataError(tok.string(), -1, e.what());
    }
  }
  for (const auto& e : nlp->impl_->pipes) {
    check_component_folder_name(e.pipe->name());
    e.pipe->from_disk((dir / e.pipe->name()).string());
  }
  nlp->link_components();
  return nlp;
}

}  // namespace trfpipe
