// spaCy's architectures on LibTorch (see architectures.hpp) and their registration.
#include "components/architectures.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <mutex>

#include <ATen/ATen.h>

#include "models/optimizer.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

namespace {
std::vector<int64_t> doc_lengths(const std::vector<Doc*>& docs) {
  std::vector<int64_t> lengths;
  for (const Doc* d : docs) lengths.push_back(int64_t(d->size()));
  return lengths;
}
std::vector<at::Tensor> split_rows(const at::Tensor& X, const std::vector<int64_t>& lengths) {
  std::vector<at::Tensor> out;
  int64_t start = 0;
  for (int64_t len : lengths) {
    out.push_back(X.narrow(0, start, len));
    start += len;
  }
  return out;
}
at::Tensor cat_rows(const std::vector<at::Tensor>& Xs, int64_t width) {
  if (Xs.empty()) return at::zeros({0, width}, at::kFloat);
  return at::cat(Xs, 0);
}
at::Tensor matrix_to_tensor(const Matrix& m) {
  return at::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, at::kFloat).clone();
}
std::string upper(std::string s) {
  for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

// ---- token attributes ----
TokenAttr token_attr_from_name(const std::string& name) {
  const std::string n = upper(name);
  if (n == "ORTH") return TokenAttr::ORTH;
  if (n == "NORM") return TokenAttr::NORM;
  if (n == "LOWER") return TokenAttr::LOWER;
  if (n == "PREFIX") return TokenAttr::PREFIX;
  if (n == "SUFFIX") return TokenAttr::SUFFIX;
  if (n == "SHAPE") return TokenAttr::SHAPE;
  throw ValueError("unsupported token attribute '" + name +
                   "' (supported: NORM, PREFIX, SUFFIX, SHAPE, LOWER, ORTH)");
}

uint64_t token_attr(const Doc& doc, size_t i, TokenAttr attr) {
  Token t = doc.token(i);
  switch (attr) {
    case TokenAttr::ORTH: return t.orth();
    case TokenAttr::NORM: return t.norm();
    case TokenAttr::LOWER: return t.lower();
    case TokenAttr::PREFIX: return t.prefix();
    case TokenAttr::SUFFIX: return t.suffix();
    case TokenAttr::SHAPE: return t.shape();
  }
  return 0;
}

// ---- MultiHashEmbed ----
MultiHashEmbed::MultiHashEmbed(int64_t width, std::vector<std::string> attrs,
                               std::vector<int64_t> rows)
    : width_(width) {
  if (attrs.size() != rows.size())
    throw ValueError("MultiHashEmbed: attrs and rows must have the same length (" +
                     std::to_string(attrs.size()) + " vs " + std::to_string(rows.size()) + ")");
  if (attrs.empty()) throw ValueError("MultiHashEmbed: attrs must not be empty");
  uint32_t seed = 7;
  for (size_t i = 0; i < attrs.size(); ++i) {
    attrs_.push_back(token_attr_from_name(attrs[i]));
    embeds_.push_back(std::make_unique<layers::HashEmbed>(width, rows[i], ++seed, int64_t(i)));
  }
  mix_ = std::make_unique<layers::Maxout>(width, width * int64_t(attrs.size()), 3, true);
}

std::vector<at::Tensor> MultiHashEmbed::forward(const std::vector<Doc*>& docs, bool is_train) {
  const auto lengths = doc_lengths(docs);
  std::vector<at::Tensor> cols;
  for (size_t a = 0; a < attrs_.size(); ++a) {
    std::vector<uint64_t> ids;
    for (const Doc* d : docs)
      for (size_t i = 0; i < d->size(); ++i) ids.push_back(token_attr(*d, i, attrs_[a]));
    cols.push_back(embeds_[a]->forward(ids, is_train ? drop_ : 0.0));
  }
  at::Tensor X = at::cat(cols, 1);
  if (X.size(0) == 0) return split_rows(at::zeros({0, width_}, at::kFloat), lengths);
  return split_rows(mix_->forward(X, is_train ? drop_ : 0.0), lengths);
}

void MultiHashEmbed::collect(const std::string& prefix, NamedTensors& out) const {
  for (size_t a = 0; a < embeds_.size(); ++a)
    embeds_[a]->collect(prefix + "hashembed" + std::to_string(a) + ".", out);
  mix_->collect(prefix + "maxout.", out);
}

// ---- MaxoutWindowEncoder ----
MaxoutWindowEncoder::MaxoutWindowEncoder(int64_t width, int64_t window_size,
                                         int64_t maxout_pieces, int64_t depth)
    : width_(width), window_size_(window_size), depth_(depth) {
  if (width <= 0 || window_size < 0 || maxout_pieces <= 0 || depth < 0)
    throw ValueError("MaxoutWindowEncoder: width, maxout_pieces must be positive");
  for (int64_t i = 0; i < depth; ++i)
    layers_.push_back(std::make_unique<layers::Maxout>(width, width * (2 * window_size + 1),
                                                       maxout_pieces, true));
}

std::vector<at::Tensor> MaxoutWindowEncoder::forward(const std::vector<at::Tensor>& Xs,
                                                     bool is_train) {
  std::vector<int64_t> lengths;
  for (const auto& x : Xs) lengths.push_back(x.size(0));
  const int64_t pad = window_size_ * depth_;
  at::Tensor X = layers::flatten_padded(Xs, pad, width_);
  if (X.size(0) > 0)
    for (const auto& layer : layers_)
      X = X + layer->forward(layers::expand_window(X, window_size_), is_train ? drop_ : 0.0);
  return layers::unflatten_padded(X, lengths, pad);
}

void MaxoutWindowEncoder::collect(const std::string& prefix, NamedTensors& out) const {
  for (size_t i = 0; i < layers_.size(); ++i)
    layers_[i]->collect(prefix + "layer" + std::to_string(i) + ".", out);
}

// ---- ChainTok2Vec ----
ChainTok2Vec::ChainTok2Vec(Tok2VecPtr embed, std::shared_ptr<EncoderModel> encode)
    : embed_(std::move(embed)), encode_(std::move(encode)) {
  if (!embed_ || !encode_) throw ValueError("Tok2Vec: embed and encode are required");
  if (embed_->width() != encode_->width())
    throw ValueError("Tok2Vec: the embed width (" + std::to_string(embed_->width()) +
                     ") differs from the encode width (" + std::to_string(encode_->width()) + ")");
}

std::vector<at::Tensor> ChainTok2Vec::forward(const std::vector<Doc*>& docs, bool is_train) {
  return encode_->forward(embed_->forward(docs, is_train), is_train);
}

void ChainTok2Vec::collect(const std::string& prefix, NamedTensors& out) const {
  embed_->collect(prefix + "embed.", out);
  encode_->collect(prefix + "encode.", out);
}

// ---- Tok2VecListenerModel ----
Tok2VecListenerModel::Tok2VecListenerModel(int64_t width, std::string upstream,
                                           double grad_factor, std::string kind)
    : listener_(std::move(kind), std::move(upstream), width, grad_factor) {}

std::vector<at::Tensor> Tok2VecListenerModel::forward(const std::vector<Doc*>& docs,
                                                      bool is_train) {
  if (is_train && listener_.has_batch()) return listener_.outputs(docs);
  std::vector<at::Tensor> out;
  for (Doc* d : docs) {
    const Matrix& m = d->tensor();
    if (!m.empty() && m.rows == int64_t(d->size())) {
      out.push_back(matrix_to_tensor(m));
    } else if (is_train) {
      throw Error("The " + listener_.kind() + " listener (upstream '" +
                  listener_.upstream_name() +
                  "') found no doc.tensor: a frozen upstream must also be in "
                  "[training] annotating_components (spaCy's E203)");
    } else {
      out.push_back(at::zeros({int64_t(d->size()), listener_.width()}, at::kFloat));
    }
  }
  return out;
}

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

// ---- ParserModel ----
ParserModel::ParserModel(Tok2VecPtr tok2vec, std::string state_type, bool extra_state_tokens,
                         int64_t hidden_width, int64_t maxout_pieces, bool use_upper, int64_t nO)
    : tok2vec_(std::move(tok2vec)),
      state_type_(std::move(state_type)),
      hidden_width_(hidden_width),
      nP_(maxout_pieces),
      nO_(nO),
      use_upper_(use_upper) {
  if (!tok2vec_) throw ValueError("TransitionBasedParser: tok2vec is required");
  if (state_type_ == "ner") {
    nF_ = extra_state_tokens ? 6 : 3;
  } else if (state_type_ == "parser") {
    nF_ = extra_state_tokens ? 13 : 8;
  } else {
    throw ValueError("TransitionBasedParser: state_type must be 'ner' or 'parser', not '" +
                     state_type_ + "'");
  }
  if (hidden_width_ <= 0 || nP_ <= 0)
    throw ValueError("TransitionBasedParser: hidden_width and maxout_pieces must be positive");
  // spaCy's Linear(hidden_width, t2v_width) takes nI=None when the tok2vec has no width yet (a
  // TransformerListener learns it when its transformer is loaded): built in initialize() then.
  if (tok2vec_->width() > 0) proj_ = std::make_unique<layers::Linear>(hidden_width_, tok2vec_->width());
  if (use_upper_) make_lower(hidden_width_);
  if (nO_ > 0 && proj_) initialize(nO_);
}

void ParserModel::make_lower(int64_t nO) {
  lower_nO_ = nO;
  double std_ = std::sqrt(1.0 / double(nF_ * hidden_width_));
  W_ = layers::param(at::randn({nF_, nO, nP_, hidden_width_}, at::kFloat) * std_);
  b_ = layers::param(at::zeros({nO, nP_}, at::kFloat));
  pad_ = layers::param(at::zeros({1, nF_, nO, nP_}, at::kFloat));
}

void ParserModel::initialize(int64_t n_actions) {
  if (!proj_) {
    if (tok2vec_->width() <= 0)
      throw ValueError("TransitionBasedParser: the tok2vec's width is still unknown at "
                       "initialization (a transformer listener's upstream must be initialized or "
                       "loaded first)");
    proj_ = std::make_unique<layers::Linear>(hidden_width_, tok2vec_->width());
  }
  if (initialized() && n_actions == nO_) return;
  nO_ = n_actions;
  if (use_upper_) {
    upper_ = std::make_unique<layers::Linear>(n_actions, hidden_width_, true);
  } else {
    make_lower(n_actions);
  }
}

at::Tensor ParserModel::tokvecs(const std::vector<Doc*>& docs, bool is_train) {
  at::Tensor X = cat_rows(tok2vec_->forward(docs, is_train), tok2vec_->width());
  return proj_->forward(X);
}

at::Tensor ParserModel::precompute(const at::Tensor& tokvecs) const {
  const int64_t N = tokvecs.size(0), K = lower_nO_ * nP_;
  at::Tensor P = tokvecs.matmul(W_.view({nF_ * K, hidden_width_}).t()).view({N, nF_, K});
  return at::cat({P, pad_.view({1, nF_, K})}, 0);
}

at::Tensor ParserModel::scores(const at::Tensor& precomputed, const at::Tensor& ids) const {
  const int64_t S = ids.size(0), K = lower_nO_ * nP_;
  at::Tensor slots = at::arange(nF_, at::kLong).view({1, nF_});
  at::Tensor flat = (ids * nF_ + slots).view({-1});
  at::Tensor H = precomputed.view({-1, K}).index_select(0, flat).view({S, nF_, K}).sum(1);
  H = (H + b_.view({1, K})).view({S, lower_nO_, nP_});
  H = nP_ > 1 ? std::get<0>(H.max(2)) : at::relu(H.squeeze(2));
  return upper_ ? upper_->forward(H) : H;
}

void ParserModel::collect(const std::string& prefix, NamedTensors& out) const {
  tok2vec_->collect(prefix + "tok2vec.", out);
  if (proj_) proj_->collect(prefix + "proj.", out);
  if (W_.defined()) {
    out.emplace_back(prefix + "lower.W", W_);
    out.emplace_back(prefix + "lower.b", b_);
    out.emplace_back(prefix + "lower.pad", pad_);
  }
  if (upper_) upper_->collect(prefix + "upper.", out);
}

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
  if (!tok2vec_ || !linear_) throw ValueError("TextCatEnsemble: tok2vec and linear_model are required");
  const int64_t w = tok2vec_->width();
  attention_ = std::make_unique<layers::ParametricAttention>(w);
  maxout_ = std::make_unique<layers::Maxout>(w, w, 3, false);
  norm_ = std::make_unique<layers::LayerNorm>(w);
  if (nO_ > 0) initialize(nO_);
}

