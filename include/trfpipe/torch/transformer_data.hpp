// doc._.trf_data: what the `transformer` component (spacy-transformers §1.4) stores on each Doc.
//
//   auto data = trfpipe::get_trf_data(doc);          // nullptr before the transformer ran
//   data->model_output.last_hidden_state;            // [n_spans, padded_len, width]
//   data->wordpieces.input_ids;                      // [n_spans, padded_len] int64
//   data->align;                                     // per spaCy token: rows of the flattened
//                                                    // [n_spans * padded_len, width] output
//
// All tensors are CPU, detached (no autograd history) and owned by the TransformerData.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "trfpipe/doc.hpp"
#include "trfpipe/subword_tokenizer.hpp"  // trfpipe::Ragged

namespace trfpipe {

// The subword tokenizer's output for a batch of spans (spacy-transformers' WordpieceBatch).
struct WordpieceBatch {
  std::vector<std::vector<std::string>> strings;  // pieces per span, padding included
  at::Tensor input_ids;                           // [n_spans, padded_len] int64
  at::Tensor attention_mask;                      // [n_spans, padded_len] float32 (1 = piece)
  std::vector<int64_t> lengths;                   // non-padding pieces per span
  at::Tensor token_type_ids;                      // [n_spans, padded_len] int64, or undefined
  int64_t size() const { return static_cast<int64_t>(lengths.size()); }
  int64_t padded_length() const { return input_ids.defined() && input_ids.dim() == 2 ? input_ids.size(1) : 0; }
  // Rows [start, end) (spans), as WordpieceBatch.__getitem__(slice).
  WordpieceBatch slice(int64_t start, int64_t end) const;
};

// The encoder's outputs (Hugging Face's ModelOutput, to_tuple order).
struct ModelOutput {
  at::Tensor last_hidden_state;            // [n_spans, padded_len, width]
  at::Tensor pooler_output;                // [n_spans, width] or undefined
  std::vector<at::Tensor> hidden_states;   // output_hidden_states: layers + 1 entries
  std::vector<at::Tensor> attentions;      // output_attentions: per layer
  // last_hidden_state, pooler_output (when defined), hidden_states..., attentions...
  std::vector<at::Tensor> to_tuple() const;
};

struct TransformerData {
  WordpieceBatch wordpieces;
  ModelOutput model_output;
  Ragged align;  // lengths[i] pieces for token i; data = rows of the flattened output
  // Token range [start, end) in the doc of each span (row of the outputs).
  std::vector<std::pair<int64_t, int64_t>> spans;
  // Tokens that had pieces but lost all of them to truncation (sorted); they get zero rows.
  std::vector<int64_t> cut_tokens;
  std::vector<at::Tensor> tensors() const { return model_output.to_tuple(); }
  int64_t width() const;  // last dimension of last_hidden_state (0 when empty)
  // Empty data (no spans): last_hidden_state [0, 0, width], every token aligned to nothing.
  static TransformerData empty(int64_t n_tokens = 0, int64_t width = 0);
  // spacy-transformers' TransformerData.zeros(length, width): one span of `length` zero rows,
  // token i aligned to row i.
  static TransformerData zeros(int64_t length, int64_t width);
};
using TransformerDataPtr = std::shared_ptr<TransformerData>;

// The Doc extension name ("trf_data"), registered (default: empty TransformerDataPtr) by
// install_trf_data_extension(); the transformer component installs it.
inline constexpr const char* kTrfDataExtension = "trf_data";
void install_trf_data_extension();
// doc._.trf_data, or nullptr when unset / not registered.
TransformerDataPtr get_trf_data(const Doc& doc);
void set_trf_data(Doc& doc, TransformerDataPtr data);

// The per-token rows of `data` with the 2019 spacy-transformers weighting (trf_tok2vec): every
// non-padding piece row is divided evenly among the tokens aligned to it; pieces aligned to no
// token of their span ([CLS], [SEP], other unaligned pieces) are shared by all tokens of that
// span except the cut_tokens (which stay zero rows). So the rows sum to the unpadded
// last_hidden_state sum (data.spans gives each row's tokens).
Matrix weighted_token_tensor(const TransformerData& data, size_t n_tokens);

// Installs doc.user_hooks / user_span_hooks / user_token_hooks "vector" and "similarity" based
// on doc.tensor, as spacy-transformers 0.x did: doc vector = tensor.sum(0), span vector = sum of
// its rows, token vector = its row, similarity = dot(v1, v2) / (|v1| |v2|) (0 when a norm is 0).
void install_tensor_vector_hooks(Doc& doc);

}  // namespace trfpipe
