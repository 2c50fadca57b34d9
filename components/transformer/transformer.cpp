// The transformer component, TransformerListener, Tok2VecTransformer and their registration.
#include "components/transformer/transformer.hpp"
#include "pipeline/file_io.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <ATen/ATen.h>

#include "components/common/registration.hpp"
#include "components/common/torch_pipe.hpp"
#include "models/encoders_internal.hpp"
#include "trfpipe/torch/hf_config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

namespace fs = std::filesystem;

// ---- annotation setters ----

AnnotationSetter null_annotation_setter() {
  return [](const std::vector<Doc*>&, const TransformerBatch&) {};
}

void set_doc_tensor_from_trf_data(Doc& doc) {
  TransformerDataPtr data = get_trf_data(doc);
  if (!data) return;
  doc.tensor() = weighted_token_tensor(*data, doc.size());
  install_tensor_vector_hooks(doc);
}

AnnotationSetter doc_tensor_setter() {
  return [](const std::vector<Doc*>& docs, const TransformerBatch&) {
    for (Doc* d : docs) set_doc_tensor_from_trf_data(*d);
  };
}

// ---- pooling ----

// The trainable components run on the CPU: rows of an encoder on CUDA (float16 under mixed
// precision) are pooled there and handed over as CPU float32, with autograd through the copy.
at::Tensor pool_doc_rows(const at::Tensor& rows, const Ragged& align, layers::Reduce how,
                         int64_t width) {
  const int64_t n_tokens = static_cast<int64_t>(align.lengths.size());
  // float32 for the components; float64 stays (the gradient checks run in double precision).
  const at::ScalarType dtype =
      rows.defined() && rows.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const auto opts = at::TensorOptions().dtype(dtype);
  if (rows.defined() && rows.dim() == 2) width = rows.size(1);
  if (n_tokens == 0) return at::zeros({0, width}, opts);
  if (align.data.empty() || !rows.defined() || rows.numel() == 0)
    return at::zeros({n_tokens, width}, opts);  // spacy-transformers: no alignment -> zeros
  at::Tensor idx = at::tensor(align.data, at::TensorOptions().dtype(at::kLong)).to(rows.device());
  at::Tensor pooled = layers::reduce(rows.index_select(0, idx), align.lengths, how);
  if (pooled.is_cpu() && pooled.scalar_type() == dtype) return pooled;
  return pooled.to(at::kCPU, dtype);
}

namespace {

std::mutex g_batch_mutex;
std::map<uint64_t, std::vector<TransformerDataPtr>>& batch_store() {
  static std::map<uint64_t, std::vector<TransformerDataPtr>> store;
  return store;
}
void store_batch(uint64_t id, std::vector<TransformerDataPtr> data) {
  std::lock_guard<std::mutex> lock(g_batch_mutex);
  batch_store()[id] = std::move(data);
}
void drop_batch(uint64_t id) {
  std::lock_guard<std::mutex> lock(g_batch_mutex);
  batch_store().erase(id);
}

}  // namespace

std::vector<TransformerDataPtr> transformer_batch_data(uint64_t batch_id) {
  std::lock_guard<std::mutex> lock(g_batch_mutex);
  auto it = batch_store().find(batch_id);
  return it == batch_store().end() ? std::vector<TransformerDataPtr>{} : it->second;
}

// ---- TransformerListenerModel ----

TransformerListenerModel::TransformerListenerModel(Pooling pooling, double grad_factor,
                                                   std::string upstream, int64_t width)
    : pooling_(std::move(pooling)), listener_("transformer", std::move(upstream), width, grad_factor) {}

std::vector<at::Tensor> TransformerListenerModel::forward(const std::vector<Doc*>& docs,
                                                          bool is_train) {
  std::vector<at::Tensor> out;
  out.reserve(docs.size());
  if (is_train && listener_.has_batch()) {
    const std::vector<at::Tensor>& rows = listener_.outputs(docs);  // verifies the batch
    std::vector<TransformerDataPtr> data = transformer_batch_data(listener_.batch_id());
    if (data.size() != docs.size())
      throw Error("transformer listener: no transformer data for batch " +
                  std::to_string(listener_.batch_id()));
    for (size_t i = 0; i < docs.size(); ++i)
      out.push_back(pool_doc_rows(rows[i], data[i]->align, pooling_.how, width()));
    return out;
  }
  for (Doc* doc : docs) {
    TransformerDataPtr data = get_trf_data(*doc);
    if (!data) {
      if (is_train)
        throw Error(
            "transformer listener (upstream '" + listener_.upstream_name() +
            "'): doc._.trf_data is not set (spaCy's E203). The upstream transformer must run "
            "before this component: add it to training.annotating_components when it is frozen, "
            "or update it in the same batch.");
      out.push_back(at::zeros({static_cast<int64_t>(doc->size()), width()}, at::kFloat));
      continue;
    }
    const at::Tensor& lhs = data->model_output.last_hidden_state;
    const int64_t w = data->width() > 0 ? data->width() : width();
    at::Tensor rows = lhs.defined() ? lhs.reshape({-1, w}) : at::Tensor();
    out.push_back(pool_doc_rows(rows, data->align, pooling_.how, w));
  }
  return out;
}

