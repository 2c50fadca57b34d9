// spaCy's training loop (spacy/training/loop.py, initialize.py, loggers.py) and the registry
// entries of readers, batchers and loggers.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>

#include <ATen/Context.h>
#include <ATen/core/grad_mode.h>

#include "models/optimizer.hpp"
#include "models/safetensors.hpp"
#include "pipeline/file_io.hpp"
#include "training/augment.hpp"
#include "training/console_text.hpp"
#include "training/dataset_readers.hpp"
#include "pipeline/sourcing.hpp"
#include "training/distributed.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/scorer.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe {
namespace {

using registry::arg;

SizeSchedule size_from(const registry::Value& args, const std::string& name) {
  const registry::Value& v = args.at(name);
  if (v.is_object()) {
    if (const auto* s = std::any_cast<SizeSchedule>(&v.object())) return *s;
    throw Error("argument '" + name + "': expected a number or a schedule, got " + v.describe());
  }
  const Json& j = v.json();
  if (j.is_number()) {
    double d = j.get<double>();
    if (d <= 0) throw Error("argument '" + name + "': the batch size must be positive");
    return constant_size(d);
  }
  if (j.is_array() && !j.empty()) {
    std::vector<double> values;
    for (const auto& e : j) values.push_back(e.get<double>());
    return [values](int64_t step) {
      return values[std::min<size_t>(size_t(step), values.size() - 1)];
    };
  }
  throw Error("argument '" + name + "': expected a number, a list or a schedule, got " +
              v.describe());
}

void require_null_get_length(const registry::Value& a) {
  if (a.has("get_length") && !a.at("get_length").is_null())
    throw Error("argument 'get_length': only null (len of the example) is supported");
}

void register_once() {
  auto& readers = registry::get("readers");
  readers.add(registry::Function{
      "", "spacy.Corpus.v1",
      {arg("path", "str|null"), arg("gold_preproc", "bool", false), arg("max_length", "int", 0),
       arg("limit", "int", 0), arg("augmenter", "Callable|null", nullptr)},
      false,
      [](const registry::Value& a, const std::vector<std::string>& path) -> std::any {
        Augmenter augmenter;
        if (!a.at("augmenter").is_null()) {
          const registry::Value& v = a.at("augmenter");
          const Augmenter* f = v.is_object() ? std::any_cast<Augmenter>(&v.object()) : nullptr;
          if (!f) {
            auto p = path;
            p.push_back("augmenter");
            throw ConfigError(p, "expected an augmenter ({\"@augmenters\": "
                                 "\"spacy.orth_variants.v1\", ...}) or null, got " + v.describe());
          }
          augmenter = *f;
        }
        CorpusOptions o;
        if (!registry::is_null(a, "path")) o.path = registry::get_str(a, "path");
        o.gold_preproc = registry::get_bool(a, "gold_preproc");
        o.max_length = registry::get_int(a, "max_length");
        o.limit = registry::get_int(a, "limit");
        auto p = path;
        p.push_back("path");
        auto corpus = std::make_shared<Corpus>(o, p);
        if (!augmenter) return Reader([corpus](Language& nlp) { return (*corpus)(nlp); });
        // spaCy's Corpus: every example goes through the augmenter, which yields its variants.
        return Reader([corpus, augmenter](Language& nlp) {
          std::vector<Example> out;
          for (const Example& eg : (*corpus)(nlp))
            for (Example& variant : augmenter(nlp, eg)) out.push_back(std::move(variant));
          return out;
        });
      },
      "Callable[[Language], Iterable[Example]]"});
  readers.add(registry::Function{
      "", "spacy.JsonlCorpus.v1",
      {arg("path", "str|null"), arg("min_length", "int", 5), arg("max_length", "int", 500),
       arg("limit", "int", 0)},
      false,
      [](const registry::Value& a, const std::vector<std::string>& path) -> std::any {
        JsonlCorpusOptions o;
        if (registry::is_null(a, "path")) {
          auto p = path;
          p.push_back("path");
          throw ConfigError(p, "[E913] Corpus path can't be None.");
        }
        o.path = registry::get_str(a, "path");
        o.min_length = registry::get_int(a, "min_length");
        o.max_length = registry::get_int(a, "max_length");
        o.limit = registry::get_int(a, "limit");
        return Reader([o](Language& nlp) { return read_jsonl_corpus(o, nlp); });
      },
      "Callable[[Language], Iterable[Example]]"});

  auto& batchers = registry::get("batchers");
  batchers.add(registry::Function{
      "", "spacy.batch_by_words.v1",
      {arg("size", "int|float|list|Schedule"), arg("tolerance", "float", 0.2),
       arg("discard_oversize", "bool", false), arg("get_length", "Callable|null", nullptr)},
      false,
      [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
        require_null_get_length(a);
        return batch_by_words(size_from(a, "size"), registry::get_float(a, "tolerance"),
                              registry::get_bool(a, "discard_oversize"));
      },
      "Callable[[Iterable[Any]], Iterable[List[Any]]]"});
  batchers.add(registry::Function{
      "", "spacy.batch_by_padded.v1",
      {arg("size", "int|float|list|Schedule"), arg("buffer", "int", 256),
       arg("discard_oversize", "bool", false), arg("get_length", "Callable|null", nullptr)},
      false,
      [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
        require_null_get_length(a);
        return batch_by_padded(size_from(a, "size"), registry::get_int(a, "buffer"),
                               registry::get_bool(a, "discard_oversize"));
      },
      "Callable[[Iterable[Any]], Iterable[List[Any]]]"});
  batchers.add(registry::Function{
      "", "spacy.batch_by_sequence.v1",
      {arg("size", "int|float|list|Schedule"), arg("get_length", "Callable|null", nullptr)},
      false,
      [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
        require_null_get_length(a);
        return batch_by_sequence(size_from(a, "size"));
      },
      "Callable[[Iterable[Any]], Iterable[List[Any]]]"});

  auto& loggers = registry::get("loggers");
  // The loggers resolve to their settings, which train() reads: {"progress_bar": "eval" | "train"
  // | null, "console_output": bool, "output_file": path | null} (ConsoleLogger.v3's arguments;
  // .v1/.v2 take progress_bar as a bool, true meaning "eval", as spacy-legacy maps them).
  loggers.add(registry::Function{
      "", "spacy.ConsoleLogger.v1", {arg("progress_bar", "bool", false)}, false,
      [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
        return Json{{"progress_bar", registry::get_bool(a, "progress_bar") ? Json("eval") : Json()},
                    {"console_output", true},
                    {"output_file", nullptr}};
      },
      "Callable"});
  auto console_logger = [](bool bool_progress_bar) {
    return [bool_progress_bar](const registry::Value& a,
                               const std::vector<std::string>& path) -> std::any {
      Json progress_bar = nullptr;
      const registry::Value& p = a.at("progress_bar");
      if (bool_progress_bar) {
        if (registry::get_bool(a, "progress_bar")) progress_bar = "eval";
      } else if (!p.is_null()) {
        const std::string mode = p.is_json() && p.json().is_string() ? p.json().get<std::string>() : "";
        if (mode != "eval" && mode != "train") {
          auto at = path;
          at.push_back("progress_bar");
          throw ConfigError(at, "[E1048] Unable to set progress_bar to '" +
                                    (mode.empty() ? p.describe() : mode) +
                                    "': use \"train\", \"eval\" or null");
        }
        progress_bar = mode;
      }
      return Json{{"progress_bar", progress_bar},
                  {"console_output", registry::get_bool(a, "console_output")},
                  {"output_file", registry::is_null(a, "output_file")
                                      ? Json()
                                      : Json(registry::get_str(a, "output_file"))}};
    };
  };
  loggers.add(registry::Function{"", "spacy.ConsoleLogger.v2",
                                 {arg("progress_bar", "bool", false), arg("console_output", "bool", true),
                                  arg("output_file", "str|null", nullptr)},
                                 false, console_logger(true), "Callable"});
  loggers.add(registry::Function{"", "spacy.ConsoleLogger.v3",
                                 {arg("progress_bar", "str|null", nullptr),
                                  arg("console_output", "bool", true),
                                  arg("output_file", "str|null", nullptr)},
                                 false, console_logger(false), "Callable"});
  // [nlp] tokenizer / vectors promises: Language makes its tokenizer from the name (spaCy's rule
  // tokenizer, or spacy-experimental's one token per character) and its vectors table itself.
  for (auto [reg, name] : {std::pair<const char*, const char*>{"tokenizers", "spacy.Tokenizer.v1"},
                           {"tokenizers", "spacy-experimental.char_pretokenizer.v1"},
                           {"vectors", "spacy.Vectors.v1"}}) {
    auto& r = registry::get(reg);
    if (r.has(name)) continue;
    std::string n = name;
    r.add(registry::Function{"", name, {}, false,
                             [n](const registry::Value&, const std::vector<std::string>&) -> std::any {
                               return n;
                             },
                             "Callable"});
  }
  // [initialize] lookups: spaCy loads the tables from the spacy-lookups-data package, Python
  // data trfpipe does not have. Resolving only records the request, so configs that name it
  // validate; Language::initialize refuses it, naming the tables.
  registry::get("misc").add(registry::Function{
      "", "spacy.LookupsDataLoader.v1", {arg("lang", "str"), arg("tables", "list[str]")}, false,
      [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
        return Json{{"lang", registry::get_str(a, "lang")},
                    {"tables", registry::get_str_list(a, "tables")}};
      },
      "Lookups"});
  scorer::register_scorers();
  register_augmenters();
  register_dataset_readers();
}

// ---------------------------------------------------------------------------------- helpers

std::string py_float(double v) {
  std::string s = Json(v).dump();
  return s;
}

}  // namespace

