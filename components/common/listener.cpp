// The listener handshake (see listener.hpp).
#include "components/common/listener.hpp"

#include <atomic>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "trfpipe/error.hpp"

namespace trfpipe {

Listener::Listener(std::string kind, std::string upstream_name, int64_t width, double grad_factor)
    : kind_(std::move(kind)),
      upstream_name_(std::move(upstream_name)),
      width_(width),
      grad_factor_(grad_factor) {}

bool Listener::listens_to(const std::string& kind, const std::string& name) const {
  return kind == kind_ && (upstream_name_ == "*" || upstream_name_ == name);
}

uint64_t Listener::next_batch_id() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

void Listener::receive(uint64_t batch_id, const std::vector<Doc*>& docs,
                       std::vector<at::Tensor> outputs, Backprop backprop) {
  if (batch_id == 0) throw Error("Listener::receive: batch id 0 is reserved for 'no batch'");
  if (outputs.size() != docs.size())
    throw Error("Listener::receive: " + std::to_string(outputs.size()) + " outputs for " +
                std::to_string(docs.size()) + " docs");
  batch_id_ = batch_id;
  docs_.assign(docs.begin(), docs.end());
  lengths_.clear();
  for (const Doc* d : docs) lengths_.push_back(d->size());
  outputs_ = std::move(outputs);
  backprop_ = std::move(backprop);
}

void Listener::clear() {
  batch_id_ = 0;
  docs_.clear();
  lengths_.clear();
  outputs_.clear();
  backprop_ = nullptr;
}

void Listener::verify(const std::vector<Doc*>& docs) const {
  auto fail = [&](const std::string& why) {
    throw Error("Mismatched batch: the " + kind_ + " listener (upstream '" + upstream_name_ +
                "') holds batch id " + std::to_string(batch_id_) + " of " +
                std::to_string(docs_.size()) + " docs but was called with " +
                std::to_string(docs.size()) + " docs (" + why +
                "). Listening components must be updated on the batch their upstream was "
                "updated on.");
  };
  if (batch_id_ == 0) fail("no batch received");
  if (docs.size() != docs_.size()) fail("different number of docs");
  for (size_t i = 0; i < docs.size(); ++i) {
    if (docs[i] != docs_[i]) fail("doc " + std::to_string(i) + " is another Doc");
    if (docs[i]->size() != lengths_[i]) fail("doc " + std::to_string(i) + " changed length");
  }
}

const std::vector<at::Tensor>& Listener::outputs(const std::vector<Doc*>& docs) const {
  verify(docs);
  return outputs_;
}

void Listener::backprop(Losses& losses) {
  if (batch_id_ == 0) return;
  std::vector<at::Tensor> d;
  d.reserve(outputs_.size());
  for (const at::Tensor& leaf : outputs_) {
    at::Tensor g = leaf.grad();
    d.push_back(g.defined() ? g.detach() * grad_factor_ : at::zeros_like(leaf).detach());
  }
  Backprop bp = std::move(backprop_);
  clear();
  if (bp) bp(d, losses);
}

std::vector<Listener*> find_listeners(Language& nlp, const std::string& kind,
                                      const std::string& name) {
  std::vector<Listener*> out;
  for (const std::string& pipe_name : nlp.component_names()) {
    if (pipe_name == name) continue;
    auto* lc = dynamic_cast<ListeningComponent*>(&nlp.get_pipe(pipe_name));
    if (!lc) continue;
    for (Listener* l : lc->listeners())
      if (l && l->listens_to(kind, name)) out.push_back(l);
  }
  return out;
}

namespace {
struct Accumulator {
  std::vector<at::Tensor> outputs;  // with autograd history into the upstream
  std::vector<at::Tensor> grads;
  bool any = false;
};
}  // namespace

uint64_t broadcast_to_listeners(const std::string& upstream_name,
                                const std::vector<Listener*>& listeners,
                                const std::vector<Doc*>& docs,
                                const std::vector<at::Tensor>& outputs,
                                std::function<void()> after_backward) {
  if (listeners.empty()) return 0;
  const uint64_t batch_id = Listener::next_batch_id();
  auto acc = std::make_shared<Accumulator>();
  acc->outputs = outputs;
  for (const at::Tensor& o : outputs) acc->grads.push_back(at::zeros_like(o).detach());
  auto accumulate = [acc, upstream_name](const std::vector<at::Tensor>& d, Losses& losses) {
    double& loss = losses[upstream_name];
    for (size_t i = 0; i < d.size() && i < acc->grads.size(); ++i) {
      if (!d[i].defined()) continue;
      double sq = d[i].pow(2).sum().item<double>();
      loss += sq;
      if (sq == 0.0) continue;
      acc->grads[i].add_(d[i]);
      acc->any = true;
    }
  };
  for (size_t k = 0; k < listeners.size(); ++k) {
    std::vector<at::Tensor> leaves;
    leaves.reserve(outputs.size());
    for (const at::Tensor& o : outputs) leaves.push_back(o.detach().set_requires_grad(true));
    Listener::Backprop bp;
    if (k + 1 < listeners.size()) {
      bp = accumulate;
    } else {
      bp = [acc, accumulate, after_backward](const std::vector<at::Tensor>& d, Losses& losses) {
        accumulate(d, losses);
        if (acc->any) {
          std::vector<at::Tensor> outs, grads;
          for (size_t i = 0; i < acc->outputs.size(); ++i) {
            if (!acc->outputs[i].requires_grad() || acc->outputs[i].numel() == 0) continue;
            outs.push_back(acc->outputs[i]);
            grads.push_back(acc->grads[i]);
          }
          if (!outs.empty()) torch::autograd::backward(outs, grads);
        }
        acc->outputs.clear();
        acc->grads.clear();
        if (after_backward) after_backward();
      };
    }
    listeners[k]->receive(batch_id, docs, std::move(leaves), std::move(bp));
  }
  return batch_id;
}

}  // namespace trfpipe