// ---- Tok2VecTransformerModel ----

Tok2VecTransformerModel::Tok2VecTransformerModel(TransformerModelPtr model, Pooling pooling,
                                                 double grad_factor)
    : model_(std::move(model)), pooling_(std::move(pooling)), grad_factor_(grad_factor) {}

std::vector<at::Tensor> Tok2VecTransformerModel::forward(const std::vector<Doc*>& docs,
                                                         bool is_train) {
  TransformerBatch batch = model_->forward(docs, is_train);
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < docs.size(); ++i) {
    at::Tensor rows = batch.doc_rows[i];
    if (is_train && rows.requires_grad() && grad_factor_ != 1.0) {
      rows = rows.clone();
      const double f = grad_factor_;
      rows.register_hook([f](at::Tensor g) { return g * f; });
    }
    out.push_back(pool_doc_rows(rows, batch.doc_data[i]->align, pooling_.how, model_->width()));
  }
  return out;
}

int64_t Tok2VecTransformerModel::width() const {
  std::error_code ec;
  if (!model_->loaded() && !fs::is_directory(model_->options().name, ec)) return 0;
  return model_->width();
}

void Tok2VecTransformerModel::collect(const std::string& prefix, NamedTensors& out) const {
  for (auto& [n, p] : model_->named_parameters()) out.push_back({prefix + "transformer." + n, p});
}

void Tok2VecTransformerModel::save_files(const std::string& dir) const {
  model_->to_disk((fs::path(dir) / "transformer").string(), /*with_weights=*/false);
}

void Tok2VecTransformerModel::load_files(const std::string& dir) {
  const fs::path folder = fs::path(dir) / "transformer";
  if (!fs::exists(folder / "config.json")) return;
  // The encoder's weights are in <dir>/model (float32): a config.json that describes a larger
  // model is refused before its modules are allocated.
  const fs::path config = folder / "config.json", weights = fs::path(dir) / "model";
  std::error_code ec;
  const auto bytes = fs::file_size(weights, ec);
  if (ec) throw DataError(weights.string(), -1, "component weights missing: " + ec.message());
  models::check_encoder_fits(HFConfig::from_file(config.string()), double(bytes) / 4, config.string(),
                             weights.string());
  model_->from_disk(folder.string(), /*with_weights=*/false);
}

// ---- TransformerPipe ----

TransformerPipe::TransformerPipe(std::string name, TransformerModelPtr model,
                                 AnnotationSetter set_extra, int64_t max_batch_items,
                                 bool set_doc_tensor)
    : TrainablePipe(std::move(name)),
      model_(std::move(model)),
      set_extra_(set_extra ? std::move(set_extra) : null_annotation_setter()),
      max_batch_items_(max_batch_items),
      set_doc_tensor_(set_doc_tensor) {
  if (max_batch_items_ <= 0)
    throw ValueError("transformer: max_batch_items must be positive, got " +
                     std::to_string(max_batch_items_));
  install_trf_data_extension();
}

std::any TransformerPipe::predict(const std::vector<Doc*>& docs) {
  return model_->forward(docs, false);
}

void TransformerPipe::set_annotations(const std::vector<Doc*>& docs, const std::any& scores) {
  const auto& batch = std::any_cast<const TransformerBatch&>(scores);
  if (batch.doc_data.size() != docs.size())
    throw Error("transformer: " + std::to_string(batch.doc_data.size()) + " outputs for " +
                std::to_string(docs.size()) + " docs");
  for (size_t i = 0; i < docs.size(); ++i) {
    set_trf_data(*docs[i], batch.doc_data[i]);
    if (set_doc_tensor_) set_doc_tensor_from_trf_data(*docs[i]);
  }
  set_extra_(docs, batch);
}

