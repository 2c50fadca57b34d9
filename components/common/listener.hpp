// The shared-embedding handshake between an upstream component (tok2vec, transformer) and the
// components that listen to it (spaCy's Tok2VecListener / TransformerListener protocol, §1.9),
// generic over the upstream kind so the transformer component reuses it.
//
// Training, per batch:
//  1. The upstream's update() runs its model forward ONCE on the batch (outputs with autograd
//     history, one [n_tokens, width] tensor per doc) and calls broadcast_to_listeners(), which
//     hands every listener (pipeline order) a counter-based batch id, the docs and its own
//     DETACHED leaf copies of the outputs (requires_grad).
//  2. Each downstream component's update() asks its listener for the outputs (verified against
//     the batch: other docs are a trfpipe::Error "Mismatched batch"), computes its loss,
//     backpropagates to the leaves, then calls Listener::backprop(losses): the leaf grads times
//     grad_factor are ADDED to the upstream's accumulator (grad_factor 0 adds nothing).
//  3. The last listener's backprop() runs torch::autograd::backward(outputs, accumulated grads)
//     into the upstream (skipped when nothing was accumulated), so the upstream's parameter
//     grads hold the sum of the scaled listener gradients; the upstream's finish_update() steps.
// Prediction, or a listener without a batch (upstream frozen / not updated): the listener model
// reads the upstream's stored annotation on the Doc (doc.tensor for tok2vec) without gradient.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "trfpipe/language.hpp"

namespace trfpipe {

class Listener {
 public:
  // Receives the listeners' summed gradient contributions: d_outputs[i] for doc i.
  using Backprop = std::function<void(const std::vector<at::Tensor>& d_outputs, Losses& losses)>;

  // kind: the upstream kind it listens to ("tok2vec", "transformer"); upstream_name: the
  // upstream component's name or "*" (any upstream of that kind); width: output width (nO).
  Listener(std::string kind, std::string upstream_name, int64_t width, double grad_factor = 1.0);

  const std::string& kind() const { return kind_; }
  const std::string& upstream_name() const { return upstream_name_; }
  int64_t width() const { return width_; }
  void set_width(int64_t w) { width_ = w; }
  double grad_factor() const { return grad_factor_; }
  void set_grad_factor(double g) { grad_factor_ = g; }
  // Whether this listener attaches to the upstream `name` of `kind` (spaCy's find_listeners).
  bool listens_to(const std::string& kind, const std::string& name) const;

  // ---- upstream side ----
  // Stores the batch: its id, the docs, detached leaf outputs (requires_grad) and the callback.
  void receive(uint64_t batch_id, const std::vector<Doc*>& docs, std::vector<at::Tensor> outputs,
               Backprop backprop);
  void clear();  // drops the batch (spaCy's backprop_and_clear)

  // ---- downstream side ----
  bool has_batch() const { return batch_id_ != 0; }
  uint64_t batch_id() const { return batch_id_; }
  // Verifies that `docs` are the batch received (same docs, in order, same lengths); Error
  // "Mismatched batch ..." naming the batch id otherwise (also when there is no batch).
  void verify(const std::vector<Doc*>& docs) const;
  // The received leaf outputs after verify(docs).
  const std::vector<at::Tensor>& outputs(const std::vector<Doc*>& docs) const;
  // Sends grad_factor * (leaf grads) to the upstream and clears the batch. Leaves without a grad
  // contribute zeros. No-op without a batch.
  void backprop(Losses& losses);

  // A fresh counter-based batch id (process-wide, starts at 1; 0 means "no batch").
  static uint64_t next_batch_id();

 private:
  std::string kind_, upstream_name_;
  int64_t width_;
  double grad_factor_;
  uint64_t batch_id_ = 0;
  std::vector<const Doc*> docs_;
  std::vector<size_t> lengths_;
  std::vector<at::Tensor> outputs_;
  Backprop backprop_;
};

// A pipeline component whose model contains listeners (tagger, ner, textcat ... with a
// Tok2VecListener or TransformerListener tok2vec). Upstreams find listeners through it.
class ListeningComponent {
 public:
  virtual ~ListeningComponent() = default;
  virtual std::vector<Listener*> listeners() = 0;
};

// The listeners of upstream `name` of `kind` in `nlp`, in pipeline order (all components, also
// disabled ones, as spaCy's nlp.components), excluding the upstream itself.
std::vector<Listener*> find_listeners(Language& nlp, const std::string& kind,
                                      const std::string& name);

// Upstream side of a training step: gives every listener its own detached leaf copies of
// `outputs` with a callback that accumulates into a shared buffer; the last listener's callback
// runs torch::autograd::backward(outputs, accumulated) (unless nothing was accumulated), adds
// Σ d² to losses[upstream_name], then calls after_backward (e.g. finish_update when the update
// had an optimizer). Returns the batch id. Without listeners nothing happens (returns 0).
uint64_t broadcast_to_listeners(const std::string& upstream_name,
                                const std::vector<Listener*>& listeners,
                                const std::vector<Doc*>& docs,
                                const std::vector<at::Tensor>& outputs,
                                std::function<void()> after_backward = {});

}  // namespace trfpipe
