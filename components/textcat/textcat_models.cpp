#include "components/textcat/textcat_models.hpp"

#include <ATen/ATen.h>

#include "components/common/registration.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

// ---- TextCatBOW ----
TextCatBOWModel::TextCatBOWModel(bool exclusive_classes, int64_t ngram_size, bool no_output_layer,
                                 int64_t length, int64_t nO, bool v1_indexing)
    : exclusive_(exclusive_classes),
      no_output_layer_(no_output_layer),
      v1_indexing_(v1_indexing),
      ngram_size_(ngram_size),
      length_(length),
      nO_(nO) {
  if (ngram_size_ < 1) throw ValueError("TextCatBOW: ngram_size must be >= 1");
  if (length_ < 1) throw ValueError("TextCatBOW: length must be >= 1");
  if (nO_ > 0) initialize(nO_);
}

void TextCatBOWModel::initialize(int64_t nO) {
  if (linear_ && linear_->nO == nO) return;
  nO_ = nO;
  linear_ = std::make_unique<layers::SparseLinear>(nO, length_, v1_indexing_);
}

at::Tensor TextCatBOWModel::forward(const std::vector<Doc*>& docs, bool is_train) {
  if (!linear_) throw Error("TextCatBOW model used before initialization (no labels)");
  std::vector<std::vector<uint64_t>> keys(docs.size());
  std::vector<std::vector<float>> vals(docs.size());
  for (size_t d = 0; d < docs.size(); ++d) {
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < docs[d]->size(); ++i) ids.push_back(docs[d]->token(i).orth());
    layers::extract_ngrams(ids, ngram_size_, keys[d], vals[d]);
  }
  at::Tensor Y = linear_->forward(keys, vals);
  if (no_output_layer_) return Y;
  return exclusive_ ? at::softmax(Y, 1) : at::sigmoid(Y);
}

void TextCatBOWModel::collect(const std::string& prefix, NamedTensors& out) const {
  if (linear_) linear_->collect(prefix + "sparse_linear.", out);
}

// ---- TextCatEnsemble ----
TextCatEnsembleModel::TextCatEnsembleModel(Tok2VecPtr tok2vec,
                                           std::shared_ptr<TextCatModel> linear_model, int64_t nO)
    : tok2vec_(std::move(tok2vec)), linear_(std::move(linear_model)), nO_(nO) {
  if (!tok2vec_ || !linear_)
    throw ValueError("TextCatEnsemble: tok2vec and linear_model are required");
  if (nO_ > 0 && tok2vec_->width() > 0) initialize(nO_);
}

void TextCatEnsembleModel::set_dropout(double drop) {
  TextCatModel::set_dropout(drop);
  linear_->set_dropout(drop);
}

void TextCatEnsembleModel::initialize(int64_t nO) {
  if (output_ && output_->nO == nO) return;
  const int64_t w = tok2vec_->width();
  if (w <= 0)
    throw ValueError("TextCatEnsemble: the tok2vec's width is not known (is its upstream "
                     "component initialized?)");
  nO_ = nO;
  linear_->initialize(nO);
  if (!attention_ || attention_->Q.size(0) != w) {
    attention_ = std::make_unique<layers::ParametricAttention>(w);
    maxout_ = std::make_unique<layers::Maxout>(w, w, 3, false);
    norm_ = std::make_unique<layers::LayerNorm>(w);
  }
  output_ = std::make_unique<layers::Linear>(nO, nO + w, exclusive_classes());
}

at::Tensor TextCatEnsembleModel::forward(const std::vector<Doc*>& docs, bool is_train) {
  if (!output_) throw Error("TextCatEnsemble model used before initialization (no labels)");
  const int64_t w = tok2vec_->width();
  at::Tensor lin = linear_->forward(docs, is_train);
  const auto lengths = doc_lengths(docs);
  at::Tensor X = cat_rows(tok2vec_->forward(docs, is_train), w);
  at::Tensor pooled = layers::reduce(attention_->forward(X, lengths), lengths, layers::Reduce::Sum);
  pooled =
      pooled + layers::dropout(norm_->forward(maxout_->forward(pooled)), is_train ? drop_ : 0.0);
  at::Tensor Y = output_->forward(at::cat({lin, pooled}, 1));
  return exclusive_classes() ? layers::softmax_passthrough(Y) : at::sigmoid(Y);
}

