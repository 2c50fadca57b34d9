// spaCy's `debug model` (spacy/cli/debug_model.py) for LibTorch models. thinc walks a tree of
// layers; trfpipe's models are modules whose structure shows in two places: the component's
// config block (one promise per architecture, with its dims and settings) and the parameter names
// of its weights file (submodule paths under those blocks, "tok2vec.embed.hashembed0.E"). The tree
// printed here joins the two.
#include "trfpipe/debug_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/listener.hpp"
#include "training/augment.hpp"
#include "training/console_text.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/torch/optimizer.hpp"
#include "trfpipe/training.hpp"

namespace trfpipe {

namespace {

// One printed layer: a config block (an architecture) or a group of parameters inside one.
struct Layer {
  std::string name;   // registered name, or the submodule's name
  std::string where;  // config path ("model.tok2vec") or parameter path ("model.softmax")
  const Json* block = nullptr;                   // the config block, for config layers
  std::vector<std::pair<std::string, std::string>> params;  // (short name, full name)
};

bool is_promise(const Json& j) {
  if (!j.is_object()) return false;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!it.key().empty() && it.key()[0] == '@') return true;
  return false;
}

std::string registered_name(const Json& block) {
  for (auto it = block.begin(); it != block.end(); ++it)
    if (!it.key().empty() && it.key()[0] == '@' && it.value().is_string())
      return it.value().get<std::string>();
  return "?";
}

// thinc's dimension names (nO, nI, nP ...) and the sizes spaCy's architectures take.
bool is_dim(const std::string& key, const Json& value) {
  if (!value.is_null() && !value.is_number_integer()) return false;
  static const char* const sizes[] = {"width", "hidden_width", "depth", "embed_size",
                                      "window_size", "maxout_pieces", "ngram_size", "length",
                                      "rows", "hidden_size", "max_batch_items"};
  if (key.size() == 2 && key[0] == 'n' && std::isupper(static_cast<unsigned char>(key[1])))
    return true;
  return std::find(std::begin(sizes), std::end(sizes), key) != std::end(sizes);
}

// The walk: a config block, its parameter groups, then its child blocks (pre-order).
void walk(const Json& block, const std::string& rel, std::vector<Layer>& out,
          std::vector<std::pair<std::string, size_t>>& block_paths) {
  Layer layer;
  layer.name = registered_name(block);
  layer.where = rel.empty() ? "model" : "model." + rel;
  layer.block = &block;
  block_paths.emplace_back(rel, out.size());
  out.push_back(std::move(layer));
  for (auto it = block.begin(); it != block.end(); ++it)
    if (is_promise(it.value()))
      walk(it.value(), rel.empty() ? it.key() : rel + "." + it.key(), out, block_paths);
}

// Config layers from the model block, then each parameter put under the deepest block whose path
// prefixes its name; the rest of the name (up to the last dot) is its submodule.
std::vector<Layer> model_layers(const Json& model_block, const NamedTensors& params) {
  std::vector<Layer> config_layers;
  std::vector<std::pair<std::string, size_t>> block_paths;
  if (is_promise(model_block)) walk(model_block, "", config_layers, block_paths);
  else config_layers.push_back(Layer{"(model)", "model", nullptr, {}});
  // Parameter groups per config layer, in the order the parameters come.
  std::vector<std::vector<Layer>> groups(config_layers.size());
  for (const auto& [full, tensor] : params) {
    size_t owner = 0, best = 0;
    for (const auto& [path, index] : block_paths)
      if (!path.empty() && path.size() + 1 > best && full.compare(0, path.size() + 1, path + ".") == 0) {
        owner = index;
        best = path.size() + 1;
      }
    const std::string rest = full.substr(best);
    const size_t dot = rest.rfind('.');
    const std::string submodule = dot == std::string::npos ? "" : rest.substr(0, dot);
    const std::string short_name = dot == std::string::npos ? rest : rest.substr(dot + 1);
    if (submodule.empty()) {
      config_layers[owner].params.emplace_back(short_name, full);
      continue;
    }
    auto& list = groups[owner];
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Layer& l) { return l.name == submodule; });
    if (it == list.end()) {
      list.push_back(Layer{submodule, config_layers[owner].where + "." + submodule, nullptr, {}});
      it = list.end() - 1;
    }
    it->params.emplace_back(short_name, full);
  }
  std::vector<Layer> out;
  for (size_t i = 0; i < config_layers.size(); ++i) {
    out.push_back(config_layers[i]);
    for (auto& g : groups[i]) out.push_back(std::move(g));
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string shape_of(const at::Tensor& t) {
  std::string out = "(";
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? ", " : "") + std::to_string(t.size(d));
  return out + (t.dim() == 1 ? ",)" : ")");
}