void TextCatEnsembleModel::set_dropout(double drop) {
  TextCatModel::set_dropout(drop);
  linear_->set_dropout(drop);
}

void TextCatEnsembleModel::initialize(int64_t nO) {
  if (output_ && output_->nO == nO) return;
  nO_ = nO;
  linear_->initialize(nO);
  output_ = std::make_unique<layers::Linear>(nO, nO + tok2vec_->width(), exclusive_classes());
}

at::Tensor TextCatEnsembleModel::forward(const std::vector<Doc*>& docs, bool is_train) {
  if (!output_) throw Error("TextCatEnsemble model used before initialization (no labels)");
  const int64_t w = tok2vec_->width();
  at::Tensor lin = linear_->forward(docs, is_train);
  const auto lengths = doc_lengths(docs);
  at::Tensor X = cat_rows(tok2vec_->forward(docs, is_train), w);
  at::Tensor pooled = layers::reduce(attention_->forward(X, lengths), lengths, layers::Reduce::Sum);
  pooled = pooled + layers::dropout(norm_->forward(maxout_->forward(pooled)), is_train ? drop_ : 0.0);
  at::Tensor Y = output_->forward(at::cat({lin, pooled}, 1));
  return exclusive_classes() ? layers::softmax_passthrough(Y) : at::sigmoid(Y);
}