void TextCatEnsembleModel::collect(const std::string& prefix, NamedTensors& out) const {
  linear_->collect(prefix + "linear.", out);
  tok2vec_->collect(prefix + "tok2vec.", out);
  if (!output_) return;
  attention_->collect(prefix + "attention.", out);
  maxout_->collect(prefix + "maxout.", out);
  norm_->collect(prefix + "norm.", out);
  output_->collect(prefix + "output.", out);
}

// ---- TextCatEnsemble.v1 ----
TextCatEnsembleV1Model::TextCatEnsembleV1Model(const Settings& settings, int64_t nO)
    : s_(settings), nO_(nO) {
  const int64_t w = s_.width;
  if (w < 2 || s_.embed_size < 1 || s_.window_size < 0 || s_.conv_depth < 0)
    throw ValueError("TextCatEnsemble.v1: width must be at least 2, embed_size positive, "
                     "window_size and conv_depth not negative");
  bow_ = std::make_unique<TextCatBOWModel>(s_.exclusive_classes, s_.ngram_size,
                                           /*no_output_layer=*/false, 262144, 0,
                                           /*v1_indexing=*/true);
  uint32_t seed = 10;  // thinc's seeds 10..13, widths w, w/2, w/2, w/2
  for (int64_t width : {w, w / 2, w / 2, w / 2})
    embeds_.push_back(
        std::make_unique<layers::HashEmbed>(width, s_.embed_size, seed++, int64_t(embeds_.size())));
  mix_ = std::make_unique<layers::Maxout>(w, w + 3 * (w / 2), 3, true);
  reduce_width_ = std::make_unique<layers::Maxout>(w, w, 3, true);
  for (int64_t i = 0; i < s_.conv_depth; ++i)
    convolutions_.push_back(
        std::make_unique<layers::Maxout>(w, w * (2 * s_.window_size + 1), 3, true));
  attention_ = std::make_unique<layers::ParametricAttention>(w);
  pooled_maxout_ = std::make_unique<layers::Maxout>(w, w, 3, false);
  if (nO_ > 0) initialize(nO_);
}

void TextCatEnsembleV1Model::initialize(int64_t nO) {
  if (output_ && output_->nO == nO) return;
  nO_ = nO;
  bow_->initialize(nO);
  cnn_output_ = std::make_unique<layers::Linear>(nO, s_.width);
  output_ = std::make_unique<layers::Linear>(nO, 2 * nO, s_.exclusive_classes);
}

at::Tensor TextCatEnsembleV1Model::token_vectors(const std::vector<Doc*>& docs,
                                                 bool is_train) const {
  std::vector<uint64_t> ids[4];
  for (const Doc* d : docs)
    for (size_t i = 0; i < d->size(); ++i) {
      Token t = d->token(i);
      ids[0].push_back(t.lower());
      ids[1].push_back(t.prefix());
      ids[2].push_back(t.suffix());
      ids[3].push_back(t.shape());
    }
  const double drop = is_train ? s_.dropout : 0.0;
  std::vector<at::Tensor> cols;
  for (size_t a = 0; a < embeds_.size(); ++a) cols.push_back(embeds_[a]->forward(ids[a], drop));
  at::Tensor X = reduce_width_->forward(mix_->forward(at::cat(cols, 1)));
  // with_array(pad=conv_depth): docs joined with zero rows so windows do not cross them.
  std::vector<at::Tensor> per_doc;
  std::vector<int64_t> lengths = doc_lengths(docs);
  int64_t start = 0;
  for (int64_t len : lengths) {
    per_doc.push_back(X.narrow(0, start, len));
    start += len;
  }
  const int64_t pad = s_.conv_depth;
  at::Tensor P = layers::flatten_padded(per_doc, pad, s_.width);
  for (const auto& conv : convolutions_)
    P = P + conv->forward(layers::expand_window(P, s_.window_size));
  return cat_rows(layers::unflatten_padded(P, lengths, pad), s_.width);
}

at::Tensor TextCatEnsembleV1Model::forward(const std::vector<Doc*>& docs, bool is_train) {
  if (!output_) throw Error("TextCatEnsemble.v1 model used before initialization (no labels)");
  const auto lengths = doc_lengths(docs);
  at::Tensor lin = bow_->forward(docs, is_train);
  at::Tensor X = token_vectors(docs, is_train);
  at::Tensor pooled = layers::reduce(attention_->forward(X, lengths), lengths, layers::Reduce::Sum);
  pooled = pooled + pooled_maxout_->forward(pooled);
  at::Tensor cnn = cnn_output_->forward(pooled);
  at::Tensor Y = output_->forward(at::cat({lin, cnn}, 1));
  return s_.exclusive_classes ? layers::softmax_passthrough(Y) : at::sigmoid(Y);
}

