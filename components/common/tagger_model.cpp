#include "components/tagger/tagger_model.hpp"

#include <ATen/ATen.h>

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

void TaggerModel::collect(const std::string& prefix, NamedTensors& out) const {
  tok2vec_->collect(prefix + "tok2vec.", out);
  if (output_) output_->collect(prefix + "softmax.", out);
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
}

}  // namespace trfpipe
