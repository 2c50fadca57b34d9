#include "components/tok2vec/tok2vec_models.hpp"

#include <cctype>

#include <ATen/ATen.h>

#include "components/common/registration.hpp"
#include "models/fast_linear.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {
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
  // ID is spaCy's lexeme ordinal in its vocab (insertion order, so it differs between runs):
  // one value per word type, which the word's ORTH hash gives as well.
  if (n == "ORTH" || n == "ID") return TokenAttr::ORTH;
  if (n == "NORM") return TokenAttr::NORM;
  if (n == "LOWER") return TokenAttr::LOWER;
  if (n == "PREFIX") return TokenAttr::PREFIX;
  if (n == "SUFFIX") return TokenAttr::SUFFIX;
  if (n == "SHAPE") return TokenAttr::SHAPE;
  throw ValueError("unsupported token attribute '" + name +
                   "' (supported: NORM, PREFIX, SUFFIX, SHAPE, LOWER, ORTH, ID)");
}

uint64_t token_attr(const Doc& doc, size_t i, TokenAttr attr) {
  Token t = doc.token(i);
  switch (attr) {
    case TokenAttr::ORTH:
      return t.orth();
    case TokenAttr::NORM:
      return t.norm();
    case TokenAttr::LOWER:
      return t.lower();
    case TokenAttr::PREFIX:
      return t.prefix();
    case TokenAttr::SUFFIX:
      return t.suffix();
    case TokenAttr::SHAPE:
      return t.shape();
  }
  return 0;
}

// ---- StaticVectors ----
StaticVectors::StaticVectors(int64_t nO, int64_t nM, std::optional<double> dropout,
                             TokenAttr key_attr, layers::Initializer init_W)
    : nO_(nO), dropout_(dropout), key_attr_(key_attr), init_W_(std::move(init_W)) {
  if (nO <= 0)
    throw ValueError("[E904] Cannot initialize StaticVectors layer: nO dimension unset (give "
                     "nO, the output width)");
  if (nM < 0) throw ValueError("StaticVectors: nM must not be negative");
  if (nM > 0) W_ = layers::param(init_W_({nO, nM}));
}

void StaticVectors::initialize_vectors(const Vectors& table) {
  if (table.empty()) return;
  if (W_.defined() && W_.size(1) == table.cols()) return;
  W_ = layers::param(init_W_({nO_, table.cols()}));
}

at::Tensor StaticVectors::forward_rows(const std::vector<Doc*>& docs, bool is_train) {
  std::vector<int64_t> rows;
  for (const Doc* d : docs)
    for (size_t i = 0; i < d->size(); ++i) rows.push_back(0);
  if (rows.empty()) return at::zeros({0, nO_}, at::kFloat);
  const Vectors& table = docs.front()->vocab().vectors();
  if (!W_.defined() || table.empty())
    throw Error("[E896] spacy.StaticVectors: the vocab has no vectors table. Set [initialize] "
                "vectors to a pipeline folder made by `trfpipe init vectors`, or set "
                "include_static_vectors = false");
  if (table.cols() != W_.size(1))
    throw Error("[E896] spacy.StaticVectors: the vectors table has width " +
                std::to_string(table.cols()) + " but the layer was sized for " +
                std::to_string(W_.size(1)));
  std::vector<float> oov(rows.size(), 0.f);
  size_t n = 0;
  for (const Doc* d : docs)
    for (size_t i = 0; i < d->size(); ++i, ++n) {
      const int64_t r = table.find(token_attr(*d, i, key_attr_));
      rows[n] = r >= 0 ? r : table.rows() - 1;  // numpy's V[-1]
      oov[n] = r >= 0 ? 0.f : 1.f;
    }
  // The table stays where it is (often a read-only mapping): only the gathered rows are copied.
  at::Tensor V = at::from_blob(const_cast<float*>(table.data()), {table.rows(), table.cols()},
                               at::kFloat)
                     .index_select(0, at::from_blob(rows.data(), {int64_t(rows.size())},
                                                    at::kLong));
  at::Tensor full = models::linear(V, W_, {});
  at::Tensor mask = at::from_blob(oov.data(), {int64_t(oov.size()), 1}, at::kFloat).clone();
  at::Tensor out = full - (full * mask).detach();
  if (is_train && dropout_ && *dropout_ > 0.0) {
    const double drop = *dropout_;
    at::Tensor keep = drop >= 1.0 ? at::zeros({nO_}, at::kFloat)
                                  : (at::rand({nO_}, at::kFloat) > drop).to(at::kFloat) /
                                        (1.0 - drop);
    out = out * keep;
  }
  return out;
}

