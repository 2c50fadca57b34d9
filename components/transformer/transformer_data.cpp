// doc._.trf_data (TransformerData), the 2019 doc.tensor weighting, the tensor-based vector /
// similarity hooks and the torch-free JSON view used by `trfpipe apply --include-trf`.
#include "trfpipe/torch/transformer_data.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <ATen/ATen.h>

#include "pipeline/torch_runtime.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

WordpieceBatch WordpieceBatch::slice(int64_t start, int64_t end) const {
  WordpieceBatch out;
  out.strings.assign(strings.begin() + start, strings.begin() + end);
  out.lengths.assign(lengths.begin() + start, lengths.begin() + end);
  if (input_ids.defined()) out.input_ids = input_ids.slice(0, start, end);
  if (attention_mask.defined()) out.attention_mask = attention_mask.slice(0, start, end);
  if (token_type_ids.defined()) out.token_type_ids = token_type_ids.slice(0, start, end);
  return out;
}

std::vector<at::Tensor> ModelOutput::to_tuple() const {
  std::vector<at::Tensor> out;
  if (last_hidden_state.defined()) out.push_back(last_hidden_state);
  if (pooler_output.defined()) out.push_back(pooler_output);
  out.insert(out.end(), hidden_states.begin(), hidden_states.end());
  out.insert(out.end(), attentions.begin(), attentions.end());
  return out;
}

int64_t TransformerData::width() const {
  const at::Tensor& t = model_output.last_hidden_state;
  return t.defined() && t.dim() > 0 ? t.size(-1) : 0;
}

TransformerData TransformerData::empty(int64_t n_tokens, int64_t width) {
  TransformerData d;
  d.wordpieces.input_ids = at::zeros({0, 0}, at::kLong);
  d.wordpieces.attention_mask = at::zeros({0, 0}, at::kFloat);
  d.model_output.last_hidden_state = at::zeros({0, 0, width}, at::kFloat);
  d.align.lengths.assign(static_cast<size_t>(n_tokens), 0);
  return d;
}

TransformerData TransformerData::zeros(int64_t length, int64_t width) {
  TransformerData d;
  d.wordpieces.strings.assign(1, std::vector<std::string>(static_cast<size_t>(length)));
  d.wordpieces.input_ids = at::zeros({1, length}, at::kLong);
  d.wordpieces.attention_mask = at::ones({1, length}, at::kFloat);
  d.wordpieces.lengths = {length};
  d.model_output.last_hidden_state = at::zeros({1, length, width}, at::kFloat);
  for (int64_t i = 0; i < length; ++i) {
    d.align.data.push_back(i);
    d.align.lengths.push_back(1);
  }
  d.spans = {{0, length}};
  return d;
}

void install_trf_data_extension() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!Doc::has_extension(kTrfDataExtension))
      Doc::set_extension(kTrfDataExtension, std::any(TransformerDataPtr()));
  });
}

TransformerDataPtr get_trf_data(const Doc& doc) {
  if (!Doc::has_extension(kTrfDataExtension)) return nullptr;
  const std::any& v = doc.get_ext(kTrfDataExtension);
  if (const auto* p = std::any_cast<TransformerDataPtr>(&v)) return *p;
  return nullptr;
}

void set_trf_data(Doc& doc, TransformerDataPtr data) {
  install_trf_data_extension();
  doc.set_ext(kTrfDataExtension, std::any(std::move(data)));
}