// spaCy's _print_matrix: the shape and up to 5 values of the first row.
std::string sample_of(const at::Tensor& t) {
  at::Tensor row = t.detach().to(at::kFloat).cpu();
  while (row.dim() > 1) row = row[0];
  std::string out = "[";
  for (int64_t i = 0; i < std::min<int64_t>(5, row.numel()); ++i)
    out += (i ? ", " : "") + number(row[i].item<double>());
  return out + (row.numel() > 5 ? ", ...]" : "]");
}

std::string json_value(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

using Grads = std::map<std::string, at::Tensor>;

void print_model(const std::vector<Layer>& layers, const NamedTensors& params, const Grads* grads,
                 const DebugModelOptions& o, std::ostream& out) {
  std::map<std::string, at::Tensor> by_name(params.begin(), params.end());
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!o.layers.empty() &&
        std::find(o.layers.begin(), o.layers.end(), int64_t(i)) == o.layers.end())
      continue;
    const Layer& layer = layers[i];
    int64_t count = 0;
    for (const auto& p : layer.params) count += by_name.at(p.second).numel();
    out << "\u2139 Layer " << i << ": '" << layer.name << "' at " << layer.where;
    if (!layer.params.empty()) out << " (" << count << " weights)";
    out << "\n";
    if (o.dimensions && layer.block) {
      for (auto it = layer.block->begin(); it != layer.block->end(); ++it) {
        if (!is_dim(it.key(), it.value())) continue;
        std::string value = json_value(it.value());
        // An nO left to the data: the output layer's rows, once the model has them.
        if (it.key() == "nO" && it.value().is_null()) {
          for (size_t j = i + 1; j < layers.size() && !layers[j].block; ++j)
            for (const auto& p : layers[j].params)
              if (p.first == "W" && by_name.at(p.second).dim() == 2)
                value = std::to_string(by_name.at(p.second).size(0)) + " (from " + p.second + ")";
        }
        out << "\u2139  - dim " << it.key() << ": " << value << "\n";
      }
    }
    if (o.dimensions && !layer.block) {
      for (const auto& p : layer.params) {
        const at::Tensor& t = by_name.at(p.second);
        if (p.first == "W" && t.dim() == 2)
          out << "\u2139  - dim nO: " << t.size(0) << "\n\u2139  - dim nI: " << t.size(1) << "\n";
      }
    }
    if (o.parameters)
      for (const auto& p : layer.params) {
        const at::Tensor& t = by_name.at(p.second);
        out << "\u2139  - param " << p.first << ": " << shape_of(t) << " - sample: " << sample_of(t)
            << "\n";
      }
    if (o.gradients)
      for (const auto& p : layer.params) {
        auto g = grads ? grads->find(p.second) : Grads::const_iterator();
        if (!grads || g == grads->end()) {
          out << "\u2139  - grad " << p.first << ": False\n";
          continue;
        }
        out << "\u2139  - grad " << p.first << ": " << shape_of(g->second) << " - norm "
            << number(g->second.norm().item<double>()) << " - sample: " << sample_of(g->second)
            << "\n";
      }
    if (o.attributes && layer.block)
      for (auto it = layer.block->begin(); it != layer.block->end(); ++it) {
        if (it.key().empty() || it.key()[0] == '@' || is_dim(it.key(), it.value()) ||
            is_promise(it.value()))
          continue;
        out << "\u2139  - attr " << it.key() << ": " << json_value(it.value()) << "\n";
      }
  }
}

// spaCy's _sentences().
const std::vector<std::string>& sample_sentences() {
  static const std::vector<std::string> s = {
      "Apple is looking at buying U.K. startup for $1 billion",
      "Autonomous cars shift insurance liability toward manufacturers",
      "San Francisco considers banning sidewalk delivery robots",
      "London is a big city in the United Kingdom.",
  };
  return s;
}

// The pipes whose outputs the component listens to (its upstream tok2vec / transformer).
std::vector<std::string> upstreams_of(Language& nlp, Pipe& pipe) {
  std::vector<std::string> out;
  auto* listening = dynamic_cast<ListeningComponent*>(&pipe);
  if (!listening) return out;
  for (Listener* l : listening->listeners())
    for (Pipe* p : nlp.pipeline())
      if (p != &pipe && p->factory_name() == l->kind() && l->listens_to(l->kind(), p->name()) &&
          std::find(out.begin(), out.end(), p->name()) == out.end())
        out.push_back(p->name());
  return out;
}

}  // namespace

