// spacy-transformers' TransformerModel (§1.5) on LibTorch: span getter -> subword tokenizer ->
// alignment -> truncation -> Hugging Face encoder, plus the span getters (§1.3) and
// batch_by_length (§1.10).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "trfpipe/doc.hpp"
#include "trfpipe/subword_tokenizer.hpp"
#include "trfpipe/torch/encoder.hpp"
#include "trfpipe/torch/transformer_data.hpp"

namespace trfpipe {

// Per doc, the token ranges [start, end) given to the transformer as separate sequences.
using TokenRange = std::pair<int64_t, int64_t>;
using SpanGetter = std::function<std::vector<std::vector<TokenRange>>(const std::vector<Doc*>&)>;

SpanGetter doc_spans();                              // spacy-transformers.doc_spans.v1
SpanGetter sent_spans();                             // spacy-transformers.sent_spans.v1
SpanGetter strided_spans(int64_t window, int64_t stride);  // spacy-transformers.strided_spans.v1
std::vector<TokenRange> strided_ranges(int64_t n_tokens, int64_t window, int64_t stride);

// Indices into `lengths` grouped in batches of at most max_words = longest * count (a single
// longer item still gets its own batch), sorted by (length, index); the batches in reverse.
std::vector<std::vector<size_t>> batch_by_length(const std::vector<size_t>& lengths,
                                                 size_t max_words);

// Inference without most padding work: the rows of one encoder call (real piece counts
// `lengths`, any order) split into groups of similar length, each run padded only to its own
// longest row. Groups are runs of the length-sorted rows chosen by dynamic programming to minimise
// sum(rows x longest (1 + longest / (6 width))) + call_cost per group: the first term is the
// linear layers' work, the second the attention's, call_cost (in pieces) what one more encoder
// call costs. Returned as row indices, each group sorted by length.
std::vector<std::vector<int64_t>> plan_length_groups(const std::vector<int64_t>& lengths,
                                                     int64_t width, double call_cost = 8.0);

// Encoder work of the forward passes so far, in multiply-add FLOPs (linear layers and the two
// attention products; embeddings and norms left out): `useful` counts real pieces only (each
// row at its real length), `done` what ran (rows at their padded length).
struct EncoderWork {
  double useful_flops = 0, done_flops = 0;
  int64_t calls = 0;
  double padding_share() const { return done_flops > 0 ? 1.0 - useful_flops / done_flops : 0.0; }
};

struct TransformerModelOptions {
  std::string name;                        // a local Hugging Face model folder
  Json tokenizer_config = Json::object();  // use_fast etc. (accepted; the tokenizer is native)
  Json transformer_config = Json::object();  // HF config overrides (output_hidden_states ...)
  bool mixed_precision = false;
  Json grad_scaler_config = Json::object();
};

// The result of one forward pass over a batch of docs.
struct TransformerBatch {
  std::vector<TransformerDataPtr> doc_data;  // detached, CPU; one per doc
  // Per doc the flattened last hidden state rows [n_spans * padded_len, width] WITH autograd
  // history when the forward ran with gradients (what listeners pool from).
  std::vector<at::Tensor> doc_rows;
};

class TransformerModel {
 public:
  TransformerModel(TransformerModelOptions options, SpanGetter get_spans);
  const TransformerModelOptions& options() const { return options_; }

  // Loads tokenizer and encoder from options().name when not loaded yet (a clear Error when the
  // name is not a local folder: nothing is downloaded).
  void ensure_loaded();
  bool loaded() const { return encoder_ != nullptr; }
  int64_t width();
  Encoder& encoder();
  SubwordTokenizer& tokenizer();
  // The longest piece sequence the model accepts (tokenizer model_max_length, bounded by the
  // position table).
  int64_t max_length();

  // Runs the encoder over the docs' spans. is_train: train() mode (HF dropout) with autograd;
  // otherwise eval() without gradient.
  TransformerBatch forward(const std::vector<Doc*>& docs, bool is_train);

  // Writes config.json, the tokenizer files and (with_weights) model.safetensors into dir; reads
  // them back. Without weights the encoder is built from config.json alone and its weights must
  // come from elsewhere (a Tok2VecTransformer's are in its component's model file).
  void to_disk(const std::string& dir, bool with_weights = true);
  void from_disk(const std::string& dir, bool with_weights = true);

  // Parameters under their Hugging Face names.
  std::vector<std::pair<std::string, at::Tensor>> named_parameters();
  // Inference (is_train false) runs the encoder by length groups (plan_length_groups), unless the
  // encoder runs packed tokens (models::runs_packed_tokens: no padding work, one call); outputs at
  // real pieces equal the padded call's up to float rounding. Padded positions hold what the
  // group's call computed there, zeros beyond the group's longest row (HF's values at padding
  // depend on the padding anyway). On by default; off runs one padded call per sub-batch.
  void set_length_groups(bool on) { length_groups_ = on; }
  bool length_groups() const { return length_groups_; }
  // Packed tokens: a sub-batch of more real pieces than this runs as several calls of consecutive
  // rows (a row longer than it alone), so the activations of a large sub-batch are not all held
  // at once; 0: one call. 512 pieces keep every product large enough for the GEMM's full speed
  // (the same words/s as 1024 in pipeline_bench) and 52 MB less peak memory than 1024.
  static constexpr int64_t kDefaultMaxPackedTokens = 512;
  void set_max_packed_tokens(int64_t n) { max_packed_tokens_ = n; }
  EncoderWork encoder_work() const;
  void reset_encoder_work();

  // Number of truncation warnings printed by this model (0 or 1).
  int truncation_warnings() const { return truncation_warnings_; }

  // Replaces tokenizer and encoder (tests, legacy components).
  void set(std::shared_ptr<SubwordTokenizer> tokenizer, std::shared_ptr<Encoder> encoder);

 private:
  void load_from(const std::string& dir, const Json& overrides, bool with_weights = true);
  EncoderOutput encode_by_length_groups(const EncoderInput& in, const std::vector<int64_t>& lengths,
                                        bool pads_left);
  // One call per group of rows, each cut to its group's longest row, written back into outputs
  // of the whole batch's shape; `packed`: the encoder packs tokens (no padding work counted).
  EncoderOutput encode_row_groups(const EncoderInput& in, const std::vector<int64_t>& lengths,
                                  const std::vector<std::vector<int64_t>>& groups, bool pads_left,
                                  bool packed);
  // padded_to 0: packed tokens (each row at its own length, no padding work).
  void count_work(const std::vector<int64_t>& lengths, int64_t padded_to);
  TransformerModelOptions options_;
  SpanGetter get_spans_;
  std::shared_ptr<SubwordTokenizer> tokenizer_;
  std::shared_ptr<Encoder> encoder_;
  int truncation_warnings_ = 0;
  bool length_groups_ = true;
  int64_t max_packed_tokens_ = kDefaultMaxPackedTokens;
  mutable std::mutex work_mutex_;  // forward runs concurrently on several threads
  EncoderWork work_;
};
using TransformerModelPtr = std::shared_ptr<TransformerModel>;

}  // namespace trfpipe