void TransformerPipe::pipe(const std::vector<Doc*>& docs, size_t batch_size) {
  if (batch_size == 0) batch_size = docs.empty() ? 1 : docs.size();
  for (size_t start = 0; start < docs.size(); start += batch_size) {
    const size_t end = std::min(docs.size(), start + batch_size);
    std::vector<size_t> lengths;
    for (size_t i = start; i < end; ++i) lengths.push_back(docs[i]->size());
    for (const auto& idx : batch_by_length(lengths, static_cast<size_t>(max_batch_items_))) {
      std::vector<Doc*> sub;
      for (size_t i : idx) sub.push_back(docs[start + i]);
      set_annotations(sub, predict(sub));
    }
  }
}

std::vector<Listener*> TransformerPipe::listeners() {
  if (!nlp_) return {};
  return find_listeners(*nlp_, "transformer", name());
}

void TransformerPipe::link_listeners() {
  if (!nlp_ || !model_->loaded()) return;
  const int64_t w = model_->width();
  for (Listener* l : listeners()) l->set_width(w);
}

void TransformerPipe::update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
                             Losses& losses) {
  losses.emplace(name(), 0.0);
  if (last_batch_) {
    drop_batch(last_batch_);
    last_batch_ = 0;
  }
  pending_ = false;
  deferred_ = nullptr;
  std::vector<Doc*> docs;
  for (const auto& eg : examples) docs.push_back(&eg.predicted());
  if (docs.empty()) return;
  TransformerBatch batch = model_->forward(docs, true);
  std::vector<Listener*> ls = listeners();
  if (ls.empty()) return;
  auto id_holder = std::make_shared<uint64_t>(0);
  pending_ = true;
  deferred_ = nullptr;
  const uint64_t id = broadcast_to_listeners(name(), ls, docs, batch.doc_rows, [this, sgd, id_holder] {
    if (*id_holder) drop_batch(*id_holder);
    pending_ = false;
    Optimizer* opt = sgd ? sgd : deferred_;
    deferred_ = nullptr;
    if (opt) finish_update(*opt);
  });
  *id_holder = id;
  store_batch(id, batch.doc_data);
  last_batch_ = id;
}

NamedTensors TransformerPipe::named_parameters() const { return model_->named_parameters(); }

void TransformerPipe::finish_update(Optimizer& optimizer) {
  if (pending_) {  // the listeners' backward pass has not run yet: step right after it
    deferred_ = &optimizer;
    return;
  }
  optimizer.step(name(), named_parameters());
}

void TransformerPipe::initialize(const GetExamples&, Language& nlp) {
  nlp_ = &nlp;
  model_->ensure_loaded();
  link_listeners();
}

void TransformerPipe::on_pipeline_built(Language& nlp) {
  nlp_ = &nlp;
  link_listeners();
}

void TransformerPipe::to_disk(const std::string& dir) const {
  fs::create_directories(dir);
  write_file_bytes((fs::path(dir) / "cfg").string(), Json{{"max_batch_items", max_batch_items_}}.dump(2));
  model_->to_disk(dir);
}

void TransformerPipe::from_disk(const std::string& dir) {
  const fs::path p = fs::path(dir) / "cfg";
  std::ifstream f(p);
  if (f) {
    Json c = read_json_file(p.string());
    if (c.contains("max_batch_items") && c["max_batch_items"].is_number_integer())
      max_batch_items_ = c["max_batch_items"].get<int64_t>();
  }
  model_->from_disk(dir);
  link_listeners();
}

// ---- registration ----