void TextCatEnsembleV1Model::collect(const std::string& prefix, NamedTensors& out) const {
  bow_->collect(prefix + "linear.", out);
  for (size_t a = 0; a < embeds_.size(); ++a)
    embeds_[a]->collect(prefix + "tok2vec.hashembed" + std::to_string(a) + ".", out);
  mix_->collect(prefix + "tok2vec.mix.", out);
  reduce_width_->collect(prefix + "tok2vec.maxout.", out);
  for (size_t i = 0; i < convolutions_.size(); ++i)
    convolutions_[i]->collect(prefix + "tok2vec.layer" + std::to_string(i) + ".", out);
  attention_->collect(prefix + "attention.", out);
  pooled_maxout_->collect(prefix + "maxout.", out);
  if (!output_) return;
  cnn_output_->collect(prefix + "cnn_output.", out);
  output_->collect(prefix + "output.", out);
}

// ---- TextCatReduce ----
TextCatReduceModel::TextCatReduceModel(Tok2VecPtr tok2vec, bool exclusive_classes,
                                       std::vector<layers::Reduce> reductions, int64_t nO)
    : tok2vec_(std::move(tok2vec)),
      exclusive_(exclusive_classes),
      reductions_(std::move(reductions)),
      nO_(nO) {
  if (!tok2vec_) throw ValueError("TextCatReduce: tok2vec is required");
  if (reductions_.empty())
    throw ValueError(
        "TextCatReduce: at least one of use_reduce_first, use_reduce_last, "
        "use_reduce_max, use_reduce_mean must be true (spaCy's E1057)");
  if (nO_ > 0) initialize(nO_);
}

void TextCatReduceModel::initialize(int64_t nO) {
  if (output_ && output_->nO == nO) return;
  nO_ = nO;
  output_ = std::make_unique<layers::Linear>(nO, tok2vec_->width() * int64_t(reductions_.size()),
                                             exclusive_);
}

at::Tensor TextCatReduceModel::forward(const std::vector<Doc*>& docs, bool is_train) {
  if (!output_) throw Error("TextCatReduce model used before initialization (no labels)");
  const auto lengths = doc_lengths(docs);
  at::Tensor X = cat_rows(tok2vec_->forward(docs, is_train), tok2vec_->width());
  std::vector<at::Tensor> pooled;
  for (auto r : reductions_) pooled.push_back(layers::reduce(X, lengths, r));
  at::Tensor Y = output_->forward(at::cat(pooled, 1));
  return exclusive_ ? layers::softmax_passthrough(Y) : at::sigmoid(Y);
}

