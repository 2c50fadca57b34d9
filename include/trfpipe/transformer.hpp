// Torch-free access to what the transformer component stores on a Doc, for tools (the CLI's
// `apply --include-trf`) that must not include LibTorch headers. Part of libtrfpipe_core.so.
#pragma once
#include "trfpipe/doc.hpp"

namespace trfpipe {

// The transformer annotations of `doc` as JSON (keys only when set):
//   "tensor":   {"shape": [rows, cols], "rows": [[...], ...]}          (doc.tensor)
//   "trf_data": {"wordpieces": {"strings": [[...]], "input_ids": [[...]],
//                               "lengths": [...]},
//                "align": {"data": [...], "lengths": [...]},
//                "shape": [n_spans, padded_len, width]}                 (doc._.trf_data)
// and, from the 2019 trf_wordpiecer / trf_tok2vec components, under their extension names:
//   "trf_word_pieces_": [...], "trf_word_pieces": [...] (ids), "trf_alignment": [[...], ...],
//   "trf_last_hidden_state": {"shape": [n_pieces, width], "rows": [...]},
//   "trf_pooler_output": {"shape": [n_sents, width], "rows": [...]}  (models with a pooler)
Json transformer_doc_json(const Doc& doc);

}  // namespace trfpipe