std::vector<at::Tensor> StaticVectors::forward(const std::vector<Doc*>& docs, bool is_train) {
  return split_rows(forward_rows(docs, is_train), doc_lengths(docs));
}

void StaticVectors::collect(const std::string& prefix, NamedTensors& out) const {
  if (W_.defined()) out.emplace_back(prefix + "W", W_);
}

// ---- MultiHashEmbed ----
MultiHashEmbed::MultiHashEmbed(int64_t width, std::vector<std::string> attrs,
                               std::vector<int64_t> rows, bool include_static_vectors)
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
  if (include_static_vectors)
    static_vectors_ = std::make_unique<StaticVectors>(width, 0, 0.0, TokenAttr::ORTH);
  const int64_t n_inputs = int64_t(attrs.size()) + (include_static_vectors ? 1 : 0);
  mix_ = std::make_unique<layers::Maxout>(width, width * n_inputs, 3, true);
}

void MultiHashEmbed::initialize_vectors(const Vectors& table) {
  if (static_vectors_) static_vectors_->initialize_vectors(table);
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
  if (static_vectors_) cols.push_back(static_vectors_->forward_rows(docs, is_train));
  at::Tensor X = at::cat(cols, 1);
  if (X.size(0) == 0) return split_rows(at::zeros({0, width_}, at::kFloat), lengths);
  return split_rows(mix_->forward(X, is_train ? drop_ : 0.0), lengths);
}

void MultiHashEmbed::collect(const std::string& prefix, NamedTensors& out) const {
  for (size_t a = 0; a < embeds_.size(); ++a)
    embeds_[a]->collect(prefix + "hashembed" + std::to_string(a) + ".", out);
  if (static_vectors_) static_vectors_->collect(prefix + "static_vectors.", out);
  mix_->collect(prefix + "maxout.", out);
}

// ---- CharacterEmbed ----
CharacterEmbed::CharacterEmbed(int64_t width, int64_t rows, int64_t nM, int64_t nC,
                               const std::string& feature, bool include_static_vectors)
    : width_(width), nM_(nM), nC_(nC), feature_(token_attr_from_name(feature)) {
  if (width <= 0 || rows <= 0 || nM <= 0 || nC <= 0)
    throw ValueError("CharacterEmbed: width, rows, nM and nC must be positive");
  E_ = at::zeros({nC, 256, nM}, at::kFloat).set_requires_grad(true);
  embed_ = std::make_unique<layers::HashEmbed>(width, rows, 5, 0);
  if (include_static_vectors)
    static_vectors_ = std::make_unique<StaticVectors>(width, 0, 0.0, TokenAttr::ORTH);
  mix_ = std::make_unique<layers::Maxout>(
      width, nM * nC + width * (include_static_vectors ? 2 : 1), 3, true);
}

void CharacterEmbed::initialize_vectors(const Vectors& table) {
  if (static_vectors_) static_vectors_->initialize_vectors(table);
}

std::vector<uint8_t> CharacterEmbed::utf8_array(std::string_view word, int64_t nC) {
  std::vector<uint8_t> out(size_t(nC), 255);
  int64_t j = 0, start = 0, end = int64_t(word.size()) - 1;
  while (j < nC && start <= end) {
    out[size_t(j++)] = uint8_t(word[size_t(start++)]);
    if (j < nC && start <= end) out[size_t(j++)] = uint8_t(word[size_t(end--)]);
  }
  return out;
}

std::vector<at::Tensor> CharacterEmbed::forward(const std::vector<Doc*>& docs, bool is_train) {
  const auto lengths = doc_lengths(docs);
  std::vector<int64_t> rows;  // row of E viewed as [nC * 256, nM]
  std::vector<uint64_t> ids;
  for (const Doc* d : docs)
    for (size_t i = 0; i < d->size(); ++i) {
      std::vector<uint8_t> bytes = utf8_array(d->token(i).text(), nC_);
      for (int64_t j = 0; j < nC_; ++j) rows.push_back(j * 256 + bytes[size_t(j)]);
      ids.push_back(token_attr(*d, i, feature_));
    }
  const int64_t N = int64_t(ids.size());
  if (N == 0) return split_rows(at::zeros({0, width_}, at::kFloat), lengths);
  at::Tensor index = at::from_blob(rows.data(), {int64_t(rows.size())}, at::kLong).clone();
  at::Tensor chars = E_.view({nC_ * 256, nM_}).index_select(0, index).view({N, nC_ * nM_});
  std::vector<at::Tensor> parts{chars, embed_->forward(ids, is_train ? drop_ : 0.0)};
  if (static_vectors_) parts.push_back(static_vectors_->forward_rows(docs, is_train));
  at::Tensor X = at::cat(parts, 1);
  return split_rows(mix_->forward(X, is_train ? drop_ : 0.0), lengths);
}

