// Loading and saving encoders as Hugging Face model folders (config.json + weights).
#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <malloc.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "models/encoders_internal.hpp"
#include "models/safetensors.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace fs = std::filesystem;

namespace trfpipe {
namespace {

std::string shape_str(at::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// A weights file of the model folder: a regular file (after symbolic links, which Hugging Face's
// cache uses), never a device such as /dev/zero that reads forever.
void require_regular_file(const fs::path& path, const std::string& source) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw DataError(source, -1, "'" + path.string() + "' is not a regular file");
}

// Reads the tensors of every shard listed by a *.index.json ("weight_map": name -> file). A shard
// is a file name inside the model folder: no absolute path, no "..", no device.
models::TensorMap read_sharded(const fs::path& index, bool safetensors) {
  Json j;
  try {
    j = parse_json_limited<Json>(read_file_bytes(index.string()));
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(index.string(), -1, std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw DataError(index.string(), -1, "missing the 'weight_map' object");
  std::set<std::string> files;
  for (auto& v : j["weight_map"]) {
    if (!v.is_string()) throw DataError(index.string(), -1, "weight_map values must be file names");
    const std::string f = v.get<std::string>();
    const fs::path rel(f);
    bool inside = !f.empty() && rel.is_relative() && f.find('\0') == std::string::npos;
    for (const auto& part : rel) inside = inside && part != ".." && part != ".";
    if (!inside)
      throw DataError(index.string(), -1,
                      "weight_map names '" + f + "': a shard must be a file inside the model folder");
    files.insert(f);
  }
  models::TensorMap all;
  for (const auto& f : files) {
    const fs::path path = index.parent_path() / f;
    require_regular_file(path, index.string());
    auto part = safetensors ? models::read_safetensors(path.string()).tensors
                            : models::read_torch_bin(path.string());
    for (auto& [k, t] : part) all[k] = t;
  }
  return all;
}

// The fewest values a model of `c` holds: embeddings and the matrices of every layer, without
// biases, norms and the pooler, so every complete checkpoint holds at least this many.
double min_parameters(const HFConfig& c) {
  const double h = double(c.hidden_size), e = double(c.embedding_width()), inner = double(c.intermediate_size);
  const double layer = 4 * h * h + 2 * h * inner;
  const double embeddings = (double(c.vocab_size) + double(c.max_position_embeddings) +
                             double(c.type_vocab_size)) * e;
  if (c.family == EncoderFamily::Albert)  // layers share the weights of their groups
    return embeddings + e * h + double(c.num_hidden_groups) * double(c.inner_group_num) * layer;
  return embeddings + double(c.num_hidden_layers) * layer;
}

std::string millions(double n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", n / 1e6);
  return buf;
}

}  // namespace

void models::check_encoder_fits(const HFConfig& config, double available_values,
                                const std::string& config_path, const std::string& weights) {
  // The slack lets a checkpoint that lacks a few weights (even its largest embedding) reach the
  // error naming them, while what a config.json beyond its weights can allocate stays bounded
  // (the weights' own size plus 64 MB of float32).
  constexpr double kSlackValues = double(1 << 24);
  const double need = min_parameters(config);
  if (need > available_values + kSlackValues)
    throw DataError(config_path, -1,
                    "config.json describes a " + config.model_type + " model of at least " +
                        millions(need) + " M parameters (" + std::to_string(config.num_hidden_layers) +
                        " layers, hidden size " + std::to_string(config.hidden_size) + ", vocabulary " +
                        std::to_string(config.vocab_size) + "), but " + weights + " holds only " +
                        millions(available_values) + " M values");
}

LoadReport load_encoder_weights(Encoder& encoder, const std::map<std::string, at::Tensor>& tensors,
                                const std::string& source) {
  std::map<std::string, at::Tensor> targets;
  for (const auto& p : encoder.named_parameters(true)) targets[p.key()] = p.value();
  for (const auto& b : encoder.named_buffers(true)) targets[b.key()] = b.value();
  const std::string prefix = encoder.config().base_model_prefix();

  LoadReport report;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;  // target, value
  std::set<std::string> assigned;
  for (const auto& [key, value] : tensors) {
    std::vector<std::string> candidates = {key};
    if (starts_with(key, prefix)) candidates.push_back(key.substr(prefix.size()));
    for (size_t i = 0, n = candidates.size(); i < n; ++i) {  // TF-era names
      const std::string k = candidates[i];  // a copy: push_back below may reallocate
      if (k.size() > 6 && k.compare(k.size() - 6, 6, ".gamma") == 0)
        candidates.push_back(k.substr(0, k.size() - 6) + ".weight");
      if (k.size() > 5 && k.compare(k.size() - 5, 5, ".beta") == 0)
        candidates.push_back(k.substr(0, k.size() - 5) + ".bias");
    }
    const std::string* hit = nullptr;
    for (const auto& c : candidates)
      if (targets.count(c)) {
        hit = &c;
        break;
      }
    if (!hit) {
      report.unexpected.push_back(key);
      continue;
    }
    if (*hit != key && starts_with(key, prefix)) report.prefix_stripped = prefix;
    const at::Tensor& target = targets[*hit];
    if (!value.defined() || value.sizes() != target.sizes())
      throw DataError(source, -1,
                      "shape mismatch for '" + *hit + "': checkpoint has " +
                          (value.defined() ? shape_str(value.sizes()) : std::string("no data")) +
                          ", the " + encoder.config().model_type + " model expects " +
                          shape_str(target.sizes()));
    if (!assigned.insert(*hit).second)
      throw DataError(source, -1, "weight '" + *hit + "' is given twice (with and without prefix)");
    copies.emplace_back(target, value);
  }
  // A checkpoint saved from a task model without the pooler (BertForMaskedLM, ...): the pooler is
  // newly initialised as Hugging Face's from_pretrained does, with a warning; any other missing
  // weight is an error.
  std::vector<std::string> missing;
  for (const auto& [name, t] : targets)
    if (!assigned.count(name)) {
      if (starts_with(name, "pooler."))
        report.newly_initialized.push_back(name);
      else
        missing.push_back(name);
    }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 10; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 10) list += ", ...";
    throw DataError(source, -1,
                    "checkpoint lacks " + std::to_string(missing.size()) + " weight(s) of the " +
                        encoder.config().model_type + " model: " + list);
  }
  {
    at::NoGradGuard no_grad;
    for (auto& [target, value] : copies) models::assign_weight(target, value);
    for (const auto& name : report.newly_initialized) {
      at::Tensor& t = targets[name];
      if (t.dim() == 2)
        t.normal_(0.0, encoder.config().initializer_range);
      else
        t.zero_();
    }
  }
  if (!report.newly_initialized.empty())
    std::cerr << "trfpipe: " << source << ": the checkpoint has no pooler weights; "
              << "pooler_output comes from a newly initialised pooler (as Hugging Face does)\n";
  if (!report.unexpected.empty()) {
    std::string eg;
    for (size_t i = 0; i < report.unexpected.size() && i < 3; ++i) eg += (i ? ", " : "") + report.unexpected[i];
    std::cerr << "trfpipe: " << source << ": ignored " << report.unexpected.size()
              << " tensor(s) the " << encoder.config().model_type << " encoder does not use (e.g. "
              << eg << ")\n";
  }
  return report;
}

std::shared_ptr<Encoder> load_encoder(const std::string& hf_dir, const Json& config_overrides,
                                      bool with_weights, LoadReport* report) {
  fs::path dir(hf_dir);
  if (!fs::is_directory(dir)) throw DataError(hf_dir, -1, "not a model folder");
  auto cfg_path = (dir / "config.json").string();
  HFConfig cfg = HFConfig::from_file(cfg_path);
  try {
    cfg = cfg.with_overrides(config_overrides);
  } catch (const ValueError& e) {
    throw DataError(cfg_path, -1, std::string("with transformer_config overrides: ") + e.what());
  }
  if (!with_weights) return models::build_encoder(cfg);
  // The weights are read before the modules are built, so a config.json that claims more than
  // the checkpoint holds fails here instead of allocating the model it describes.
  models::TensorMap tensors;
  std::string source;
  auto file = [&](const char* name) {
    source = (dir / name).string();
    require_regular_file(dir / name, source);
    return source;
  };
  if (fs::exists(dir / "model.safetensors")) {
    tensors = models::read_safetensors(file("model.safetensors")).tensors;
  } else if (fs::exists(dir / "model.safetensors.index.json")) {
    tensors = read_sharded(file("model.safetensors.index.json"), true);
  } else if (fs::exists(dir / "pytorch_model.bin")) {
    tensors = models::read_torch_bin(file("pytorch_model.bin"));
  } else if (fs::exists(dir / "pytorch_model.bin.index.json")) {
    tensors = read_sharded(file("pytorch_model.bin.index.json"), false);
  } else {
    throw DataError(hf_dir, -1, "no weights found (model.safetensors or pytorch_model.bin)");
  }
  double values = 0;
  for (const auto& [k, t] : tensors) values += double(t.numel());
  models::check_encoder_fits(cfg, values, cfg_path, source);
  auto enc = models::build_encoder(cfg);
  // Half-precision checkpoints are computed in float32: copy_ converts each weight as it is
  // assigned (converting every tensor up front would also convert the ones the model ignores).
  LoadReport loaded = load_encoder_weights(*enc, tensors, source);
  // The modules' constructors only allocated their weights (models/encoder_modules.hpp), and those
  // buffers are free now that mapped weights replaced them; the malloc tuning
  // (models/malloc_tuning.cpp) keeps freed memory in the heap, so hand back what anything written
  // there before (a converted float16 checkpoint, a previous model) left resident.
  tensors.clear();
  malloc_trim(0);
  if (report) *report = std::move(loaded);
  return enc;
}

namespace {
std::map<std::string, at::Tensor> float_state(const Encoder& encoder) {
  auto state = encoder.state_dict();
  for (auto& [k, t] : state) {
    t = t.detach().to(at::kCPU);
    if (t.is_floating_point()) t = t.to(at::kFloat);
  }
  return state;
}
}  // namespace

void save_encoder(const Encoder& encoder, const std::string& hf_dir, bool with_weights) {
  fs::path dir(hf_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError(hf_dir, -1, "cannot create the folder: " + ec.message());
  Json cfg = encoder.config().to_json();
  auto cfg_path = (dir / "config.json").string();
  std::ofstream out(cfg_path, std::ios::trunc);
  if (!out) throw DataError(cfg_path, -1, "cannot open the file for writing");
  out << cfg.dump(2) << "\n";
  out.close();
  if (!out) throw DataError(cfg_path, -1, "cannot write the file");
  if (with_weights)
    models::write_safetensors((dir / "model.safetensors").string(), float_state(encoder), {{"format", "pt"}});
}

std::string encoder_state_to_bytes(const Encoder& encoder) {
  return models::serialize_safetensors(float_state(encoder), {{"format", "pt"}});
}

LoadReport encoder_state_from_bytes(Encoder& encoder, const std::string& bytes, const std::string& source) {
  auto content = models::parse_safetensors(bytes, source);
  return load_encoder_weights(encoder, content.tensors, source);
}

void models::write_random_weights(const HFConfig& config, uint64_t seed, const std::string& path) {
  auto enc = make_encoder(config, seed);
  write_safetensors(path, float_state(*enc), {{"format", "pt"}});
}

}  // namespace trfpipe