void TextCatReduceModel::collect(const std::string& prefix, NamedTensors& out) const {
  tok2vec_->collect(prefix + "tok2vec.", out);
  if (output_) output_->collect(prefix + "output.", out);
}
void register_textcat_architectures() {
  using registry::arg;
  using registry::Value;
  auto bow = [](bool has_length) {
    return [has_length](const Value& a, const ConfigPath&) -> std::any {
      int64_t length = 262144;
      if (has_length) {
        length = registry::get_int(a, "length");
        if (length < 1) throw ValueError("length must be >= 1");
        int64_t p2 = 1;  // spaCy: 2 ** (length - 1).bit_length()
        while (p2 < length) p2 <<= 1;
        length = p2;
      }
      return std::shared_ptr<TextCatModel>(std::make_shared<TextCatBOWModel>(
          registry::get_bool(a, "exclusive_classes"), registry::get_int(a, "ngram_size"),
          registry::get_bool(a, "no_output_layer"), length, optional_int(a, "nO"), !has_length));
    };
  };
  add_function(
      "architectures", "spacy.TextCatBOW.v3",
      {arg("exclusive_classes", "bool"), arg("ngram_size", "int"), arg("no_output_layer", "bool"),
       arg("length", "int", 262144), arg("nO", "int", nullptr)},
      bow(true), "Model[List[Doc], Floats2d]");
  // TextCatBOW.v1 (spacy-legacy) is .v2 without resizing, which trfpipe's models do not need.
  for (const char* name : {"spacy.TextCatBOW.v2", "spacy.TextCatBOW.v1"})
    add_function("architectures", name,
                 {arg("exclusive_classes", "bool"), arg("ngram_size", "int"),
                  arg("no_output_layer", "bool"), arg("nO", "int", nullptr)},
                 bow(false), "Model[List[Doc], Floats2d]");
  add_function(
      "architectures", "spacy.TextCatEnsemble.v1",
      {arg("width", "int"), arg("embed_size", "int"), arg("pretrained_vectors", "bool|null"),
       arg("exclusive_classes", "bool"), arg("ngram_size", "int"), arg("window_size", "int"),
       arg("conv_depth", "int"), arg("dropout", "float|null"), arg("nO", "int", nullptr)},
      [](const Value& a, const ConfigPath& path) -> std::any {
        if (!registry::is_null(a, "pretrained_vectors") &&
            registry::get_bool(a, "pretrained_vectors")) {
          ConfigPath p = path;
          p.push_back("pretrained_vectors");
          throw ConfigError(p, "static vectors are not supported (use false or null)");
        }
        TextCatEnsembleV1Model::Settings s;
        s.width = registry::get_int(a, "width");
        s.embed_size = registry::get_int(a, "embed_size");
        s.exclusive_classes = registry::get_bool(a, "exclusive_classes");
        s.ngram_size = registry::get_int(a, "ngram_size");
        s.window_size = registry::get_int(a, "window_size");
        s.conv_depth = registry::get_int(a, "conv_depth");
        s.dropout = registry::is_null(a, "dropout") ? 0.0 : registry::get_float(a, "dropout");
        return std::shared_ptr<TextCatModel>(
            std::make_shared<TextCatEnsembleV1Model>(s, optional_int(a, "nO")));
      },
      "Model[List[Doc], Floats2d]");
  add_function(
      "architectures", "spacy.TextCatEnsemble.v2",
      {arg("tok2vec", "Model"), arg("linear_model", "Model"), arg("nO", "int", nullptr)},
      [](const Value& a, const ConfigPath& path) -> std::any {
        return std::shared_ptr<TextCatModel>(std::make_shared<TextCatEnsembleModel>(
            model_arg<Tok2VecModel>(a, "tok2vec", path),
            model_arg<TextCatModel>(a, "linear_model", path), optional_int(a, "nO")));
      },
      "Model[List[Doc], Floats2d]");
  // TextCatCNN.v1 (spacy-legacy) is .v2 without resizing.
  for (const char* name : {"spacy.TextCatCNN.v2", "spacy.TextCatCNN.v1"})
    add_function(
        "architectures", name,
        {arg("tok2vec", "Model"), arg("exclusive_classes", "bool"), arg("nO", "int", nullptr)},
        [](const Value& a, const ConfigPath& path) -> std::any {
          return std::shared_ptr<TextCatModel>(std::make_shared<TextCatReduceModel>(
              model_arg<Tok2VecModel>(a, "tok2vec", path), registry::get_bool(a, "exclusive_classes"),
              std::vector<layers::Reduce>{layers::Reduce::Mean}, optional_int(a, "nO")));
        },
        "Model[List[Doc], Floats2d]");
  add_function(
      "architectures", "spacy.TextCatReduce.v1",
      {arg("tok2vec", "Model"), arg("exclusive_classes", "bool"), arg("use_reduce_first", "bool"),
       arg("use_reduce_last", "bool"), arg("use_reduce_max", "bool"),
       arg("use_reduce_mean", "bool"), arg("nO", "int", nullptr)},
      [](const Value& a, const ConfigPath& path) -> std::any {
        std::vector<layers::Reduce> r;
        if (registry::get_bool(a, "use_reduce_first")) r.push_back(layers::Reduce::First);
        if (registry::get_bool(a, "use_reduce_last")) r.push_back(layers::Reduce::Last);
        if (registry::get_bool(a, "use_reduce_max")) r.push_back(layers::Reduce::Max);
        if (registry::get_bool(a, "use_reduce_mean")) r.push_back(layers::Reduce::Mean);
        return std::shared_ptr<TextCatModel>(std::make_shared<TextCatReduceModel>(
            model_arg<Tok2VecModel>(a, "tok2vec", path), registry::get_bool(a, "exclusive_classes"),
            r, optional_int(a, "nO")));
      },
      "Model[List[Doc], Floats2d]");
}

}  // namespace trfpipe