namespace {

using registry::arg;
using registry::Value;

Pooling pooling_from(const Value& args, const std::string& key, const ConfigPath& path) {
  const Value& v = args.at(key);
  if (v.is_object()) {
    if (const auto* p = std::any_cast<PoolingPtr>(&v.object())) return **p;
    // A pooling layer registered by another area: known by its registered name.
    const std::string& by = v.made_by();
    const std::string fname = by.substr(by.find(' ') == std::string::npos ? 0 : by.find(' ') + 1);
    try {
      return Pooling{layers::reduce_from_name(fname), fname};
    } catch (const Error&) {
    }
  }
  ConfigPath p = path;
  p.push_back(key);
  throw ConfigError(p, "expected a pooling layer (reduce_mean.v1, reduce_max.v1, reduce_sum.v1, "
                       "reduce_first.v1, reduce_last.v1), got " + v.describe());
}

SpanGetter span_getter_from(const Value& args, const ConfigPath& path) {
  const Value& v = args.at("get_spans");
  if (v.is_object())
    if (const auto* p = std::any_cast<SpanGetter>(&v.object())) return *p;
  ConfigPath p = path;
  p.push_back("get_spans");
  throw ConfigError(p, "expected a span getter (@span_getters), got " + v.describe());
}

Json json_or_empty(const Value& args, const std::string& key) {
  if (!args.has(key)) return Json::object();
  const Value& v = args.at(key);
  if (v.is_null()) return Json::object();
  return v.json();
}

TransformerModelPtr transformer_model_from(const Value& a, const ConfigPath& path, int version) {
  TransformerModelOptions o;
  o.name = registry::get_str(a, "name");
  o.tokenizer_config = json_or_empty(a, "tokenizer_config");
  if (version >= 2) o.transformer_config = json_or_empty(a, "transformer_config");
  if (version >= 3) {
    o.mixed_precision = registry::get_bool(a, "mixed_precision");
    o.grad_scaler_config = json_or_empty(a, "grad_scaler_config");
  }
  return std::make_shared<TransformerModel>(std::move(o), span_getter_from(a, path));
}

std::vector<registry::ArgSpec> transformer_model_args(int version, bool tok2vec) {
  std::vector<registry::ArgSpec> args{arg("name", "str"), arg("get_spans", "Callable"),
                                      arg("tokenizer_config", "dict", Json::object())};
  if (tok2vec) {
    args.push_back(arg("pooling", "Model"));
    args.push_back(arg("grad_factor", "float", 1.0));
  }
  if (version >= 2) args.push_back(arg("transformer_config", "dict", Json::object()));
  if (version >= 3) {
    args.push_back(arg("mixed_precision", "bool", false));
    args.push_back(arg("grad_scaler_config", "dict", Json::object()));
  }
  return args;
}

}  // namespace