void CharacterEmbed::collect(const std::string& prefix, NamedTensors& out) const {
  out.emplace_back(prefix + "charembed.E", E_);
  embed_->collect(prefix + "hashembed.", out);
  if (static_vectors_) static_vectors_->collect(prefix + "static_vectors.", out);
  mix_->collect(prefix + "maxout.", out);
}

// ---- MaxoutWindowEncoder ----
MaxoutWindowEncoder::MaxoutWindowEncoder(int64_t width, int64_t window_size, int64_t maxout_pieces,
                                         int64_t depth)
    : width_(width), window_size_(window_size), depth_(depth) {
  if (width <= 0 || window_size < 0 || maxout_pieces < 0 || depth < 0)
    throw ValueError("MaxoutWindowEncoder: width and maxout_pieces must be positive");
  const int64_t nI = width * (2 * window_size + 1);
  for (int64_t i = 0; i < depth; ++i) {
    if (maxout_pieces > 0)
      layers_.push_back(std::make_unique<layers::Maxout>(width, nI, maxout_pieces, true));
    else
      mish_layers_.push_back({std::make_unique<layers::Linear>(width, nI),
                              std::make_unique<layers::LayerNorm>(width)});
  }
}

std::vector<at::Tensor> MaxoutWindowEncoder::forward(const std::vector<at::Tensor>& Xs,
                                                     bool is_train) {
  std::vector<int64_t> lengths;
  for (const auto& x : Xs) lengths.push_back(x.size(0));
  const int64_t pad = window_size_ * depth_;
  at::Tensor X = layers::flatten_padded(Xs, pad, width_);
  const double drop = is_train ? drop_ : 0.0;
  if (X.size(0) > 0) {
    for (const auto& layer : layers_)
      X = X + layer->forward(layers::expand_window(X, window_size_), drop);
    for (const auto& layer : mish_layers_) {
      at::Tensor Y = at::mish(layer.linear->forward(layers::expand_window(X, window_size_)));
      X = X + layers::dropout(layer.norm->forward(Y), drop);
    }
  }
  return layers::unflatten_padded(X, lengths, pad);
}

void MaxoutWindowEncoder::collect(const std::string& prefix, NamedTensors& out) const {
  for (size_t i = 0; i < layers_.size(); ++i)
    layers_[i]->collect(prefix + "layer" + std::to_string(i) + ".", out);
  for (size_t i = 0; i < mish_layers_.size(); ++i) {
    const std::string p = prefix + "layer" + std::to_string(i) + ".";
    mish_layers_[i].linear->collect(p, out);
    mish_layers_[i].norm->collect(p + "ln.", out);
  }
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
Tok2VecListenerModel::Tok2VecListenerModel(int64_t width, std::string upstream, double grad_factor,
                                           std::string kind)
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
      throw Error("The " + listener_.kind() + " listener (upstream '" + listener_.upstream_name() +
                  "') found no doc.tensor: a frozen upstream must also be in "
                  "[training] annotating_components (spaCy's E203)");
    } else {
      out.push_back(at::zeros({int64_t(d->size()), listener_.width()}, at::kFloat));
    }
  }
  return out;
}

