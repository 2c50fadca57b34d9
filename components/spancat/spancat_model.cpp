#include "components/spancat/spancat_model.hpp"

#include <algorithm>

#include <ATen/ATen.h>

#include "components/common/registration.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {
at::Tensor long_tensor(const std::vector<int64_t>& v) {
  return at::from_blob(const_cast<int64_t*>(v.data()), {int64_t(v.size())}, at::kLong).clone();
}
}  // namespace

// ---- MeanMaxReducer ----
MeanMaxReducer::MeanMaxReducer(int64_t hidden_size) : hidden_size_(hidden_size) {
  if (hidden_size_ < 1) throw ValueError("mean_max_reducer: hidden_size must be at least 1");
}

void MeanMaxReducer::initialize(int64_t width) {
  if (width <= 0)
    throw ValueError(
        "mean_max_reducer: the tok2vec's width is still unknown at initialization (a "
        "transformer listener needs its transformer in the pipeline)");
  if (maxout_) {
    if (maxout_->nI == 4 * width) return;
    throw ValueError("mean_max_reducer: sized for a width of " + std::to_string(maxout_->nI / 4) +
                     ", the tok2vec now gives " + std::to_string(width));
  }
  maxout_ = std::make_unique<layers::Maxout>(hidden_size_, 4 * width, 3, /*normalize=*/true);
}

at::Tensor MeanMaxReducer::forward(const at::Tensor& X, const std::vector<int64_t>& starts,
                                   const std::vector<int64_t>& ends, double drop) const {
  if (!maxout_) throw Error("mean_max_reducer used before initialization");
  const int64_t n = int64_t(starts.size());
  if (n == 0) return at::zeros({0, hidden_size_}, X.options());
  // Step j takes row min(start + j, end - 1) of every span at once: [n, w] tensors instead of
  // one small op per span (a batch has tens of thousands of candidates) or a padded
  // [n, longest, w] copy. Repeating the last row leaves the max unchanged; the sum masks it out.
  int64_t longest = 0;
  for (int64_t i = 0; i < n; ++i) longest = std::max(longest, ends[size_t(i)] - starts[size_t(i)]);
  std::vector<int64_t> rows(static_cast<size_t>(n));
  std::vector<float> inside(static_cast<size_t>(n)), inv(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) inv[size_t(i)] = 1.f / float(ends[size_t(i)] - starts[size_t(i)]);
  at::Tensor first, last, sum, max;
  for (int64_t j = 0; j < longest; ++j) {
    for (int64_t i = 0; i < n; ++i) {
      rows[size_t(i)] = std::min(starts[size_t(i)] + j, ends[size_t(i)] - 1);
      inside[size_t(i)] = starts[size_t(i)] + j < ends[size_t(i)] ? 1.f : 0.f;
    }
    at::Tensor R = X.index_select(0, long_tensor(rows));
    if (j == 0) {
      first = sum = max = R;
      continue;
    }
    max = at::maximum(max, R);
    sum = sum + R * at::from_blob(inside.data(), {n, 1}, at::kFloat).clone();
  }
  std::vector<int64_t> lasts(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) lasts[size_t(i)] = ends[size_t(i)] - 1;
  last = X.index_select(0, long_tensor(lasts));
  at::Tensor mean = sum * at::from_blob(inv.data(), {n, 1}, at::kFloat).clone();
  // thinc's concatenate order: reduce_last, reduce_first, reduce_mean, reduce_max.
  return maxout_->forward(at::cat({last, first, mean, max}, 1), drop);
}

void MeanMaxReducer::collect(const std::string& prefix, NamedTensors& out) const {
  if (maxout_) maxout_->collect(prefix + "maxout.", out);
}

// ---- SpanScorerLayer ----
SpanScorerLayer::SpanScorerLayer(Kind kind, int64_t nO, int64_t nI, bool normalize_outputs,
                                 double temperature)
    : kind_(kind), nO_(nO), nI_(nI), normalize_(normalize_outputs), temperature_(temperature) {
  if (nO_ < 0 || nI_ < 0) throw ValueError("nO and nI must be positive (or null)");
  if (temperature_ <= 0.0) throw ValueError("softmax temperature must not be zero or negative");
}

void SpanScorerLayer::initialize(int64_t nO, int64_t nI) {
  if (nO_ > 0 && nO != nO_)
    throw ValueError("the span scorer's nO (" + std::to_string(nO_) + ") does not match the " +
                     std::to_string(nO) + " outputs the component needs (its labels)");
  if (nI_ > 0 && nI != nI_)
    throw ValueError("the span scorer's nI (" + std::to_string(nI_) +
                     ") does not match the reducer's output width (" + std::to_string(nI) + ")");
  if (linear_ && linear_->nO == nO && linear_->nI == nI) return;
  // LinearLogistic: thinc's Linear with init_W=glorot_uniform_init; Softmax_v2: zero_init.
  linear_ = std::make_unique<layers::Linear>(nO, nI, /*zero_init=*/kind_ == Kind::Softmax);
}