// Shared with debug_model.cpp (training/console_text.hpp).
std::string py_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", '" : "'") + v[i] + "'";
  return out + "]";
}

std::string divider(const std::string& text) {
  const int line_max = 80;
  int n = int(double(line_max - int(text.size())) / 2) - 2;
  std::string deco(size_t(std::max(0, n)), '=');
  std::string out = deco + " " + text + " " + deco;
  if (int(out.size()) < line_max) out += std::string(size_t(line_max) - out.size(), '=');
  return "\n" + out;
}

namespace {

std::string fmt2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string row(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                bool right) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out += "  ";
    std::string c = cells[i];
    size_t w = i < widths.size() ? widths[i] : c.size();
    std::string pad = c.size() < w ? std::string(w - c.size(), ' ') : "";
    out += right ? pad + c : c + pad;
  }
  return out;
}

const Json* dotted(const Json& tree, const std::string& dot_name) {
  const Json* cur = &tree;
  std::stringstream ss(dot_name);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
  }
  return cur;
}

// A reader from a dot name ("corpora.train").
Reader resolve_reader(const Json& config, const std::string& dot_name, const std::string& key) {
  std::vector<std::string> path;
  std::stringstream ss(dot_name);
  std::string part;
  while (std::getline(ss, part, '.')) path.push_back(part);
  const Json* block = dotted(config, dot_name);
  // spaCy's resolve_dot_names resolves the first section as a whole: "corpora.dev" may be a
  // split of a [corpora] block that is itself a reader (ml_datasets' readers).
  if (!block && path.size() > 1) {
    const Json* parent = dotted(config, path.front());
    bool promise = false;
    if (parent && parent->is_object())
      for (auto it = parent->begin(); it != parent->end(); ++it)
        promise = promise || (!it.key().empty() && it.key()[0] == '@');
    if (promise) {
      registry::Value all = registry::resolve(*parent, {path.front()});
      const ReaderSplits* splits =
          all.is_object() ? std::any_cast<ReaderSplits>(&all.object()) : nullptr;
      if (path.size() == 2 && splits && splits->count(path[1])) return splits->at(path[1]);
      std::string names;
      if (splits)
        for (const auto& [split, reader] : *splits) names += (names.empty() ? "" : ", ") + split;
      throw ConfigError({"training", key},
                        "can't find the corpus '" + dot_name + "': [" + path.front() +
                            "] makes " + (splits ? "the splits " + names : all.describe()));
    }
  }
  if (!block)
    throw ConfigError({"training", key}, "can't find the corpus '" + dot_name +
                                             "' (expected a [" + dot_name + "] block)");
  registry::Value v = registry::resolve(*block, path);
  if (!v.is_object())
    throw ConfigError(path, "expected a reader block (@readers = \"spacy.Corpus.v1\")");
  if (const Reader* r = std::any_cast<Reader>(&v.object())) return *r;
  throw ConfigError(path, "expected a reader, got " + v.describe());
}