void debug_model(const Json& raw, const std::string& component, const DebugModelOptions& o,
                 std::ostream& out) {
  register_training();
  const Json config = interpolate(fill_config(raw));
  std::optional<int64_t> seed = o.seed;
  const Json training = config.value("training", Json::object());
  if (!seed && training.contains("seed") && training["seed"].is_number_integer())
    seed = training["seed"].get<int64_t>();
  if (seed) {
    out << "\u2139 Fixing random seed: " << *seed << "\n";
    // Before the pipeline is built: the models draw their weights when they are made.
    at::manual_seed(uint64_t(*seed));
    reseed_augmenters(uint64_t(*seed));
  }
  // As spaCy's: the pipeline and [training] only; the corpus is read at initialization, where
  // a missing one means sample data.
  std::unique_ptr<Language> nlp = Language::from_config(config);
  if (!nlp->has_pipe(component))
    throw ValueError("[E001] No component '" + component +
                     "' found in pipeline. Available names: " + py_list(nlp->component_names()));
  Pipe& pipe = nlp->get_pipe(component);
  auto* owner = dynamic_cast<ParameterOwner*>(&pipe);
  auto* trainable = dynamic_cast<TrainablePipe*>(&pipe);
  if (!owner || !trainable)
    throw ValueError("The component '" + component + "' (factory '" + pipe.factory_name() +
                     "') does not specify an object that holds a Model.");
  const Json components = nlp->config()["components"];
  const Json model_block = components[component].value("model", Json::object());
  auto print = [&](const char* title, const Grads* grads) {
    out << divider(title) << "\n";
    print_model(model_layers(model_block, owner->named_parameters()), owner->named_parameters(),
                grads, o, out);
  };
  out << "\u2139 Analysing the model of component '" << component << "' ("
      << (is_promise(model_block) ? registered_name(model_block) : pipe.factory_name()) << ")\n";

  // STEP 0: before training.
  if (o.print_before_training) print("STEP 0 - before training", nullptr);

  // STEP 1: initialize with the training corpus, else with sample sentences.
  std::vector<Example> examples;
  try {
    Reader train = resolve_corpora(config).first;
    nlp->initialize([&] { return train(*nlp); });
    std::vector<Example> all = train(*nlp);
    examples.assign(all.begin(), all.begin() + long(std::min<size_t>(5, all.size())));
    if (examples.empty()) throw ValueError("the training corpus has no examples");
    out << "\u2139 Initialized the model with the training corpus.\n";
  } catch (const Error& e) {
    out << "\u2139 The training corpus cannot be used (" << e.what() << ")\n";
    examples.clear();
    for (const std::string& text : sample_sentences()) {
      auto doc = std::make_shared<Doc>(nlp->make_doc(text));
      examples.emplace_back(doc, std::make_shared<Doc>(doc->copy()));
    }
    try {
      // spaCy sets the output layer's nO to 7; here outputs follow the labels, so every
      // component that takes labels gets 7 (the sample data has no annotation to find them in).
      for (Pipe* p : nlp->pipeline())
        if (auto* t = dynamic_cast<TrainablePipe*>(p))
          for (int i = 0; i < 7; ++i) t->add_label("LABEL_" + std::to_string(i));
      nlp->initialize([&] { return examples; });
    } catch (const Error& e2) {
      throw ValueError(std::string("Could not initialize the model: you'll have to provide a "
                                   "valid 'train_corpus' argument in the config file (") +
                       e2.what() + ")");
    }
    out << "\u2139 Initialized the model with dummy data.\n";
  }
  if (o.print_after_init) print("STEP 1 - after initialization", nullptr);

  // STEP 2: three updates of the component and its upstream, gradients kept from the last.
  std::vector<std::string> updated = upstreams_of(*nlp, pipe);
  updated.push_back(component);
  std::vector<std::string> exclude;
  for (const std::string& name : nlp->pipe_names())
    if (std::find(updated.begin(), updated.end(), name) == updated.end()) exclude.push_back(name);
  if (!config["training"].contains("optimizer"))
    throw ConfigError({"training", "optimizer"}, "field required");
  auto optimizer = registry::resolve(config["training"]["optimizer"], {"training", "optimizer"})
                       .as<std::shared_ptr<Optimizer>>();
  Grads grads;
  Losses losses;
  for (int step = 0; step < 3; ++step) {
    losses.clear();
    nlp->update(examples, 0.2, nullptr, losses, exclude);
    grads.clear();
    for (const auto& [name, param] : owner->named_parameters())
      if (param.grad().defined()) grads[name] = param.grad().detach().clone();
    for (const std::string& name : updated)
      static_cast<TrainablePipe&>(nlp->get_pipe(name)).finish_update(*optimizer);
  }
  out << "\u2139 Updated " << py_list(updated) << " 3 times; losses of the last update:";
  for (const auto& [name, loss] : losses) out << " " << name << " " << number(loss);
  out << "\n";
  if (o.print_after_training) print("STEP 2 - after training", &grads);

  // STEP 3: the prediction, on the examples' texts, by the pipes up to the component.
  if (o.print_prediction) {
    out << divider("STEP 3 - prediction") << "\n";
    for (const Example& eg : examples) {
      Doc doc = nlp->make_doc(eg.predicted().text());
      for (Pipe* p : nlp->pipeline()) {
        (*p)(doc);
        if (p == &pipe) break;
      }
      out << "\u2139 " << doc.to_json().dump() << "\n";
    }
  }
  out << "\u2714 Successfully ended analysis - model looks good.\n";
}

}  // namespace trfpipe
