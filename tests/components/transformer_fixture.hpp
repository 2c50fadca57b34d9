// Shared fixtures of the transformer tests: a tiny random BERT (real bert-base-uncased vocab)
// written once per process with the models area's checkpoint writer.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "components/register.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"

namespace trfpipe::testing {

inline std::string temp_dir(const std::string& tag) {
  namespace fs = std::filesystem;
  fs::path p = fs::temp_directory_path() /
               ("trfpipe_trf_" + tag + "_" + std::to_string(::getpid()) + "_" +
                std::to_string(reinterpret_cast<uintptr_t>(&tag) & 0xffff));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

inline std::string bert_vocab() { return std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt"; }

constexpr int64_t kWidth = 32;

// A tiny checkpoint folder (2 layers, width 32, 2 heads, seed 7) of `arch` with `tokenizer`,
// written once per process and max_length (0: the architecture's default).
inline const std::string& tiny_checkpoint(const std::string& arch, const std::string& tokenizer,
                                          int64_t max_length) {
  static std::map<std::string, std::string> dirs;
  const std::string key = arch + std::to_string(max_length);
  auto it = dirs.find(key);
  if (it != dirs.end()) return it->second;
  HFCheckpointOptions o;
  o.arch = arch;
  o.layers = 2;
  o.width = kWidth;
  o.heads = 2;
  o.tokenizer_path = tokenizer;
  o.seed = 7;
  o.max_length = max_length;
  o.intermediate_size = 64;
  std::string dir = temp_dir(key);
  write_hf_checkpoint(dir, o);
  return dirs[key] = dir;
}

// A tiny BERT folder with the real bert-base-uncased vocab, max_length positions (0 = 512).
inline const std::string& tiny_bert(int64_t max_length = 0) {
  return tiny_checkpoint("bert", bert_vocab(), max_length);
}

// A tiny XLNet folder with the XLNet-style test spiece.model of tests/tokenization/fixtures/xlnet;
// max_length > 0 writes that model_max_length (else none: no limit).
inline const std::string& tiny_xlnet(int64_t max_length = 0) {
  return tiny_checkpoint("xlnet", std::string(TRFPIPE_SOURCE_DIR) + "/tests/tokenization/fixtures/xlnet/spiece.model",
                         max_length);
}

inline Json transformer_config(const std::string& name, const Json& get_spans, bool set_tensor,
                               const Json& transformer_cfg = Json::object()) {
  return Json{{"max_batch_items", 4096},
              {"set_doc_tensor", set_tensor},
              {"model", Json{{"@architectures", "spacy-transformers.TransformerModel.v3"},
                             {"name", name},
                             {"tokenizer_config", Json{{"use_fast", true}}},
                             {"transformer_config", transformer_cfg},
                             {"mixed_precision", false},
                             {"grad_scaler_config", Json::object()},
                             {"get_spans", get_spans}}}};
}

inline Json doc_spans_cfg() { return Json{{"@span_getters", "spacy-transformers.doc_spans.v1"}}; }
inline Json strided_cfg(int64_t window, int64_t stride) {
  return Json{{"@span_getters", "spacy-transformers.strided_spans.v1"}, {"window", window}, {"stride", stride}};
}

inline std::unique_ptr<Language> trf_nlp(const Json& cfg) {
  register_components();
  auto nlp = Language::blank("en");
  nlp->add_pipe("transformer", "transformer", cfg);
  nlp->link_components();
  return nlp;
}

}  // namespace trfpipe::testing