at::Tensor SpanScorerLayer::forward(const at::Tensor& X, bool is_train) const {
  if (!linear_) throw Error("span scorer used before initialization (no labels)");
  at::Tensor Y = linear_->forward(X);
  if (kind_ == Kind::Logistic) return at::sigmoid(Y);
  if (!is_train && !normalize_) return Y;
  // thinc: softmax(Y / T); backprop passes dY / T to the logits.
  return layers::softmax_passthrough(temperature_ == 1.0 ? Y : Y / temperature_);
}

void SpanScorerLayer::collect(const std::string& prefix, NamedTensors& out) const {
  if (linear_) linear_->collect(prefix, out);
}

// ---- SpanCatModel ----
SpanCatModel::SpanCatModel(Tok2VecPtr tok2vec, std::shared_ptr<MeanMaxReducer> reducer,
                           std::shared_ptr<SpanScorerLayer> scorer)
    : tok2vec_(std::move(tok2vec)), reducer_(std::move(reducer)), scorer_(std::move(scorer)) {
  if (!tok2vec_ || !reducer_ || !scorer_)
    throw ValueError("SpanCategorizer: tok2vec, reducer and scorer are required");
}

void SpanCatModel::initialize(int64_t n_outputs) {
  reducer_->initialize(tok2vec_->width());
  scorer_->initialize(n_outputs, reducer_->nO());
}

void SpanCatModel::set_dropout(double drop) {
  drop_ = drop;
  tok2vec_->set_dropout(drop);
}

at::Tensor SpanCatModel::forward(const std::vector<Doc*>& docs, const SuggestedSpans& spans,
                                 bool is_train) {
  if (!initialized()) throw Error("SpanCategorizer model used before initialization (no labels)");
  if (spans.lengths.size() != docs.size())
    throw ValueError("the suggester gave span counts for " + std::to_string(spans.lengths.size()) +
                     " docs, the batch has " + std::to_string(docs.size()));
  std::vector<int64_t> starts, ends;
  starts.reserve(spans.size());
  ends.reserve(spans.size());
  int64_t offset = 0;
  size_t row = 0;
  for (size_t d = 0; d < docs.size(); ++d) {
    const int64_t n_tokens = int64_t(docs[d]->size());
    for (int64_t k = 0; k < spans.lengths[d]; ++k, ++row) {
      if (row >= spans.size())
        throw ValueError("the suggester's span counts add up to more than its " +
                         std::to_string(spans.size()) + " spans");
      const SuggestedSpans::Pair& s = spans.spans[row];
      if (s.start < 0 || s.end <= s.start || s.end > n_tokens)
        throw ValueError("suggested span " + std::to_string(k) + " of doc " + std::to_string(d) +
                         " is (" + std::to_string(s.start) + ", " + std::to_string(s.end) +
                         "): not a non-empty span of a Doc of " + std::to_string(n_tokens) +
                         " tokens");
      starts.push_back(offset + s.start);
      ends.push_back(offset + s.end);
    }
    offset += n_tokens;
  }
  if (row != spans.size())
    throw ValueError("the suggester gave " + std::to_string(spans.size()) +
                     " spans but its span counts add up to " + std::to_string(row));
  at::Tensor X = cat_rows(tok2vec_->forward(docs, is_train), tok2vec_->width());
  if (is_train || int64_t(starts.size()) <= kPredictChunk)
    return scorer_->forward(reducer_->forward(X, starts, ends, is_train ? drop_ : 0.0), is_train);
  // Prediction over a large batch (evaluate runs 1000 docs at once): candidates in chunks, so
  // the reducer's and the Maxout's intermediates stay a few MB each.
  std::vector<at::Tensor> parts;
  for (size_t b = 0; b < starts.size(); b += size_t(kPredictChunk)) {
    const size_t e = std::min(starts.size(), b + size_t(kPredictChunk));
    std::vector<int64_t> s(starts.begin() + long(b), starts.begin() + long(e)),
        t(ends.begin() + long(b), ends.begin() + long(e));
    parts.push_back(scorer_->forward(reducer_->forward(X, s, t, 0.0), false));
  }
  return at::cat(parts, 0);
}

void SpanCatModel::collect(const std::string& prefix, NamedTensors& out) const {
  tok2vec_->collect(prefix + "tok2vec.", out);
  reducer_->collect(prefix + "reducer.", out);
  scorer_->collect(prefix + "scorer.", out);
}