void register_transformer_components() {
  static std::once_flag once;
  std::call_once(once, [] {
    install_trf_data_extension();
    // Span getters.
    add_function("span_getters", "spacy-transformers.doc_spans.v1", {},
        [](const Value&, const ConfigPath&) -> std::any { return doc_spans(); }, "Callable[[List[Doc]], List[List[Span]]]");
    add_function("span_getters", "spacy-transformers.sent_spans.v1", {},
        [](const Value&, const ConfigPath&) -> std::any { return sent_spans(); }, "Callable[[List[Doc]], List[List[Span]]]");
    add_function("span_getters", "spacy-transformers.strided_spans.v1",
        {arg("window", "int", 128), arg("stride", "int", 96)},
        [](const Value& a, const ConfigPath&) -> std::any {
          return strided_spans(registry::get_int(a, "window"), registry::get_int(a, "stride"));
        },
        "Callable[[List[Doc]], List[List[Span]]]");
    // Annotation setters.
    add_function("annotation_setters", "spacy-transformers.null_annotation_setter.v1", {},
        [](const Value&, const ConfigPath&) -> std::any { return null_annotation_setter(); },
        "Callable[[List[Doc], FullTransformerBatch], None]");
    add_function("annotation_setters", "trfpipe.doc_tensor_setter.v1", {},
        [](const Value&, const ConfigPath&) -> std::any { return doc_tensor_setter(); },
        "Callable[[List[Doc], FullTransformerBatch], None]");
    // Pooling layers (unless the layers area registered its own).
    const std::pair<const char*, layers::Reduce> poolings[] = {
        {"reduce_mean.v1", layers::Reduce::Mean}, {"reduce_max.v1", layers::Reduce::Max},
        {"reduce_sum.v1", layers::Reduce::Sum},   {"reduce_first.v1", layers::Reduce::First},
        {"reduce_last.v1", layers::Reduce::Last}};
    for (const auto& [n, how] : poolings) {
      if (registry::get("layers").has(n)) continue;
      const std::string name = n;
      const layers::Reduce h = how;
      add_function("layers", name, {}, [name, h](const Value&, const ConfigPath&) -> std::any {
            return std::make_shared<Pooling>(Pooling{h, name});
          },
          "Model[Ragged, Floats2d]");
    }
    // Architectures.
    for (int v = 1; v <= 3; ++v) {
      add_function("architectures", "spacy-transformers.TransformerModel.v" + std::to_string(v),
          transformer_model_args(v, false),
          [v](const Value& a, const ConfigPath& path) -> std::any {
            return transformer_model_from(a, path, v);
          },
          "Model[List[Doc], FullTransformerBatch]");
      add_function("architectures", "spacy-transformers.Tok2VecTransformer.v" + std::to_string(v),
          transformer_model_args(v, true),
          [v](const Value& a, const ConfigPath& path) -> std::any {
            return Tok2VecPtr(std::make_shared<Tok2VecTransformerModel>(
                transformer_model_from(a, path, v), pooling_from(a, "pooling", path),
                registry::get_float(a, "grad_factor")));
          },
          "Model[List[Doc], List[Floats2d]]");
    }
    add_function("architectures", "spacy-transformers.TransformerListener.v1",
        {arg("pooling", "Model"), arg("grad_factor", "float", 1.0), arg("upstream", "str", "*")},
        [](const Value& a, const ConfigPath& path) -> std::any {
          return Tok2VecPtr(std::make_shared<TransformerListenerModel>(
              pooling_from(a, "pooling", path), registry::get_float(a, "grad_factor"),
              registry::get_str(a, "upstream")));
        },
        "Model[List[Doc], List[Floats2d]]");

    // The factory.
    FactoryMeta meta;
    meta.name = "transformer";
    meta.default_config = Json{
        {"max_batch_items", 4096},
        {"set_extra_annotations",
         Json{{"@annotation_setters", "spacy-transformers.null_annotation_setter.v1"}}},
        {"model", Json{{"@architectures", "spacy-transformers.TransformerModel.v3"},
                       {"name", "roberta-base"},
                       {"tokenizer_config", Json{{"use_fast", true}}},
                       {"transformer_config", Json::object()},
                       {"mixed_precision", false},
                       {"grad_scaler_config", Json::object()},
                       {"get_spans", Json{{"@span_getters", "spacy-transformers.strided_spans.v1"},
                                          {"window", 128},
                                          {"stride", 96}}}}},
        {"set_doc_tensor", false}};
    meta.assigns = {"doc._.trf_data"};
    meta.make = [](Language&, const std::string& name, const registry::Value& config) {
      const Value& m = config.at("model");
      const TransformerModelPtr* model =
          m.is_object() ? std::any_cast<TransformerModelPtr>(&m.object()) : nullptr;
      if (!model)
        throw ConfigError({"components", name, "model"},
                          "the transformer component needs a spacy-transformers.TransformerModel "
                          "architecture, got " + m.describe());
      AnnotationSetter setter;
      const Value& s = config.at("set_extra_annotations");
      if (s.is_object()) {
        if (const auto* p = std::any_cast<AnnotationSetter>(&s.object())) setter = *p;
      }
      if (!setter && !s.is_null())
        throw ConfigError({"components", name, "set_extra_annotations"},
                          "expected an annotation setter (@annotation_setters), got " + s.describe());
      const bool set_tensor = config.has("set_doc_tensor") && registry::get_bool(config, "set_doc_tensor");
      const int64_t mbi = registry::get_int(config, "max_batch_items");
      if (mbi <= 0)
        throw ConfigError({"components", name, "max_batch_items"},
                          "must be a positive integer, got " + std::to_string(mbi));
      return std::unique_ptr<Pipe>(
          std::make_unique<TransformerPipe>(name, *model, setter, mbi, set_tensor));
    };
    // spacy-transformers' replace_listener_cfg / replace_listener: a TransformerListener becomes
    // a Tok2VecTransformer with the transformer's model and the listener's pooling.
    meta.listener_architectures = {"spacy-transformers.TransformerListener.v1"};
    meta.replace_listener_cfg = [](const Json& upstream_model, const Json& listener) {
      Json result = upstream_model;
      if (result.value("@architectures", std::string()).find("TransformerModel") !=
              std::string::npos &&
          listener.value("@architectures", std::string()).find("TransformerListener") !=
              std::string::npos) {
        result["@architectures"] = "spacy-transformers.Tok2VecTransformer.v3";
        for (const char* key : {"pooling", "grad_factor"})
          if (listener.contains(key) && !result.contains(key)) result[key] = listener[key];
      }
      return result;
    };
    meta.copy_into_listener_folder = [](Pipe& upstream, const std::string& dir,
                                        const std::string& prefix) {
      auto& trf = dynamic_cast<TransformerPipe&>(upstream);
      // Where Tok2VecTransformerModel::load_files finds its config and tokenizer.
      trf.model().to_disk((fs::path(dir) / "transformer").string(), /*with_weights=*/false);
      add_weights_to_component_folder(dir, trf.named_parameters(), prefix + "transformer.");
    };
    register_factory(std::move(meta));
    register_legacy_transformer_components();
  });
}

}  // namespace trfpipe
