// spaCy's `debug model` (spacy/cli/debug_model.py) for trfpipe's LibTorch models: a component's
// model printed as a tree before initialization, after it, after a few training updates on
// sample data, and its prediction. Torch-free header; the work is in training/.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/config.hpp"

namespace trfpipe {

struct DebugModelOptions {
  std::vector<int64_t> layers;  // -l: the layer numbers to print (empty: all)
  bool dimensions = false;      // -DIM: nO, nI, width ... of each layer
  bool parameters = false;      // -PAR: shape, size and a sample of each parameter
  bool gradients = false;       // -GRAD: each parameter's gradient (norm and a sample)
  bool attributes = false;      // -ATTR: the other settings of each layer's config block
  bool print_before_training = false;  // -P0
  bool print_after_init = false;       // -P1
  bool print_after_training = false;   // -P2
  bool print_prediction = false;       // -P3
  std::optional<int64_t> seed;         // instead of [training] seed
};

// The model tree: one layer per config block of the component's model (its registered
// architecture, dims and settings) and one per group of parameters inside it (submodule names
// from the weights file), numbered in walk order as `-l` selects them. Stages as spaCy's: the
// pipeline is built from `config` (raw, overrides applied), initialized with the training
// corpus ([training] train_corpus; its first 5 examples) or, when that cannot be read, with
// spaCy's four sample sentences and 7 labels; then 3 updates of the component and the upstream
// it listens to (dropout 0.2, the [training] optimizer), then its prediction on the examples.
// `component` not in the pipeline: ValueError E001 naming it and the available ones.
void debug_model(const Json& config, const std::string& component,
                 const DebugModelOptions& options, std::ostream& out);

}  // namespace trfpipe