// ---- registration ----
namespace {

ConfigPath child(ConfigPath path, const std::string& key) {
  path.push_back(key);
  return path;
}

int64_t positive_size(const registry::Value& a, const std::string& key, const ConfigPath& path) {
  const int64_t v = registry::get_int(a, key);
  if (v < 1)
    throw ConfigError(child(path, key),
                      "n-gram sizes must be at least 1, got " + std::to_string(v));
  return v;
}

}  // namespace

void register_spancat_architectures() {
  using registry::arg;
  using registry::Value;
  add_function(
      "architectures", "spacy.SpanCategorizer.v1",
      {arg("tok2vec", "Model"), arg("reducer", "Model"), arg("scorer", "Model")},
      [](const Value& a, const ConfigPath& path) -> std::any {
        return std::make_shared<SpanCatModel>(model_arg<Tok2VecModel>(a, "tok2vec", path),
                                              model_arg<MeanMaxReducer>(a, "reducer", path),
                                              model_arg<SpanScorerLayer>(a, "scorer", path));
      },
      "Model[Tuple[List[Doc], Ragged], Floats2d]");
  add_function(
      "layers", "spacy.mean_max_reducer.v1", {arg("hidden_size", "int")},
      [](const Value& a, const ConfigPath&) -> std::any {
        return std::make_shared<MeanMaxReducer>(registry::get_int(a, "hidden_size"));
      },
      "Model[Ragged, Floats2d]");
  add_function(
      "layers", "spacy.LinearLogistic.v1", {arg("nO", "int", nullptr), arg("nI", "int", nullptr)},
      [](const Value& a, const ConfigPath&) -> std::any {
        return std::make_shared<SpanScorerLayer>(SpanScorerLayer::Kind::Logistic,
                                                 optional_int(a, "nO"), optional_int(a, "nI"));
      },
      "Model[Floats2d, Floats2d]");
  add_function(
      "layers", "Softmax.v2",
      {arg("nO", "int", nullptr), arg("nI", "int", nullptr), arg("init_W", "any", nullptr),
       arg("init_b", "any", nullptr), arg("normalize_outputs", "bool", true),
       arg("temperature", "float", 1.0)},
      [](const Value& a, const ConfigPath& path) -> std::any {
        for (const char* init : {"init_W", "init_b"})
          if (!registry::is_null(a, init))
            throw ConfigError(child(path, init),
                              "custom initializers are not supported (use null: zero_init)");
        return std::make_shared<SpanScorerLayer>(
            SpanScorerLayer::Kind::Softmax, optional_int(a, "nO"), optional_int(a, "nI"),
            registry::get_bool(a, "normalize_outputs"), registry::get_float(a, "temperature"));
      },
      "Model[Floats2d, Floats2d]");

  // Suggesters (registry "misc", as spaCy's).
  add_function(
      "misc", "spacy.ngram_suggester.v1", {arg("sizes", "list[int]")},
      [](const Value& a, const ConfigPath& path) -> std::any {
        std::vector<int64_t> sizes = a.at("sizes").as<std::vector<int64_t>>();
        for (size_t i = 0; i < sizes.size(); ++i)
          if (sizes[i] < 1)
            throw ConfigError(child(path, "sizes"),
                              "n-gram sizes must be at least 1, got " + std::to_string(sizes[i]) +
                                  " (item " + std::to_string(i) + ")");
        return Suggester([sizes](const std::vector<Doc*>& docs) {
          return ngram_suggester(docs, sizes);
        });
      },
      "Suggester");
  add_function(
      "misc", "spacy.ngram_range_suggester.v1", {arg("min_size", "int"), arg("max_size", "int")},
      [](const Value& a, const ConfigPath& path) -> std::any {
        const int64_t lo = positive_size(a, "min_size", path), hi = positive_size(a, "max_size", path);
        if (hi < lo)
          throw ConfigError(child(path, "max_size"), "max_size (" + std::to_string(hi) +
                                                         ") is smaller than min_size (" +
                                                         std::to_string(lo) + ")");
        std::vector<int64_t> sizes;
        for (int64_t s = lo; s <= hi; ++s) sizes.push_back(s);
        return Suggester([sizes](const std::vector<Doc*>& docs) {
          return ngram_suggester(docs, sizes);
        });
      },
      "Suggester");
  add_function(
      "misc", "spacy.preset_spans_suggester.v1", {arg("spans_key", "str")},
      [](const Value& a, const ConfigPath&) -> std::any {
        std::string key = registry::get_str(a, "spans_key");
        return Suggester([key](const std::vector<Doc*>& docs) {
          return preset_spans_suggester(docs, key);
        });
      },
      "Suggester");
}

}  // namespace trfpipe