Json deep_fill(const Json& given, const Json& defaults) {
  // `given` wins; defaults fill missing keys; a promise block is filled only from a default
  // block of the same function (confection's deep_merge_configs: a [corpora] block that is
  // itself a reader gets no [corpora.train] from spaCy's defaults).
  if (!given.is_object() || !defaults.is_object()) return given;
  for (auto it = given.begin(); it != given.end(); ++it) {
    if (!it.key().empty() && it.key()[0] == '@' &&
        (!defaults.contains(it.key()) || defaults[it.key()] != it.value()))
      return given;
  }
  Json out = given;
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    if (!out.contains(it.key())) out[it.key()] = it.value();
    else if (out[it.key()].is_object() && it.value().is_object())
      out[it.key()] = deep_fill(out[it.key()], it.value());
  }
  return out;
}

// Atomically replaces `dest` with a copy of directory `src` (write_dir_atomically: a failed copy,
// a full disk, leaves `dest` as it was).
void atomic_copy_dir(const fs::path& src, const fs::path& dest) {
  write_dir_atomically(dest, "." + dest.filename().string() + ".tmp-", [&](const fs::path& tmp) {
    fs::copy(src, tmp, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  });
}

}  // namespace

void register_training() {
  static std::once_flag once;
  std::call_once(once, register_once);
}

// ------------------------------------------------------------------------------------ config

Json default_training_config() {
  static const char* kDefault = R"([paths]
train = null
dev = null
vectors = null
init_tok2vec = null

[system]
seed = 0
gpu_allocator = null

[nlp]
lang = null
pipeline = []
disabled = []
before_creation = null
after_creation = null
after_pipeline_creation = null
batch_size = 1000
tokenizer = {"@tokenizers":"spacy.Tokenizer.v1"}
vectors = {"@vectors":"spacy.Vectors.v1"}

[components]

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${paths.train}
gold_preproc = false
max_length = 0
limit = 0
augmenter = null

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${paths.dev}
gold_preproc = false
max_length = 0
limit = 0
augmenter = null

[training]
seed = ${system.seed}
gpu_allocator = ${system.gpu_allocator}
dropout = 0.1
accumulate_gradient = 1
patience = 1600
max_epochs = 0
max_steps = 20000
eval_frequency = 200
frozen_components = []
annotating_components = []
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
before_to_disk = null
before_update = null

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = false
eps = 0.00000001
learn_rate = 0.001

[training.score_weights]

[pretraining]

[initialize]
vectors = ${paths.vectors}
init_tok2vec = ${paths.init_tok2vec}
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
)";
  return parse_cfg(kDefault, "<default config>");
}

Json combine_score_weights(const std::vector<Json>& weights, const Json& overrides) {
  Json result = Json::object();
  for (const Json& w : weights)
    if (w.is_object())
      for (auto it = w.begin(); it != w.end(); ++it) result[it.key()] = it.value();
  if (overrides.is_object())
    for (auto it = overrides.begin(); it != overrides.end(); ++it) result[it.key()] = it.value();
  double sum = 0;
  for (auto it = result.begin(); it != result.end(); ++it)
    if (it.value().is_number()) sum += it.value().get<double>();
  for (auto it = result.begin(); it != result.end(); ++it) {
    if (it.value().is_number() && it.value().get<double>() != 0.0 && sum > 0) {
      double v = it.value().get<double>() / sum;
      it.value() = std::round(v * 100.0) / 100.0;
    }
  }
  return result;
}

Json fill_config(const Json& config) {
  if (!config.is_object()) throw ConfigError({}, "the config must be a tree of sections");
  // spaCy's load_model_from_config checks these before it fills anything (E985, E993).
  if (!config.contains("nlp") || !config["nlp"].is_object())
    throw ConfigError({"nlp"}, "[E985] Can't load model from config file: no [nlp] section found");
  if (!config["nlp"].contains("lang") || config["nlp"]["lang"].is_null())
    throw ConfigError({"nlp", "lang"},
                      "[E993] The config for the nlp object needs to include a key `lang` "
                      "specifying the code of the language to initialize it with (for example "
                      "'en' for English) - this can't be None");
  Json defaults = default_training_config();
  Json out = Json::object();
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    if (config.contains(it.key())) out[it.key()] = deep_fill(config[it.key()], it.value());
    else out[it.key()] = it.value();
  }
  for (auto it = config.begin(); it != config.end(); ++it)
    if (!out.contains(it.key())) out[it.key()] = it.value();
  // Factory defaults in each component block.
  std::vector<Json> weights;
  if (out["components"].is_object()) {
    for (auto it = out["components"].begin(); it != out["components"].end(); ++it) {
      Json& block = it.value();
      if (!block.is_object() || !block.contains("factory") || !block["factory"].is_string())
        continue;
      std::string factory = block["factory"].get<std::string>();
      if (!has_factory(factory)) {
        auto names = factory_names();
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        throw ConfigError({"components", it.key(), "factory"},
                          "Can't find factory '" + factory + "'. Available factories: " + list);
      }
      const FactoryMeta& meta = get_factory(factory);
      Json filled = Json::object();
      filled["factory"] = factory;
      Json rest = block;
      rest.erase("factory");
      Json merged = deep_fill(rest, meta.default_config);
      for (auto m = merged.begin(); m != merged.end(); ++m) filled[m.key()] = m.value();
      block = filled;
    }
    const Json& pipeline = out["nlp"].value("pipeline", Json::array());
    const Json& disabled = out["nlp"].value("disabled", Json::array());
    for (const auto& name : pipeline) {
      if (!name.is_string() || std::find(disabled.begin(), disabled.end(), name) != disabled.end())
        continue;
      const Json& comps = out["components"];
      if (!comps.contains(name.get<std::string>())) continue;
      const Json& block = comps[name.get<std::string>()];
      if (block.contains("factory") && block["factory"].is_string() &&
          has_factory(block["factory"].get<std::string>()))
        weights.push_back(get_factory(block["factory"].get<std::string>()).default_score_weights);
    }
  }
  // spaCy's Language.from_config sets [pretraining] aside while it fills the config: it is only
  // resolved by `spacy pretrain`, so its functions need not exist to fill or train.
  Json pretraining;
  if (out.contains("pretraining")) {
    pretraining = out["pretraining"];
    out.erase("pretraining");
  }
  out = registry::fill_defaults(out);
  if (!pretraining.is_null()) out["pretraining"] = pretraining;
  out["training"]["score_weights"] =
      combine_score_weights(weights, out["training"].value("score_weights", Json::object()));
  Json ordered = Json::object();
  for (auto it = out.begin(); it != out.end(); ++it) ordered[it.key()] = sections_last(it.value());
  return ordered;
}