void TextCatEnsembleModel::collect(const std::string& prefix, NamedTensors& out) const {
  linear_->collect(prefix + "linear.", out);
  tok2vec_->collect(prefix + "tok2vec.", out);
  attention_->collect(prefix + "attention.", out);
  maxout_->collect(prefix + "maxout.", out);
  norm_->collect(prefix + "norm.", out);
  if (output_) output_->collect(prefix + "output.", out);
}

// ---- TextCatReduce ----
TextCatReduceModel::TextCatReduceModel(Tok2VecPtr tok2vec, bool exclusive_classes,
                                       std::vector<layers::Reduce> reductions, int64_t nO)
    : tok2vec_(std::move(tok2vec)), exclusive_(exclusive_classes),
      reductions_(std::move(reductions)), nO_(nO) {
  if (!tok2vec_) throw ValueError("TextCatReduce: tok2vec is required");
  if (reductions_.empty())
    throw ValueError("TextCatReduce: at least one of use_reduce_first, use_reduce_last, "
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

// ---- registration ----
namespace {
using registry::arg;
using registry::Value;
using Path = std::vector<std::string>;

template <class T>
std::shared_ptr<T> get_model(const Value& args, const std::string& name, const Path& path) {
  const Value& v = args.at(name);
  if (v.is_object()) {
    if (const auto* p = std::any_cast<std::shared_ptr<T>>(&v.object())) return *p;
  }
  Path p = path;
  p.push_back(name);
  throw ConfigError(p, "expected a model of the right kind, got " + v.describe());
}

int64_t opt_int(const Value& args, const std::string& name) {
  return registry::is_null(args, name) ? 0 : registry::get_int(args, name);
}

template <class F>
std::function<std::any(const Value&, const Path&)> guarded(F f) {
  return [f](const Value& a, const Path& path) -> std::any {
    try {
      return f(a, path);
    } catch (const ConfigError&) {
      throw;
    } catch (const ValueError& e) {
      throw ConfigError(path, e.what());
    }
  };
}

void add(const std::string& reg, const std::string& name, std::vector<registry::ArgSpec> args,
         std::function<std::any(const Value&, const Path&)> make, const std::string& returns) {
  registry::Function f;
  f.name = name;
  f.args = std::move(args);
  f.make = std::move(make);
  f.returns = returns;
  registry::get(reg).add(std::move(f));
}
}  // namespace

void register_architectures() {
  static std::once_flag once;
  std::call_once(once, [] {
    models::register_optimizers();
    const std::string T2V = "Model[List[Doc], List[Floats2d]]";
    add("architectures", "spacy.HashEmbedCNN.v2",
        {arg("width", "int"), arg("depth", "int"), arg("embed_size", "int"),
         arg("window_size", "int"), arg("maxout_pieces", "int"), arg("subword_features", "bool"),
         arg("pretrained_vectors", "bool|null")},
        guarded([](const Value& a, const Path& path) -> std::any {
          if (!registry::is_null(a, "pretrained_vectors") &&
              registry::get_bool(a, "pretrained_vectors")) {
            Path p = path;
            p.push_back("pretrained_vectors");
            throw ConfigError(p, "static vectors are not supported (use false or null)");
          }
          const int64_t width = registry::get_int(a, "width"), E = registry::get_int(a, "embed_size");
          std::vector<std::string> attrs{"NORM"};
          std::vector<int64_t> rows{E};
          if (registry::get_bool(a, "subword_features")) {
            attrs = {"NORM", "PREFIX", "SUFFIX", "SHAPE"};
            rows = {E, E / 2, E / 2, E / 2};
          }
          auto embed = std::make_shared<MultiHashEmbed>(width, attrs, rows);
          auto encode = std::make_shared<MaxoutWindowEncoder>(
              width, registry::get_int(a, "window_size"), registry::get_int(a, "maxout_pieces"),
              registry::get_int(a, "depth"));
          return Tok2VecPtr(std::make_shared<ChainTok2Vec>(embed, encode));
        }),
        T2V);
    add("architectures", "spacy.Tok2Vec.v2", {arg("embed", "Model"), arg("encode", "Model")},
        guarded([](const Value& a, const Path& path) -> std::any {
          return Tok2VecPtr(std::make_shared<ChainTok2Vec>(
              get_model<Tok2VecModel>(a, "embed", path), get_model<EncoderModel>(a, "encode", path)));
        }),
        T2V);
    add("architectures", "spacy.MultiHashEmbed.v2",
        {arg("width", "int"), arg("attrs", "list[str]"), arg("rows", "list[int]"),
         arg("include_static_vectors", "bool")},
        guarded([](const Value& a, const Path& path) -> std::any {
          if (registry::get_bool(a, "include_static_vectors")) {
            Path p = path;
            p.push_back("include_static_vectors");
            throw ConfigError(p, "static vectors are not supported (use false)");
          }
          return Tok2VecPtr(std::make_shared<MultiHashEmbed>(
              registry::get_int(a, "width"), registry::get_str_list(a, "attrs"),
              a.at("rows").as<std::vector<int64_t>>()));
        }),
        "Model[List[Doc], List[Floats2d]]");
    add("architectures", "spacy.MaxoutWindowEncoder.v2",
        {arg("width", "int"), arg("window_size", "int"), arg("maxout_pieces", "int"),
         arg("depth", "int")},
        guarded([](const Value& a, const Path&) -> std::any {
          return std::shared_ptr<EncoderModel>(std::make_shared<MaxoutWindowEncoder>(
              registry::get_int(a, "width"), registry::get_int(a, "window_size"),
              registry::get_int(a, "maxout_pieces"), registry::get_int(a, "depth")));
        }),
        "Model[List[Floats2d], List[Floats2d]]");
    add("architectures", "spacy.Tok2VecListener.v1",
        {arg("width", "int"), arg("upstream", "str", "*")},
        guarded([](const Value& a, const Path&) -> std::any {
          return Tok2VecPtr(std::make_shared<Tok2VecListenerModel>(
              registry::get_int(a, "width"), registry::get_str(a, "upstream")));
        }),
        T2V);
    add("architectures", "spacy.Tagger.v2",
        {arg("tok2vec", "Model"), arg("nO", "int", nullptr), arg("normalize", "bool", false)},
        guarded([](const Value& a, const Path& path) -> std::any {
          return std::make_shared<TaggerModel>(get_model<Tok2VecModel>(a, "tok2vec", path),
                                               opt_int(a, "nO"), registry::get_bool(a, "normalize"));
        }),
        "Model[List[Doc], List[Floats2d]]");
    add("architectures", "spacy.TransitionBasedParser.v2",
        {arg("tok2vec", "Model"), arg("state_type", "str"), arg("extra_state_tokens", "bool"),
         arg("hidden_width", "int"), arg("maxout_pieces", "int"), arg("use_upper", "bool", true),
         arg("nO", "int", nullptr)},
        guarded([](const Value& a, const Path& path) -> std::any {
          return std::make_shared<ParserModel>(
              get_model<Tok2VecModel>(a, "tok2vec", path), registry::get_str(a, "state_type"),
              registry::get_bool(a, "extra_state_tokens"), registry::get_int(a, "hidden_width"),
              registry::get_int(a, "maxout_pieces"), registry::get_bool(a, "use_upper"),
              opt_int(a, "nO"));
        }),
        "Model[List[Doc], List[Floats2d]]");
    auto bow = [](bool has_length) {
      return guarded([has_length](const Value& a, const Path&) -> std::any {
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
            registry::get_bool(a, "no_output_layer"), length, opt_int(a, "nO"), !has_length));
      });
    };
    add("architectures", "spacy.TextCatBOW.v3",
        {arg("exclusive_classes", "bool"), arg("ngram_size", "int"), arg("no_output_layer", "bool"),
         arg("length", "int", 262144), arg("nO", "int", nullptr)},
        bow(true), "Model[List[Doc], Floats2d]");
    add("architectures", "spacy.TextCatBOW.v2",
        {arg("exclusive_classes", "bool"), arg("ngram_size", "int"), arg("no_output_layer", "bool"),
         arg("nO", "int", nullptr)},
        bow(false), "Model[List[Doc], Floats2d]");
    add("architectures", "spacy.TextCatEnsemble.v2",
        {arg("tok2vec", "Model"), arg("linear_model", "Model"), arg("nO", "int", nullptr)},
        guarded([](const Value& a, const Path& path) -> std::any {
          return std::shared_ptr<TextCatModel>(std::make_shared<TextCatEnsembleModel>(
              get_model<Tok2VecModel>(a, "tok2vec", path),
              get_model<TextCatModel>(a, "linear_model", path), opt_int(a, "nO")));
        }),
        "Model[List[Doc], Floats2d]");
    add("architectures", "spacy.TextCatCNN.v2",
        {arg("tok2vec", "Model"), arg("exclusive_classes", "bool"), arg("nO", "int", nullptr)},
        guarded([](const Value& a, const Path& path) -> std::any {
          return std::shared_ptr<TextCatModel>(std::make_shared<TextCatReduceModel>(
              get_model<Tok2VecModel>(a, "tok2vec", path), registry::get_bool(a, "exclusive_classes"),
              std::vector<layers::Reduce>{layers::Reduce::Mean}, opt_int(a, "nO")));
        }),
        "Model[List[Doc], Floats2d]");
    add("architectures", "spacy.TextCatReduce.v1",
        {arg("tok2vec", "Model"), arg("exclusive_classes", "bool"), arg("use_reduce_first", "bool"),
         arg("use_reduce_last", "bool"), arg("use_reduce_max", "bool"),
         arg("use_reduce_mean", "bool"), arg("nO", "int", nullptr)},
        guarded([](const Value& a, const Path& path) -> std::any {
          std::vector<layers::Reduce> r;
          if (registry::get_bool(a, "use_reduce_first")) r.push_back(layers::Reduce::First);
          if (registry::get_bool(a, "use_reduce_last")) r.push_back(layers::Reduce::Last);
          if (registry::get_bool(a, "use_reduce_max")) r.push_back(layers::Reduce::Max);
          if (registry::get_bool(a, "use_reduce_mean")) r.push_back(layers::Reduce::Mean);
          return std::shared_ptr<TextCatModel>(std::make_shared<TextCatReduceModel>(
              get_model<Tok2VecModel>(a, "tok2vec", path), registry::get_bool(a, "exclusive_classes"),
              r, opt_int(a, "nO")));
        }),
        "Model[List[Doc], Floats2d]");
  });
}

}  // namespace trfpipe
