#include "components/common/tagger_model.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/common/registration.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

// ---- TaggerModel ----
TaggerModel::TaggerModel(Tok2VecPtr tok2vec, int64_t nO, bool normalize)
    : tok2vec_(std::move(tok2vec)), nO_(nO), normalize_(normalize) {
  if (!tok2vec_) throw ValueError("Tagger: tok2vec is required");
  if (nO_ > 0) output_ = std::make_unique<layers::Linear>(nO_, tok2vec_->width(), true);
}

void TaggerModel::initialize(int64_t nO) {
  if (output_ && output_->nO == nO) return;
  if (nO_ > 0 && output_ && nO != nO_)
    throw ValueError("Tagger: the model's nO (" + std::to_string(nO_) + ") does not match the " +
                     std::to_string(nO) + " labels");
  nO_ = nO;
  output_ = std::make_unique<layers::Linear>(nO, tok2vec_->width(), true);
}

at::Tensor TaggerModel::forward(const std::vector<Doc*>& docs, bool is_train) {
  if (!output_) throw Error("Tagger model used before initialization (no labels)");
  at::Tensor X = cat_rows(tok2vec_->forward(docs, is_train), tok2vec_->width());
  at::Tensor logits = output_->forward(X);
  if (normalize_ && !is_train) return at::softmax(logits, 1);
  return logits;
}

std::vector<std::vector<int64_t>> TaggerModel::best_labels(const std::vector<Doc*>& docs) {
  std::vector<std::vector<int64_t>> out(docs.size());
  size_t n = 0;
  for (const Doc* d : docs) n += d->size();
  if (n == 0) return out;
  at::NoGradGuard no_grad;
  at::Tensor ids = forward(docs, false).argmax(1).contiguous();
  const int64_t* p = ids.data_ptr<int64_t>();
  for (size_t d = 0; d < docs.size(); ++d)
    for (size_t i = 0; i < docs[d]->size(); ++i) out[d].push_back(*p++);
  return out;
}

void TaggerModel::collect(const std::string& prefix, NamedTensors& out) const {
  tok2vec_->collect(prefix + "tok2vec.", out);
  if (output_) output_->collect(prefix + "softmax.", out);
}
double xent_backward(const at::Tensor& logits, const std::vector<TokenTarget>& targets,
                     double label_smoothing) {
  at::Tensor probs = at::softmax(logits.detach(), 1).contiguous();
  const int64_t N = probs.size(0), C = probs.size(1);
  at::Tensor d = at::zeros({N, C}, at::kFloat);
  auto P = probs.accessor<float, 2>();
  auto D = d.accessor<float, 2>();
  for (int64_t row = 0; row < N && row < int64_t(targets.size()); ++row) {
    const TokenTarget& t = targets[size_t(row)];
    if (t.label < 0) continue;
    if (t.negative) {
      D[row][t.label] = P[row][t.label];
      continue;
    }
    for (int64_t k = 0; k < C; ++k) {
      double target = k == t.label ? 1.0 - label_smoothing
                                   : (C > 1 ? label_smoothing / double(C - 1) : 0.0);
      D[row][k] = float(P[row][k] - target);
    }
  }
  const double loss = d.pow(2).sum().item<double>();
  (logits * d).sum().backward();
  return loss;
}

void register_tagger_architectures() {
  using registry::arg;
  using registry::Value;
  add_function(
      "architectures", "spacy.Tagger.v2",
      {arg("tok2vec", "Model"), arg("nO", "int", nullptr), arg("normalize", "bool", false)},
      [](const Value& a, const ConfigPath& path) -> std::any {
        return std::make_shared<TaggerModel>(model_arg<Tok2VecModel>(a, "tok2vec", path),
                                             optional_int(a, "nO"),
                                             registry::get_bool(a, "normalize"));
      },
      "Model[List[Doc], List[Floats2d]]");
  add_function(
      "architectures", "spacy.Tagger.v1", {arg("tok2vec", "Model"), arg("nO", "int", nullptr)},
      [](const Value& a, const ConfigPath& path) -> std::any {
        return std::make_shared<TaggerModel>(model_arg<Tok2VecModel>(a, "tok2vec", path),
                                             optional_int(a, "nO"), /*normalize=*/true);
      },
      "Model[List[Doc], List[Floats2d]]");
}

}  // namespace trfpipe