Matrix weighted_token_tensor(const TransformerData& data, size_t n_tokens) {
  const at::Tensor& lhs = data.model_output.last_hidden_state;
  const int64_t width = data.width();
  Matrix out(static_cast<int64_t>(n_tokens), width);
  if (!lhs.defined() || lhs.numel() == 0 || n_tokens == 0) return out;
  const int64_t n_spans = lhs.size(0), padded = lhs.size(1);
  at::Tensor rows = lhs.detach().to(at::kFloat).contiguous().reshape({n_spans * padded, width});
  const float* X = rows.data_ptr<float>();
  // Tokens aligned to each row, and each token's rows.
  std::vector<std::vector<int64_t>> row_tokens(static_cast<size_t>(n_spans * padded));
  std::vector<std::vector<int64_t>> token_rows(n_tokens);
  size_t k = 0;
  for (size_t t = 0; t < data.align.lengths.size() && t < n_tokens; ++t) {
    for (int64_t j = 0; j < data.align.lengths[t]; ++j, ++k) {
      const int64_t r = data.align.data[k];
      row_tokens[static_cast<size_t>(r)].push_back(static_cast<int64_t>(t));
      token_rows[t].push_back(r);
    }
  }
  // The rows of real pieces: the attention mask says which (left-padded XLNet rows have their
  // padding first); without one, the first `lengths[s]` columns.
  at::Tensor real;
  if (data.wordpieces.attention_mask.defined() && data.wordpieces.attention_mask.dim() == 2 &&
      data.wordpieces.attention_mask.size(0) == n_spans && data.wordpieces.attention_mask.size(1) == padded)
    real = data.wordpieces.attention_mask.to(at::kCPU).ne(0).contiguous();
  const bool* is_real = real.defined() ? real.data_ptr<bool>() : nullptr;
  for (int64_t s = 0; s < n_spans; ++s) {
    const auto [start, end] = s < static_cast<int64_t>(data.spans.size())
                                  ? data.spans[static_cast<size_t>(s)]
                                  : std::pair<int64_t, int64_t>{0, 0};
    const int64_t len = s < data.wordpieces.size() ? data.wordpieces.lengths[static_cast<size_t>(s)]
                                                   : padded;
    for (int64_t p = 0; p < padded; ++p) {
      if (is_real ? !is_real[s * padded + p] : p >= len) continue;
      const int64_t r = s * padded + p;
      const float* x = X + r * width;
      const auto& toks = row_tokens[static_cast<size_t>(r)];
      if (!toks.empty()) {
        const float w = 1.0f / static_cast<float>(toks.size());
        for (int64_t t : toks) {
          float* y = out.row(t);
          for (int64_t c = 0; c < width; ++c) y[c] += x[c] * w;
        }
      } else {  // boundary / unaligned piece: shared by the span's (not cut) tokens
        std::vector<int64_t> share;
        for (int64_t t = start; t < end && t < static_cast<int64_t>(n_tokens); ++t)
          if (!std::binary_search(data.cut_tokens.begin(), data.cut_tokens.end(), t)) share.push_back(t);
        if (share.empty()) continue;
        const float w = 1.0f / static_cast<float>(share.size());
        for (int64_t t : share) {
          float* y = out.row(t);
          for (int64_t c = 0; c < width; ++c) y[c] += x[c] * w;
        }
      }
    }
  }
  return out;
}

namespace {
std::vector<float> tensor_rows_sum(const Doc& doc, size_t start, size_t end) {
  const Matrix& m = doc.tensor();
  std::vector<float> v(static_cast<size_t>(m.cols), 0.f);
  for (size_t i = start; i < end && static_cast<int64_t>(i) < m.rows; ++i) {
    const float* r = m.row(static_cast<int64_t>(i));
    for (int64_t c = 0; c < m.cols; ++c) v[static_cast<size_t>(c)] += r[c];
  }
  return v;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return 0.0;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  if (na == 0.0 || nb == 0.0) return 0.0;
  return dot / (std::sqrt(na) * std::sqrt(nb));
}
}  // namespace

void install_tensor_vector_hooks(Doc& doc) {
  doc.user_hooks().vector = [](const Doc& d) { return tensor_rows_sum(d, 0, d.size()); };
  doc.user_span_hooks().vector = [](const Span& s) {
    return tensor_rows_sum(s.doc(), s.start(), s.end());
  };
  doc.user_token_hooks().vector = [](const Token& t) {
    return tensor_rows_sum(t.doc(), t.i(), t.i() + 1);
  };
  doc.user_hooks().similarity = [](const Doc& a, const Doc& b) {
    return cosine(a.vector(), b.vector());
  };
  doc.user_span_hooks().similarity = [](const Span& a, const Span& b) {
    return cosine(a.vector(), b.vector());
  };
  doc.user_token_hooks().similarity = [](const Token& a, const Token& b) {
    return cosine(a.vector(), b.vector());
  };
}

