#include "components/common/torch_pipe.hpp"
#include "pipeline/file_io.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "models/safetensors.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_lines.hpp"

namespace trfpipe {

namespace fs = std::filesystem;

namespace {
std::string shape_str(const at::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}
}  // namespace

// ---- TorchPipe ----
NamedTensors TorchPipe::named_parameters() const {
  NamedTensors out;
  collect(out);
  return out;
}

void TorchPipe::finish_update(Optimizer& optimizer) { optimizer.step(name(), named_parameters()); }

std::vector<Listener*> TorchPipe::listeners() {
  Tok2VecModel* t = tok2vec_model();
  Listener* l = t ? t->listener() : nullptr;
  if (!l) return {};
  return {l};
}

void TorchPipe::on_pipeline_built(Language& nlp) {
  if (Tok2VecModel* m = vectors_model()) m->initialize_vectors(nlp.vocab().vectors());
}

void TorchPipe::finish_backward(Losses& losses) {
  if (Tok2VecModel* t = tok2vec_model()) t->finish_backward(losses);
}

bool TorchPipe::add_label_to(std::vector<std::string>& labels, const std::string& label) const {
  if (std::find(labels.begin(), labels.end(), label) != labels.end()) return false;
  require_not_initialized("add label '" + label + "'");
  labels.push_back(label);
  return true;
}

void TorchPipe::require_not_initialized(const std::string& what) const {
  if (initialized_)
    throw ValueError("Cannot " + what + " on component '" + name() +
                     "' after it was initialized (the output layer is already sized)");
}

void TorchPipe::initialize_with_settings(const GetExamples& get_examples, Language& nlp,
                                         const registry::Value& settings) {
  const std::string config_path = "[initialize.components." + name() + "]";
  for (const auto& [key, value] : settings.items()) {
    if (key != "labels") {
      if (!initialize_setting(key, value))
        throw ConfigError({"initialize", "components", name(), key},
                          "unexpected initialization setting of the '" + factory_name() +
                              "' component (it takes labels)");
      continue;
    }
    if (value.is_null()) continue;  // from the examples
    if (value.is_object()) {
      if (const auto* file = std::any_cast<JsonFile>(&value.object())) {
        set_initial_labels(file->value, file->path);
        continue;
      }
      if (const auto* json = std::any_cast<Json>(&value.object())) {
        if (!json->is_null()) set_initial_labels(*json, config_path + " labels");
        continue;
      }
      throw ConfigError({"initialize", "components", name(), "labels"},
                        "expected a list of labels or {\"@readers\": \"spacy.read_labels.v1\", "
                        "\"path\": ...}, got " + value.describe());
    }
    set_initial_labels(value.json(), config_path + " labels");
  }
  initialize(get_examples, nlp);
}

void TorchPipe::set_initial_labels(const Json&, const std::string&) {
  throw ConfigError({"initialize", "components", name(), "labels"},
                    "the '" + factory_name() + "' component takes no labels");
}

std::vector<std::string> TorchPipe::label_list(const Json& labels,
                                               const std::string& source) const {
  std::vector<std::string> out;
  bool ok = labels.is_array();
  if (ok)
    for (const auto& l : labels) {
      if (!l.is_string()) {
        ok = false;
        break;
      }
      out.push_back(l.get<std::string>());
    }
  if (!ok)
    throw DataError(source, -1,
                    "the labels of component '" + name() +
                        "' must be a JSON list of strings (as `trfpipe init labels` writes), got " +
                        std::string(labels.type_name()));
  return out;
}

void TorchPipe::to_disk(const std::string& dir) const {
  fs::create_directories(dir);
  write_file_bytes((fs::path(dir) / "cfg").string(), cfg().dump(2));
  if (const Tok2VecModel* t2v = tok2vec_model()) t2v->save_files(dir);
  models::TensorMap tensors;
  for (const auto& [n, p] : named_parameters()) tensors[n] = p.detach().contiguous();
  models::write_safetensors((fs::path(dir) / "model").string(), tensors);
}

void TorchPipe::from_disk(const std::string& dir) {
  const fs::path cfg_path = fs::path(dir) / "cfg", model_path = fs::path(dir) / "model";
  std::ifstream f(cfg_path);
  if (!f) throw DataError(cfg_path.string(), -1, "component '" + name() + "': cfg file missing");
  Json c = read_json_file(cfg_path.string());
  if (Tok2VecModel* t2v = tok2vec_model()) t2v->load_files(dir);  // before sizing layers
  load_cfg(c);
  models::SafetensorsContent st = models::read_safetensors(model_path.string());
  at::NoGradGuard no_grad;
  for (const auto& [n, p] : named_parameters()) {
    auto it = st.tensors.find(n);
    if (it == st.tensors.end())
      throw DataError(model_path.string(), -1,
                      "component '" + name() + "': no weights for '" + n + "'");
    if (it->second.sizes() != p.sizes())
      throw DataError(model_path.string(), -1,
                      "component '" + name() + "': weights '" + n + "' have shape " +
                          shape_str(it->second) + " but the model expects " + shape_str(p));
    models::assign_weight(p, it->second.to(at::kFloat));
  }
  initialized_ = true;
}

void add_weights_to_component_folder(const std::string& dir, const NamedTensors& params,
                                     const std::string& prefix) {
  const std::string path = (fs::path(dir) / "model").string();
  models::TensorMap tensors = models::read_safetensors(path).tensors;
  for (const auto& [n, p] : params) {
    if (tensors.count(prefix + n))
      throw Error("replace_listeners: the weights in '" + path + "' already have '" + prefix + n +
                  "'");
    tensors[prefix + n] = p.detach().contiguous();
  }
  models::write_safetensors(path, tensors);
}

Json json_labels(const std::vector<std::string>& labels) {
  Json j = Json::array();
  for (const auto& l : labels) j.push_back(l);
  return j;
}

std::vector<Doc*> predicted_docs(const std::vector<Example>& examples) {
  std::vector<Doc*> docs;
  for (const auto& eg : examples) docs.push_back(&eg.predicted());
  return docs;
}

size_t total_tokens(const std::vector<Doc*>& docs) {
  size_t n = 0;
  for (const Doc* d : docs) n += d->size();
  return n;
}

}  // namespace trfpipe