void register_tok2vec_architectures() {
  using registry::arg;
  using registry::Value;
  // thinc's initializers (StaticVectors.v2's init_W).
  for (const char* name : {"glorot_uniform_init.v1", "glorot_normal_init.v1", "he_uniform_init.v1",
                           "he_normal_init.v1", "lecun_uniform_init.v1", "lecun_normal_init.v1",
                           "zero_init.v1"})
    add_function("initializers", name, {},
                 [name = std::string(name)](const Value&, const ConfigPath&) -> std::any {
                   return layers::thinc_initializer(name);
                 },
                 "Callable[[Shape], FloatsXd]");
  add_function("initializers", "uniform_init.v1", {arg("lo", "float", -0.1), arg("hi", "float", 0.1)},
               [](const Value& a, const ConfigPath&) -> std::any {
                 return layers::thinc_initializer("uniform_init.v1", registry::get_float(a, "lo"),
                                                  registry::get_float(a, "hi"));
               },
               "Callable[[Shape], FloatsXd]");
  add_function("initializers", "normal_init.v1", {arg("mean", "float", 0.0)},
               [](const Value& a, const ConfigPath&) -> std::any {
                 return layers::thinc_initializer("normal_init.v1", -0.1, 0.1,
                                                  registry::get_float(a, "mean"));
               },
               "Callable[[Shape], FloatsXd]");
  const std::string T2V = "Model[List[Doc], List[Floats2d]]";
  // HashEmbedCNN.v1 (spacy-legacy) builds the same layers as .v2 (Tok2Vec, MultiHashEmbed,
  // MaxoutWindowEncoder); only the version names of its parts differ.
  for (const char* name : {"spacy.HashEmbedCNN.v2", "spacy.HashEmbedCNN.v1"})
    add_function(
        "architectures", name,
        {arg("width", "int"), arg("depth", "int"), arg("embed_size", "int"),
         arg("window_size", "int"), arg("maxout_pieces", "int"), arg("subword_features", "bool"),
         arg("pretrained_vectors", "bool|null")},
        [](const Value& a, const ConfigPath& path) -> std::any {
          // spaCy: include_static_vectors=bool(pretrained_vectors)
          const bool static_vectors = !registry::is_null(a, "pretrained_vectors") &&
                                      registry::get_bool(a, "pretrained_vectors");
          const int64_t width = registry::get_int(a, "width"), E = registry::get_int(a, "embed_size");
          std::vector<std::string> attrs{"NORM"};
          std::vector<int64_t> rows{E};
          if (registry::get_bool(a, "subword_features")) {
            attrs = {"NORM", "PREFIX", "SUFFIX", "SHAPE"};
            rows = {E, E / 2, E / 2, E / 2};
          }
          if (registry::get_int(a, "maxout_pieces") < 1)
            throw ValueError("maxout_pieces must be at least 1");
          auto embed = std::make_shared<MultiHashEmbed>(width, attrs, rows, static_vectors);
          auto encode = std::make_shared<MaxoutWindowEncoder>(
              width, registry::get_int(a, "window_size"), registry::get_int(a, "maxout_pieces"),
              registry::get_int(a, "depth"));
          return Tok2VecPtr(std::make_shared<ChainTok2Vec>(embed, encode));
        },
        T2V);
  // Tok2Vec.v1 (spacy-legacy) wraps an encoder of arrays in with_array(pad=receptive_field);
  // this encoder role already pads the joined docs, so both versions chain embed >> encode.
  for (const char* name : {"spacy.Tok2Vec.v2", "spacy.Tok2Vec.v1"})
    add_function(
        "architectures", name, {arg("embed", "Model"), arg("encode", "Model")},
        [](const Value& a, const ConfigPath& path) -> std::any {
          return Tok2VecPtr(std::make_shared<ChainTok2Vec>(
              model_arg<Tok2VecModel>(a, "embed", path), model_arg<EncoderModel>(a, "encode", path)));
        },
        T2V);
  // MultiHashEmbed.v1 (spacy-legacy; spancat_singlelabel's default and spaCy's tagger_parser_ud
  // project name it) differs from .v2 only in its static-vectors layer (StaticVectors.v1, which
  // projects the same way).
  for (const char* name : {"spacy.MultiHashEmbed.v2", "spacy.MultiHashEmbed.v1"})
    add_function(
        "architectures", name,
        {arg("width", "int"), arg("attrs", "list[str]"), arg("rows", "list[int]"),
         arg("include_static_vectors", "bool")},
        [](const Value& a, const ConfigPath& path) -> std::any {
          return Tok2VecPtr(std::make_shared<MultiHashEmbed>(
              registry::get_int(a, "width"), registry::get_str_list(a, "attrs"),
              a.at("rows").as<std::vector<int64_t>>(),
              registry::get_bool(a, "include_static_vectors")));
        },
        "Model[List[Doc], List[Floats2d]]");
  add_function(
      "architectures", "spacy.CharacterEmbed.v2",
      {arg("width", "int"), arg("rows", "int"), arg("nM", "int"), arg("nC", "int"),
       arg("include_static_vectors", "bool"), arg("feature", "str", "LOWER")},
      [](const Value& a, const ConfigPath& path) -> std::any {
        return Tok2VecPtr(std::make_shared<CharacterEmbed>(
            registry::get_int(a, "width"), registry::get_int(a, "rows"), registry::get_int(a, "nM"),
            registry::get_int(a, "nC"), registry::get_str(a, "feature"),
            registry::get_bool(a, "include_static_vectors")));
      },
      T2V);
  // .v1 (spacy-legacy) is the same network as .v2 (it left the padding to Tok2Vec.v1).
  for (const char* name : {"spacy.MaxoutWindowEncoder.v2", "spacy.MaxoutWindowEncoder.v1"})
    add_function(
        "architectures", name,
        {arg("width", "int"), arg("window_size", "int"), arg("maxout_pieces", "int"),
         arg("depth", "int")},
        [](const Value& a, const ConfigPath& path) -> std::any {
          const int64_t pieces = registry::get_int(a, "maxout_pieces");
          if (pieces < 1) {
            ConfigPath p = path;
            p.push_back("maxout_pieces");
            throw ConfigError(p, "must be at least 1, got " + std::to_string(pieces));
          }
          return std::shared_ptr<EncoderModel>(std::make_shared<MaxoutWindowEncoder>(
              registry::get_int(a, "width"), registry::get_int(a, "window_size"), pieces,
              registry::get_int(a, "depth")));
        },
        "Model[List[Floats2d], List[Floats2d]]");
  // MishWindowEncoder.v1 (spacy-legacy) and .v2 (spaCy): the window encoder with thinc's Mish.
  for (const char* name : {"spacy.MishWindowEncoder.v2", "spacy.MishWindowEncoder.v1"})
    add_function(
        "architectures", name,
        {arg("width", "int"), arg("window_size", "int"), arg("depth", "int")},
        [](const Value& a, const ConfigPath&) -> std::any {
          return std::shared_ptr<EncoderModel>(std::make_shared<MaxoutWindowEncoder>(
              registry::get_int(a, "width"), registry::get_int(a, "window_size"),
              /*maxout_pieces=*/0, registry::get_int(a, "depth")));
        },
        "Model[List[Floats2d], List[Floats2d]]");
  add_function(
      "layers", "spacy.StaticVectors.v2",
      {arg("nO", "int|null", nullptr), arg("nM", "int|null", nullptr),
       arg("dropout", "float|null", nullptr), arg("init_W", "any", nullptr),
       arg("key_attr", "str", "ORTH")},
      [](const Value& a, const ConfigPath& path) -> std::any {
        layers::Initializer init_W = layers::glorot_uniform_init;
        if (!registry::is_null(a, "init_W")) {
          const Value& v = a.at("init_W");
          const auto* f = v.is_object() ? std::any_cast<layers::Initializer>(&v.object()) : nullptr;
          if (!f) {
            ConfigPath p = path;
            p.push_back("init_W");
            throw ConfigError(p, "expected an initializer ({\"@initializers\": "
                                 "\"glorot_uniform_init.v1\"}), got " + v.describe());
          }
          init_W = *f;
        }
        std::optional<double> dropout;
        if (!registry::is_null(a, "dropout")) dropout = registry::get_float(a, "dropout");
        return Tok2VecPtr(std::make_shared<StaticVectors>(
            optional_int(a, "nO"), optional_int(a, "nM"), dropout,
            token_attr_from_name(registry::get_str(a, "key_attr")), init_W));
      },
      "Model[List[Doc], Ragged]");
  add_function(
      "architectures", "spacy.MaxoutWindowEncoder.v2",
      {arg("width", "int"), arg("window_size", "int"), arg("maxout_pieces", "int"),
       arg("depth", "int")},
      [](const Value& a, const ConfigPath&) -> std::any {
        return std::shared_ptr<EncoderModel>(std::make_shared<MaxoutWindowEncoder>(
            registry::get_int(a, "width"), registry::get_int(a, "window_size"),
            registry::get_int(a, "maxout_pieces"), registry::get_int(a, "depth")));
      },
      "Model[List[Floats2d], List[Floats2d]]");
  add_function(
      "architectures", "spacy.Tok2VecListener.v1",
      {arg("width", "int"), arg("upstream", "str", "*")},
      [](const Value& a, const ConfigPath&) -> std::any {
        return Tok2VecPtr(std::make_shared<Tok2VecListenerModel>(registry::get_int(a, "width"),
                                                                 registry::get_str(a, "upstream")));
      },
      T2V);
}

}  // namespace trfpipe