// ------------------------------------------------------------------------------ init + train

namespace {

struct Resolved {
  std::shared_ptr<Optimizer> optimizer;
  Batcher batcher;
  Json logger;
  Reader train_corpus, dev_corpus;
  int64_t seed = 0;
  double dropout = 0.1;
  int64_t accumulate_gradient = 1, patience = 0, max_epochs = 0, max_steps = 0,
          eval_frequency = 200;
  std::vector<std::string> frozen, annotating;
  Json score_weights = Json::object();
};

Resolved resolve_training(const Json& config) {
  if (!config.contains("training") || !config["training"].is_object())
    throw ConfigError({"training"}, "the config has no [training] section");
  const Json& t = config["training"];
  if (t.contains("before_to_disk") && !t["before_to_disk"].is_null())
    throw ConfigError({"training", "before_to_disk"}, "only null is supported");
  if (t.contains("before_update") && !t["before_update"].is_null())
    throw ConfigError({"training", "before_update"}, "only null is supported");
  Resolved r;
  auto req = [&](const char* key) -> const Json& {
    if (!t.contains(key)) throw ConfigError({"training", key}, "field required");
    return t[key];
  };
  auto int_of = [&](const char* key) {
    const Json& v = req(key);
    if (!v.is_number_integer())
      throw ConfigError({"training", key}, "value is not a valid integer: " + v.dump());
    return v.get<int64_t>();
  };
  const Json& seed = req("seed");
  r.seed = seed.is_number_integer() ? seed.get<int64_t>() : 0;
  if (!seed.is_null() && !seed.is_number_integer())
    throw ConfigError({"training", "seed"}, "value is not a valid integer: " + seed.dump());
  if (!req("dropout").is_number())
    throw ConfigError({"training", "dropout"}, "value is not a valid float: " + t["dropout"].dump());
  r.dropout = t["dropout"].get<double>();
  r.accumulate_gradient = int_of("accumulate_gradient");
  if (r.accumulate_gradient < 1)
    throw ConfigError({"training", "accumulate_gradient"}, "must be at least 1");
  r.patience = int_of("patience");
  r.max_epochs = int_of("max_epochs");
  r.max_steps = int_of("max_steps");
  r.eval_frequency = int_of("eval_frequency");
  if (r.eval_frequency < 1) throw ConfigError({"training", "eval_frequency"}, "must be at least 1");
  auto strs = [&](const char* key) {
    std::vector<std::string> out;
    const Json& v = t.value(key, Json::array());
    if (!v.is_array()) throw ConfigError({"training", key}, "expected a list of strings");
    for (const auto& e : v) {
      if (!e.is_string()) throw ConfigError({"training", key}, "expected a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  };
  r.frozen = strs("frozen_components");
  r.annotating = strs("annotating_components");
  r.score_weights = t.value("score_weights", Json::object());
  for (const char* key : {"optimizer", "batcher", "logger"})
    if (!t.contains(key)) throw ConfigError({"training", key}, "field required");
  registry::Value opt = registry::resolve(t["optimizer"], {"training", "optimizer"});
  r.optimizer = opt.as<std::shared_ptr<Optimizer>>();
  registry::Value batcher = registry::resolve(t["batcher"], {"training", "batcher"});
  r.batcher = batcher.as<Batcher>();
  registry::Value logger = registry::resolve(t["logger"], {"training", "logger"});
  r.logger = logger.as<Json>();
  std::string train_name = t.value("train_corpus", std::string("corpora.train"));
  std::string dev_name = t.value("dev_corpus", std::string("corpora.dev"));
  r.train_corpus = resolve_reader(config, train_name, "train_corpus");
  r.dev_corpus = resolve_reader(config, dev_name, "dev_corpus");
  return r;
}

void seed_everything(int64_t seed) {
  at::manual_seed(uint64_t(seed));
  reseed_augmenters(uint64_t(seed));
}

// spaCy's init_tok2vec: [initialize] init_tok2vec names pretrained weights for the layer
// [pretraining] layer (default: the whole model) of component [pretraining] component (default
// "tok2vec"). spaCy reads `spacy pretrain`'s output, thinc's msgpack Model.to_bytes, which has no
// parameter names to match here; trfpipe reads the safetensors weights of a saved component
// (<pipeline>/tok2vec/model, or the component folder).
bool init_tok2vec(Language& nlp, const Json& config) {
  const Json init = config.value("initialize", Json::object());
  if (!init.is_object() || !init.contains("init_tok2vec") || init["init_tok2vec"].is_null())
    return false;
  const std::vector<std::string> at{"initialize", "init_tok2vec"};
  if (!init["init_tok2vec"].is_string())
    throw ConfigError(at, "expected the path of a weights file, got " + init["init_tok2vec"].dump());
  const fs::path path = init["init_tok2vec"].get<std::string>();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw ConfigError(at, "can't find pretrained tok2vec: " + path.string());
  const Json P = config.value("pretraining", Json::object());
  const std::string component =
      P.is_object() && P.contains("component") && P["component"].is_string()
          ? P["component"].get<std::string>() : "tok2vec";
  const std::string layer = P.is_object() && P.contains("layer") && P["layer"].is_string()
                                ? P["layer"].get<std::string>() : "";
  if (!nlp.has_pipe(component))
    throw ConfigError({"pretraining", "component"},
                      "init_tok2vec loads weights into component '" + component +
                          "', which is not in the pipeline " + py_list(nlp.component_names()));
  auto* owner = dynamic_cast<ParameterOwner*>(&nlp.get_pipe(component));
  if (!owner)
    throw ConfigError({"pretraining", "component"},
                      "component '" + component + "' has no weights to initialize");
  const fs::path file = fs::is_directory(path, ec) ? path / "model" : path;
  models::SafetensorsContent weights;
  try {
    weights = models::read_safetensors(file.string());
  } catch (const Error& e) {
    throw ConfigError(at, "'" + file.string() + "' is not a weights file trfpipe can read (" +
                              e.what() + "). trfpipe loads the safetensors weights of a saved "
                              "tok2vec (<pipeline>/tok2vec/model); the msgpack files of `spacy "
                              "pretrain` (thinc's Model.to_bytes) cannot be read");
  }
  const std::string prefix = layer.empty() ? "" : layer + ".";
  at::NoGradGuard no_grad;
  size_t loaded = 0;
  for (const auto& [name, param] : owner->named_parameters()) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string key = name.substr(prefix.size());
    auto it = weights.tensors.find(key);
    if (it == weights.tensors.end() || it->second.sizes() != param.sizes())
      throw ConfigError(at, "'" + file.string() + "' does not fit the model of '" + component +
                                "'" + (layer.empty() ? "" : " (layer " + layer + ")") + ": " +
                                (it == weights.tensors.end() ? "no weights for '" + key + "'"
                                                             : "'" + key + "' has another shape"));
    at::Tensor(param).copy_(it->second.to(at::kFloat));
    ++loaded;
  }
  if (loaded == 0)
    throw ConfigError({"pretraining", "layer"},
                      "component '" + component + "' has no parameters under '" + layer + "'");
  return true;
}

}  // namespace

std::pair<Reader, Reader> resolve_corpora(const Json& config) {
  register_training();
  const Json t = config.value("training", Json::object());
  return {resolve_reader(config, t.value("train_corpus", std::string("corpora.train")), "train_corpus"),
          resolve_reader(config, t.value("dev_corpus", std::string("corpora.dev")), "dev_corpus")};
}

std::unique_ptr<Language> validate_training_config(const Json& config) {
  register_training();
  std::unique_ptr<Language> nlp = Language::from_config(config);
  // spaCy's debug config and init_nlp resolve [initialize] (label readers, lookups) as well.
  if (config.contains("initialize") && !config["initialize"].is_null())
    registry::resolve(config["initialize"], {"initialize"});
  Resolved r = resolve_training(config);
  for (const auto& f : r.frozen)
    if (!nlp->has_pipe(f))
      throw ConfigError({"training", "frozen_components"},
                        "'" + f + "' is not a component of the pipeline " +
                            py_list(nlp->component_names()));
  for (const auto& f : r.annotating)
    if (!nlp->has_pipe(f))
      throw ConfigError({"training", "annotating_components"},
                        "'" + f + "' is not a component of the pipeline " +
                            py_list(nlp->component_names()));
  return nlp;
}

namespace {
// spaCy's logger format: "[2024-01-31 12:00:00,123] [INFO] message".
void log_info(std::ostream* log, const std::string& message) {
  if (!log) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  *log << "[" << std::put_time(&tm, "%Y-%m-%d %H:%M:%S") << "," << std::setw(3)
       << std::setfill('0') << ms.count() << std::setfill(' ') << "] [INFO] " << message << "\n";
  log->flush();
}
// spaCy's W086/W087 after init_nlp: a listener and its upstream should be frozen together
// (or the upstream annotating), else one trains on outputs the other no longer matches.
void warn_inconsistent_freezing(Language& nlp, const std::vector<std::string>& frozen,
                                const std::vector<std::string>& annotating, std::ostream& out) {
  auto in = [](const std::vector<std::string>& v, const std::string& n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  const Json components = nlp.config()["components"];
  const std::vector<std::string> enabled = nlp.pipe_names();
  for (const std::string& name : enabled) {
    const FactoryMeta& meta = get_factory(nlp.get_pipe(name).factory_name());
    if (meta.listener_architectures.empty()) continue;
    for (const std::string& listener : enabled) {
      if (listener == name ||
          pipeline::listener_paths(components[listener], meta.listener_architectures, name).empty())
        continue;
      if (in(frozen, listener) && !in(frozen, name))
        out << "[W087] Component '" << name << "' will be (re)trained, but the component '"
            << listener << "' depends on it via a listener and is frozen. This means that the "
            << "performance of '" << listener << "' will be degraded. You can either freeze both, "
            << "or neither of the two. If you're sourcing the component from an existing "
            << "pipeline, you can use the `replace_listeners` setting in the config block to "
            << "replace its token-to-vector listener with a copy and make it independent.\n";
      if (!in(frozen, listener) && in(frozen, name) && !in(annotating, name))
        out << "[W086] Component '" << listener << "' will be (re)trained, but it needs the "
            << "component '" << name << "' which is frozen. If you want to prevent retraining '"
            << name << "' but want to train '" << listener << "' on top of it, you should add '"
            << name << "' to the list of 'annotating_components' in the 'training' block in the "
            << "config.\n";
    }
  }
}

}  // namespace

std::unique_ptr<Language> init_nlp(const Json& raw_config, std::ostream* log) {
  register_training();
  Json filled = fill_config(raw_config);
  Json config = interpolate(filled);
  if (config.contains("training") && config["training"].contains("seed") &&
      config["training"]["seed"].is_number_integer())
    seed_everything(config["training"]["seed"].get<int64_t>());
  std::unique_ptr<Language> nlp = validate_training_config(config);
  log_info(log, "Set up nlp object from config");
  Resolved r = resolve_training(config);
  log_info(log, "Pipeline: " + py_list(nlp->pipe_names()));
  nlp->link_components();
  {
    // spaCy's init_nlp: frozen components and sourced ones (which resume training with the
    // weights they were trained with) are not initialized again.
    std::vector<std::string> skip = r.frozen;
    std::vector<std::string> resume;
    for (const std::string& name : nlp->sourced_components())
      if (std::find(skip.begin(), skip.end(), name) == skip.end()) resume.push_back(name);
    if (!resume.empty()) log_info(log, "Resuming training for: " + py_list(resume));
    skip.insert(skip.end(), resume.begin(), resume.end());
    DisabledPipes disabled = nlp->select_pipes(skip);
    Reader train_corpus = r.train_corpus;
    Language* raw = nlp.get();
    int64_t max_epochs = r.max_epochs;
    nlp->initialize([train_corpus, raw, max_epochs]() {
      std::vector<Example> egs = train_corpus(*raw);
      if (max_epochs == -1 && egs.size() > 100) egs.erase(egs.begin() + 100, egs.end());
      return egs;
    });
    if (init_tok2vec(*nlp, config))
      log_info(log, "Loaded pretrained weights from " +
                        config["initialize"]["init_tok2vec"].get<std::string>());
    log_info(log, "Initialized pipeline components: " + py_list(nlp->pipe_names()));
  }
  warn_inconsistent_freezing(*nlp, r.frozen, r.annotating, log ? *log : std::cerr);
  return nlp;
}

std::string train(Language& nlp, const TrainOptions& options) {
  register_training();
  std::ostream& out = options.out ? *options.out : std::cout;
  std::ostream& err = options.err ? *options.err : std::cerr;
  Json config = nlp.config();
  Resolved T = resolve_training(config);
  seed_everything(T.seed);
  std::mt19937_64 rng(uint64_t(T.seed));
  // Data-parallel: every rank runs this loop in lockstep (same seed, same shuffles, same number
  // of steps); gradients are summed before finish_update, rank 0 alone evaluates, prints, saves.
  std::unique_ptr<distributed::ProcessGroup> group;
  if (options.distributed.world_size > 1)
    group = std::make_unique<distributed::ProcessGroup>(options.distributed);
  const bool is_rank0 = !group || group->rank() == 0;

  // Score weights: the components' defaults combined with [training.score_weights].
  std::vector<Json> defaults;
  for (Pipe* p : nlp.pipeline())
    if (has_factory(p->factory_name()))
      defaults.push_back(get_factory(p->factory_name()).default_score_weights);
  Json score_weights = combine_score_weights(defaults, T.score_weights);
  config["training"]["score_weights"] = score_weights;
  nlp.set_config(config);
  std::vector<std::pair<std::string, double>> weights;
  std::vector<std::string> score_cols;
  for (auto it = score_weights.begin(); it != score_weights.end(); ++it) {
    if (it.value().is_null()) continue;
    score_cols.push_back(it.key());
    weights.emplace_back(it.key(), it.value().get<double>());
  }

  fs::path output = options.output_path;
  const bool save = !options.output_path.empty() && is_rank0;
  fs::path last_dir = output / "model-last", best_dir = output / "model-best";
  if (save) {
    // Names that cannot be folders fail now, not at the first save after training steps.
    for (const std::string& name : nlp.component_names()) check_component_folder_name(name);
    std::error_code ec;
    fs::create_directories(output, ec);
    if (ec) throw Error("cannot create the output directory '" + output.string() + "': " + ec.message());
    // model-best and model-last from an earlier run stay until complete replacements take their
    // place; what a killed run left behind (temporary copies) goes.
    for (const auto& d : {best_dir, last_dir}) remove_stale_temp_dirs(d);
  }
  Optimizer& optimizer = *T.optimizer;
  out << "\u2139 Pipeline: " << py_list(nlp.pipe_names()) << "\n";
  if (!T.frozen.empty()) out << "\u2139 Frozen components: " << py_list(T.frozen) << "\n";
  if (!T.annotating.empty())
    out << "\u2139 Set annotations on update for: " << py_list(T.annotating) << "\n";
  out << "\u2139 Initial learn rate: " << py_float(optimizer.learn_rate()) << "\n";

  // The console logger's table (trainable, not frozen components).
  std::vector<std::string> logged;
  for (Pipe* p : nlp.pipeline())
    if (p->is_trainable() &&
        std::find(T.frozen.begin(), T.frozen.end(), p->name()) == T.frozen.end())
      logged.push_back(p->name());
  const bool console = T.logger.value("console_output", true) && is_rank0;
  const std::string progress_bar =
      T.logger.value("progress_bar", Json()).is_string() ? T.logger["progress_bar"].get<std::string>() : "";
  // ConsoleLogger.v3's output_file: one JSON line per evaluation; an existing file is kept
  // (spaCy warns and disables the log).
  std::ofstream log_stream;
  if (is_rank0 && T.logger.value("output_file", Json()).is_string()) {
    const fs::path log_path = T.logger["output_file"].get<std::string>();
    if (fs::exists(log_path)) {
      out << "\u26a0 Saving logs is disabled because " << log_path.string() << " already exists.\n";
    } else {
      if (log_path.has_parent_path()) fs::create_directories(log_path.parent_path());
      out << "\u2139 Saving results to " << log_path.string() << "\n";
      log_stream.open(log_path, std::ios::binary | std::ios::trunc);
      if (!log_stream) throw Error("cannot open the training log " + log_path.string() + " for writing");
    }
  }
  std::vector<std::string> header{"E", "#"};
  for (const auto& p : logged) header.push_back("Loss " + p);
  for (const auto& c : score_cols) header.push_back(c);
  header.push_back("Score");
  std::vector<size_t> widths;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string col = header[i];
    size_t w = i == 0 ? 3 : i == 1 ? 6 : col.size();
    if (col.size() > 13) col = col.substr(0, 10) + "...";
    for (auto& ch : col) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    header[i] = col;
    widths.push_back(std::max(col.size(), w));
  }
  if (console) {
    out << row(header, widths, false) << "\n";
    std::vector<std::string> rules;
    for (size_t w : widths) rules.push_back(std::string(w, '-'));
    out << row(rules, widths, false) << "\n";
    out.flush();
  }
  const bool show_progress = options.progress && console && is_rank0 && !progress_bar.empty() &&
                             isatty(STDERR_FILENO) && &err == &std::cerr;

  // Data.
  std::vector<Example> train_examples;
  if (T.max_epochs >= 0) {
    train_examples = T.train_corpus(nlp);
    if (train_examples.empty())
      throw ValueError("[E986] Could not create any training batches: check your [training] "
                       "config and the training corpus (it has no examples)");
  }
  std::optional<std::vector<Example>> dev_examples;
  auto evaluate = [&]() -> std::pair<double, Json> {
    if (!dev_examples) dev_examples = T.dev_corpus(nlp);
    Json scores = trfpipe::evaluate(nlp, *dev_examples);
    double weighted = 0;
    for (const auto& [k, w] : weights) {
      if (scores.contains(k) && scores[k].is_number()) weighted += scores[k].get<double>() * w;
    }
    return {weighted, scores};
  };
  auto save_checkpoint = [&](bool is_best) {
    if (!save) return;
    {
      std::optional<UseAveragedParams> avg;
      if (optimizer.use_averages()) avg.emplace(nlp, optimizer);
      nlp.to_disk(last_dir.string());
    }
    if (is_best) atomic_copy_dir(last_dir, best_dir);
  };

  std::vector<ParameterOwner*> trained;  // what finish_update steps
  for (Pipe* p : nlp.pipeline())
    if (p->is_trainable() &&
        std::find(T.frozen.begin(), T.frozen.end(), p->name()) == T.frozen.end())
      if (auto* owner = dynamic_cast<ParameterOwner*>(p)) trained.push_back(owner);
  if (group) group->broadcast_parameters(trained);
  std::vector<Example> shard;  // this rank's examples of the epoch
  double step_seconds = 0;

  Losses losses;
  std::vector<std::pair<double, int64_t>> results;
  int64_t words_seen = 0;
  int64_t step = 0;
  int64_t epoch = 0;
  bool stop = false;
  try {
    while (!stop && (T.max_epochs < 1 || epoch != T.max_epochs)) {
      if (T.max_epochs >= 0) std::shuffle(train_examples.begin(), train_examples.end(), rng);
      else train_examples = T.train_corpus(nlp);
      std::vector<Batch> batches;
      if (group) {
        // Rank r takes examples r, r + world, ... of the (identically) shuffled corpus; every rank
        // makes as many steps as the rank with the most batches (the others take part with empty
        // batches, i.e. zero gradients), so the collectives stay in step.
        shard.clear();
        for (size_t i = size_t(group->rank()); i < train_examples.size(); i += size_t(group->world_size()))
          shard.push_back(train_examples[i]);
        batches = T.batcher(shard);
        batches.resize(size_t(group->max(int64_t(batches.size()))));
      } else {
        batches = T.batcher(train_examples);
      }
      if (batches.empty() && step == 0)
        throw ValueError("[E986] Could not create any training batches: check your [training] "
                         "config (the batcher made no batch)");
      for (Batch& batch : batches) {
        // subdivide_batch: sorted by length, accumulate_gradient sub-batches.
        std::stable_sort(batch.begin(), batch.end(), [](const Example& a, const Example& b) {
          return a.predicted().size() < b.predicted().size();
        });
        size_t sub_len = batch.size() / size_t(T.accumulate_gradient);
        size_t start = 0;
        std::vector<Batch> subs;
        for (int64_t i = 0; i < T.accumulate_gradient; ++i) {
          size_t end = std::min(batch.size(), start + sub_len);
          if (end > start) subs.emplace_back(batch.begin() + int64_t(start), batch.begin() + int64_t(end));
          start = end;
        }
        if (start < batch.size()) subs.emplace_back(batch.begin() + int64_t(start), batch.end());
        const auto step_start = std::chrono::steady_clock::now();
        for (size_t i = 0; i < subs.size(); ++i) {
          // The last backward pass of the step: buckets may start their all-reduce during it.
          if (group && i + 1 == subs.size()) group->start_gradient_overlap(trained);
          nlp.update(subs[i], T.dropout, nullptr, losses, T.frozen, T.annotating);
        }
        // Sums, not means: spaCy's losses are sums over the batch, so the summed gradients of
        // W workers with batch B are the gradient of one worker with batch W x B.
        if (group) group->allreduce_gradients(trained);
        for (Pipe* p : nlp.pipeline())
          if (p->is_trainable() &&
              std::find(T.frozen.begin(), T.frozen.end(), p->name()) == T.frozen.end())
            static_cast<TrainablePipe*>(p)->finish_update(optimizer);
        optimizer.step_schedules();
        step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();

        std::optional<bool> is_best;
        double score = 0;
        Json other;
        if (step % T.eval_frequency == 0) {
          if (show_progress) err << "\r\033[K" << std::flush;
          if (is_rank0) {
            std::optional<UseAveragedParams> avg;
            if (optimizer.use_averages()) avg.emplace(nlp, optimizer);
            std::tie(score, other) = evaluate();
          }
          if (group) {
            // The table shows the losses of all workers; the others wait here while rank 0
            // evaluates, and all keep rank 0's score so patience stops them at the same step.
            std::vector<std::string> names = nlp.pipe_names();
            std::vector<double> summed;
            for (const auto& name : names) summed.push_back(losses.count(name) ? losses[name] : 0.0);
            summed = group->sum(summed);
            for (size_t i = 0; i < names.size(); ++i)
              if (losses.count(names[i]) || summed[i] != 0.0) losses[names[i]] = summed[i];
            score = group->broadcast({score})[0];
          }
          results.emplace_back(score, step);
          double best = -INFINITY;
          for (const auto& r : results) best = std::max(best, r.first);
          is_best = score == best;
        }
        for (const Example& eg : batch) words_seen += int64_t(eg.predicted().size());
        if (is_best) {
          // update_meta
          Json perf = Json::object();
          for (const auto& c : score_cols)
            if (other.contains(c)) perf[c] = other[c];
          for (const auto& name : nlp.pipe_names())
            if (losses.count(name)) perf[name + "_loss"] = losses[name];
          nlp.meta()["performance"] = perf;
          save_checkpoint(*is_best);
          if (log_stream.is_open()) {
            Json log_losses = Json::object(), log_scores = Json::object();
            for (const auto& p : logged) log_losses[p] = losses.count(p) ? losses[p] : 0.0;
            for (const auto& c : score_cols) {
              double v = other.contains(c) && other[c].is_number() ? other[c].get<double>() : 0.0;
              log_scores[c] = c == "speed" ? v : v * 100;
            }
            log_stream << Json{{"epoch", epoch}, {"step", step}, {"losses", log_losses},
                               {"scores", log_scores}, {"score", score}}
                              .dump()
                       << "\n";
            log_stream.flush();
          }
          if (console) {
            std::vector<std::string> cells{std::to_string(epoch), std::to_string(step)};
            for (const auto& p : logged) cells.push_back(fmt2(losses.count(p) ? losses[p] : 0.0));
            for (const auto& c : score_cols) {
              double v = other.contains(c) && other[c].is_number() ? other[c].get<double>() : 0.0;
              if (c != "speed") v *= 100;
              cells.push_back(fmt2(v));
            }
            cells.push_back(fmt2(score));
            out << row(cells, widths, true) << "\n";
            out.flush();
          }
          losses.clear();
        } else if (show_progress) {
          if (progress_bar == "train") {  // spaCy: steps towards max_steps since the last eval
            err << "\rLast Eval Epoch: " << (results.empty() ? 0 : epoch) << ": " << step << "/"
                << T.max_steps << " steps" << std::flush;
          } else {
            int64_t done = step % T.eval_frequency;
            err << "\rEpoch " << epoch + 1 << ": " << done << "/" << T.eval_frequency << " steps"
                << std::flush;
          }
        }
        // patience: the earliest best step.
        double best_score = -INFINITY;
        int64_t best_step = 0;
        for (const auto& r : results)
          if (r.first > best_score) {
            best_score = r.first;
            best_step = r.second;
          }
        if (T.patience && step - best_step >= T.patience) stop = true;
        if (T.max_steps && step >= T.max_steps) stop = true;
        ++step;
        if (stop) break;
      }
      ++epoch;
    }
  } catch (const std::exception& e) {
    if (group) group->report_failure(e.what());
    if (show_progress) err << "\r\033[K" << std::flush;
    if (save)
      out << "\u26a0 Aborting and saving the final best model. Encountered exception: "
          << e.what() << "\n";
    try {
      save_checkpoint(false);
    } catch (...) {
    }
    throw;
  }
  if (show_progress) err << "\r\033[K" << std::flush;
  save_checkpoint(false);
  double gradient_seconds = 0, buckets_summed = 0, buckets_early = 0;  // over all ranks
  if (group) {
    std::vector<double> totals = group->sum({double(words_seen), step_seconds, group->gradient_seconds(),
                                             double(group->buckets_summed()),
                                             double(group->buckets_started_early())});
    words_seen = int64_t(totals[0]);
    // Per worker on average (they run at the same time).
    step_seconds = totals[1] / group->world_size();
    gradient_seconds = totals[2] / group->world_size();
    buckets_summed = totals[3];
    buckets_early = totals[4];
    group->finish();
  }
  // Throughput, after spaCy's own messages (it prints none): the benchmark reads it.
  std::ostringstream summary;
  if (console) {
    summary << "\u2139 Trained " << step << " steps on " << (group ? group->world_size() : 1)
        << (group && group->world_size() > 1 ? " workers: " : " worker: ") << words_seen
        << " words in " << std::fixed << std::setprecision(2) << step_seconds << " s of steps ("
        << std::setprecision(0) << (step_seconds > 0 ? words_seen / step_seconds : 0.0)
        << " words/s)";
    if (group)
      summary << std::setprecision(2) << "; gradient all-reduce " << gradient_seconds << " s ("
          << std::setprecision(1) << 100.0 * gradient_seconds / std::max(step_seconds, 1e-9)
          << "% of the step time; " << std::setprecision(0) << buckets_early << " of "
          << buckets_summed << " buckets started during the backward pass)";
    summary << "\n";
  }
  if (save) {
    out << "\u2714 Saved pipeline to output directory\n" << last_dir.string() << "\n"
        << summary.str();
    return last_dir.string();
  }
  out << summary.str();
  return "";
}

std::string train_from_config_file(const std::string& config_path,
                                   const std::vector<std::pair<std::string, std::string>>& overrides,
                                   const TrainOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  if (config_path != "-" && !fs::exists(config_path))
    throw ConfigError({}, "Config file not found: " + config_path);
  if (options.output_path.empty()) {
    out << "\u2139 No output directory provided\n";
  } else if (options.distributed.rank == 0) {  // only rank 0 writes
    if (!fs::exists(options.output_path)) {
      std::error_code ec;
      fs::create_directories(options.output_path, ec);
      if (ec)
        throw Error("cannot create the output directory '" + options.output_path + "': " + ec.message());
      out << "\u2714 Created output directory: " << options.output_path << "\n";
    }
    out << "\u2139 Saving to output directory: " << options.output_path << "\n";
  }
  out << "\u2139 Using CPU\n";
  Json raw = load_config_file(config_path, overrides, /*interpolate=*/false);
  out << divider("Initializing pipeline") << "\n";
  out.flush();
  std::unique_ptr<Language> nlp =
      init_nlp(raw, options.verbose ? (options.err ? options.err : &std::cerr) : nullptr);
  out << "\u2714 Initialized pipeline\n";
  out << divider("Training pipeline") << "\n";
  out.flush();
  return train(*nlp, options);
}

}  // namespace trfpipe