namespace {
Json matrix_json(int64_t rows, int64_t cols, const float* data) {
  Json r = Json::array();
  for (int64_t i = 0; i < rows; ++i) r.push_back(std::vector<float>(data + i * cols, data + (i + 1) * cols));
  return {{"shape", {rows, cols}}, {"rows", std::move(r)}};
}

// A doc extension's value as T, or null when the extension is not registered or holds no T.
template <typename T>
const T* ext_value(const Doc& doc, const char* name) {
  if (!Doc::has_extension(name)) return nullptr;
  return std::any_cast<T>(&doc.get_ext(name));
}

// The 2019 trf_wordpiecer / trf_tok2vec annotations, under their extension names (only when set).
void add_legacy_json(const Doc& doc, Json& out) {
  if (const auto* v = ext_value<std::vector<std::string>>(doc, "trf_word_pieces_"); v && !v->empty())
    out["trf_word_pieces_"] = *v;
  if (const auto* v = ext_value<std::vector<int64_t>>(doc, "trf_word_pieces"); v && !v->empty())
    out["trf_word_pieces"] = *v;
  if (const auto* v = ext_value<std::vector<std::vector<int64_t>>>(doc, "trf_alignment"); v && !v->empty())
    out["trf_alignment"] = *v;
  for (const char* name : {"trf_last_hidden_state", "trf_pooler_output"}) {
    const auto* t = ext_value<at::Tensor>(doc, name);
    if (!t || !t->defined() || t->dim() != 2 || t->numel() == 0) continue;
    at::Tensor m = t->detach().to(at::kCPU).to(at::kFloat).contiguous();
    out[name] = matrix_json(m.size(0), m.size(1), m.data_ptr<float>());
  }
}

// doc._.trf_data as JSON; null when the doc has none.
Json trf_data_json(const Doc& doc) {
  TransformerDataPtr d = get_trf_data(doc);
  if (!d) return nullptr;
  Json wp = Json::object();
  wp["strings"] = d->wordpieces.strings;
  Json ids = Json::array();
  if (d->wordpieces.input_ids.defined() && d->wordpieces.input_ids.numel() > 0) {
    at::Tensor t = d->wordpieces.input_ids.to(at::kLong).contiguous();
    const int64_t* p = t.data_ptr<int64_t>();
    for (int64_t i = 0; i < t.size(0); ++i)
      ids.push_back(std::vector<int64_t>(p + i * t.size(1), p + (i + 1) * t.size(1)));
  }
  wp["input_ids"] = std::move(ids);
  wp["lengths"] = d->wordpieces.lengths;
  Json shape = Json::array();
  if (d->model_output.last_hidden_state.defined())
    for (int64_t s : d->model_output.last_hidden_state.sizes()) shape.push_back(s);
  return {{"wordpieces", std::move(wp)},
          {"align", {{"data", d->align.data}, {"lengths", d->align.lengths}}},
          {"shape", std::move(shape)}};
}

// What transformer_doc_json (trfpipe/transformer.hpp, defined in the core, which cannot read
// tensors) adds from LibTorch-held data: the 2019 components' extensions, then "trf_data".
Json torch_doc_json(const Doc& doc) {
  Json out = Json::object();
  add_legacy_json(doc, out);
  Json trf = trf_data_json(doc);
  if (!trf.is_null()) out["trf_data"] = std::move(trf);
  return out;
}

// Installed when libtrfpipe.so is loaded: the 2019 components set their extensions without the
// transformer's trf_data extension ever being installed.
const bool torch_doc_json_installed = (pipeline::install_torch_doc_json(torch_doc_json), true);

}  // namespace
}  // namespace trfpipe
