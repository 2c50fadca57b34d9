// TransformerModel: spans -> pieces (with offsets) -> alignment -> truncation -> encoder.
#include "components/transformer/transformer_model.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "models/encoders_internal.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace fs = std::filesystem;

// ---- span getters ----

SpanGetter doc_spans() {
  return [](const std::vector<Doc*>& docs) {
    std::vector<std::vector<TokenRange>> out;
    for (const Doc* d : docs) out.push_back({{0, static_cast<int64_t>(d->size())}});
    return out;
  };
}

SpanGetter sent_spans() {
  return [](const std::vector<Doc*>& docs) {
    std::vector<std::vector<TokenRange>> out;
    for (Doc* d : docs) {
      std::vector<TokenRange> spans;
      if (d->size() > 0)
        for (const Span& s : d->sents())
          spans.push_back({static_cast<int64_t>(s.start()), static_cast<int64_t>(s.end())});
      out.push_back(std::move(spans));
    }
    return out;
  };
}

std::vector<TokenRange> strided_ranges(int64_t n, int64_t window, int64_t stride) {
  if (window <= 0 || stride <= 0)
    throw ValueError("strided_spans: window and stride must be positive (got window=" +
                     std::to_string(window) + ", stride=" + std::to_string(stride) + ")");
  std::vector<TokenRange> spans;
  int64_t start = 0;
  bool broke = false;
  for (int64_t i = 0; i < n / stride; ++i) {
    spans.push_back({start, std::min(start + window, n)});
    if (start + window >= n) {
      broke = true;
      break;
    }
    start += stride;
  }
  if (!broke && start < n) spans.push_back({start, n});
  return spans;
}

SpanGetter strided_spans(int64_t window, int64_t stride) {
  if (window <= 0 || stride <= 0)
    throw ValueError("strided_spans: window and stride must be positive (got window=" +
                     std::to_string(window) + ", stride=" + std::to_string(stride) + ")");
  return [window, stride](const std::vector<Doc*>& docs) {
    std::vector<std::vector<TokenRange>> out;
    for (const Doc* d : docs) out.push_back(strided_ranges(static_cast<int64_t>(d->size()), window, stride));
    return out;
  };
}

std::vector<std::vector<size_t>> batch_by_length(const std::vector<size_t>& lengths,
                                                 size_t max_words) {
  std::vector<std::pair<size_t, size_t>> li;
  for (size_t i = 0; i < lengths.size(); ++i) li.push_back({lengths[i], i});
  std::sort(li.begin(), li.end());
  std::vector<std::vector<size_t>> batches;
  std::vector<size_t> batch;
  for (const auto& [len, i] : li) {
    if (batch.empty() || len * (batch.size() + 1) <= max_words) {
      batch.push_back(i);
    } else {
      batches.push_back(std::move(batch));
      batch = {i};
    }
  }
  if (!batch.empty()) batches.push_back(std::move(batch));
  for (auto& b : batches) std::sort(b.begin(), b.end());
  std::reverse(batches.begin(), batches.end());
  return batches;
}

std::vector<std::vector<int64_t>> plan_length_groups(const std::vector<int64_t>& lengths,
                                                     int64_t width, double call_cost) {
  const size_t n = lengths.size();
  std::vector<int64_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return lengths[static_cast<size_t>(a)] < lengths[static_cast<size_t>(b)]; });
  const double attention_per_piece = 1.0 / (6.0 * static_cast<double>(std::max<int64_t>(width, 1)));
  auto row_cost = [&](int64_t longest) {
    const double l = static_cast<double>(std::max<int64_t>(longest, 1));
    return l * (1.0 + l * attention_per_piece);
  };
  // best[j]: cost of the first j sorted rows; cut[j]: where the last group of that plan starts.
  std::vector<double> best(n + 1, 0.0);
  std::vector<size_t> cut(n + 1, 0);
  for (size_t j = 1; j <= n; ++j) {
    const double longest = row_cost(lengths[static_cast<size_t>(order[j - 1])]);
    best[j] = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < j; ++i) {
      const double c = best[i] + static_cast<double>(j - i) * longest + call_cost;
      if (c < best[j]) {
        best[j] = c;
        cut[j] = i;
      }
    }
  }
  std::vector<std::vector<int64_t>> groups;
  for (size_t j = n; j > 0; j = cut[j])
    groups.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(cut[j]),
                        order.begin() + static_cast<std::ptrdiff_t>(j));
  std::reverse(groups.begin(), groups.end());
  return groups;
}

// ---- TransformerModel ----

TransformerModel::TransformerModel(TransformerModelOptions options, SpanGetter get_spans)
    : options_(std::move(options)), get_spans_(std::move(get_spans)) {
  if (!get_spans_) throw ValueError("TransformerModel: get_spans is required");
}

void TransformerModel::set(std::shared_ptr<SubwordTokenizer> tokenizer,
                           std::shared_ptr<Encoder> encoder) {
  tokenizer_ = std::move(tokenizer);
  encoder_ = std::move(encoder);
}

void TransformerModel::load_from(const std::string& dir, const Json& overrides, bool with_weights) {
  SubwordTokenizerOptions topt;
  if (options_.tokenizer_config.is_object()) {
    auto it = options_.tokenizer_config.find("model_max_length");
    if (it != options_.tokenizer_config.end() && it->is_number_integer())
      topt.model_max_length = it->get<size_t>();
    it = options_.tokenizer_config.find("do_lower_case");
    if (it != options_.tokenizer_config.end() && it->is_boolean()) topt.lowercase = it->get<bool>();
  }
  std::shared_ptr<SubwordTokenizer> tok = load_subword_tokenizer(dir, topt);
  std::shared_ptr<Encoder> enc = load_encoder(dir, overrides, with_weights);
  if (enc->device() != encoder_device()) enc->to(encoder_device());
  enc->set_mixed_precision(options_.mixed_precision);
  tokenizer_ = std::move(tok);
  encoder_ = std::move(enc);
}

void TransformerModel::ensure_loaded() {
  if (encoder_ && tokenizer_) return;
  const std::string& name = options_.name;
  std::error_code ec;
  if (name.empty() || !fs::is_directory(name, ec))
    throw Error("transformer model name '" + name +
                "' is not a local folder. trfpipe never downloads from the Hugging Face hub: set "
                "[components.<transformer>.model] name to the path of a Hugging Face model folder "
                "(config.json, model.safetensors or pytorch_model.bin, tokenizer files), e.g. one "
                "written by `trfpipe init model` or saved with save_pretrained()");
  Json overrides = options_.transformer_config.is_object() ? options_.transformer_config
                                                           : Json::object();
  load_from(name, overrides);
}

Encoder& TransformerModel::encoder() {
  ensure_loaded();
  return *encoder_;
}

SubwordTokenizer& TransformerModel::tokenizer() {
  ensure_loaded();
  return *tokenizer_;
}

int64_t TransformerModel::width() { return encoder().hidden_size(); }

int64_t TransformerModel::max_length() {
  ensure_loaded();
  int64_t m = static_cast<int64_t>(tokenizer_->model_max_length());
  const int64_t pos = encoder_->max_sequence_length();
  if (m <= 0 || (pos > 0 && pos < m)) m = pos;
  return m;
}

std::vector<std::pair<std::string, at::Tensor>> TransformerModel::named_parameters() {
  ensure_loaded();
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : encoder_->named_parameters(true)) out.push_back({p.key(), p.value()});
  return out;
}

void TransformerModel::to_disk(const std::string& dir, bool with_weights) {
  ensure_loaded();
  fs::create_directories(dir);
  save_encoder(*encoder_, dir, with_weights);
  tokenizer_->save(dir);
}

void TransformerModel::from_disk(const std::string& dir, bool with_weights) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw DataError(dir, -1, "transformer model folder missing");
  if (!fs::exists(fs::path(dir) / "config.json"))
    throw DataError((fs::path(dir) / "config.json").string(), -1,
                    "transformer model folder has no config.json");
  load_from(dir, Json::object(), with_weights);
}

EncoderWork TransformerModel::encoder_work() const {
  std::lock_guard<std::mutex> lock(work_mutex_);
  return work_;
}

void TransformerModel::reset_encoder_work() {
  std::lock_guard<std::mutex> lock(work_mutex_);
  work_ = EncoderWork{};
}

void TransformerModel::count_work(const std::vector<int64_t>& lengths, int64_t padded_to) {
  const HFConfig& c = encoder_->config();
  const double h = static_cast<double>(c.hidden_size), layers = static_cast<double>(c.num_hidden_layers);
  const double linear = 2.0 * (4.0 * h * h + 2.0 * h * static_cast<double>(c.intermediate_size));
  auto row_flops = [&](int64_t len) {  // one row of len pieces attending to len keys
    const double l = static_cast<double>(len);
    return layers * l * (linear + 4.0 * l * h);
  };
  double useful = 0;
  for (int64_t len : lengths) useful += row_flops(len);
  const double done = padded_to > 0 ? static_cast<double>(lengths.size()) * row_flops(padded_to) : useful;
  std::lock_guard<std::mutex> lock(work_mutex_);
  work_.useful_flops += useful;
  work_.done_flops += done;
  ++work_.calls;
}

EncoderOutput TransformerModel::encode_by_length_groups(const EncoderInput& in,
                                                        const std::vector<int64_t>& lengths,
                                                        bool pads_left) {
  const int64_t Lk = in.input_ids.size(1);
  const std::vector<std::vector<int64_t>> groups = plan_length_groups(lengths, encoder_->hidden_size());
  if (groups.size() == 1 && lengths[static_cast<size_t>(groups[0].back())] >= Lk) {
    count_work(lengths, Lk);
    return encoder_->forward(in);
  }
  return encode_row_groups(in, lengths, groups, pads_left, false);
}

// Each group's rows cut to the group's longest row (the columns of real pieces: the first ones,
// or the last ones when the tokenizer pads on the left), run, and written back into outputs of
// the full batch's shape (zeros where a group had no columns).
EncoderOutput TransformerModel::encode_row_groups(const EncoderInput& in, const std::vector<int64_t>& lengths,
                                                  const std::vector<std::vector<int64_t>>& groups,
                                                  bool pads_left, bool packed) {
  const int64_t n = in.input_ids.size(0), Lk = in.input_ids.size(1);
  EncoderOutput out;
  for (const std::vector<int64_t>& group : groups) {
    int64_t longest = 0;
    for (int64_t i : group) longest = std::max(longest, lengths[static_cast<size_t>(i)]);
    const int64_t Lg = std::clamp<int64_t>(longest, 1, Lk);
    const int64_t c0 = pads_left ? Lk - Lg : 0;
    const at::Tensor idx =
        at::tensor(group, at::TensorOptions().dtype(at::kLong)).to(in.input_ids.device());
    auto take = [&](const at::Tensor& t) {
      return t.defined() ? t.index_select(0, idx).slice(1, c0, c0 + Lg) : t;
    };
    std::vector<int64_t> group_lengths;
    for (int64_t i : group) group_lengths.push_back(lengths[static_cast<size_t>(i)]);
    count_work(group_lengths, packed ? 0 : Lg);
    EncoderOutput g = encoder_->forward({take(in.input_ids), take(in.attention_mask), take(in.token_type_ids)});
    if (!out.last_hidden_state.defined()) {
      auto seq_shape = [&](const at::Tensor& t) { return at::zeros({n, Lk, t.size(2)}, t.options()); };
      out.last_hidden_state = seq_shape(g.last_hidden_state);
      if (g.pooler_output.defined())
        out.pooler_output = at::zeros({n, g.pooler_output.size(1)}, g.pooler_output.options());
      for (const at::Tensor& h : g.hidden_states) out.hidden_states.push_back(seq_shape(h));
      for (const at::Tensor& a : g.attentions)
        out.attentions.push_back(at::zeros({n, a.size(1), Lk, Lk}, a.options()));
    }
    out.last_hidden_state.slice(1, c0, c0 + Lg).index_copy_(0, idx, g.last_hidden_state);
    if (g.pooler_output.defined()) out.pooler_output.index_copy_(0, idx, g.pooler_output);
    for (size_t k = 0; k < g.hidden_states.size() && k < out.hidden_states.size(); ++k)
      out.hidden_states[k].slice(1, c0, c0 + Lg).index_copy_(0, idx, g.hidden_states[k]);
    for (size_t k = 0; k < g.attentions.size() && k < out.attentions.size(); ++k)
      out.attentions[k].slice(2, c0, c0 + Lg).slice(3, c0, c0 + Lg).index_copy_(0, idx, g.attentions[k]);
  }
  return out;
}

namespace {
at::Tensor slice_rows(const at::Tensor& t, int64_t start, int64_t end, int64_t n_rows) {
  if (!t.defined() || t.dim() == 0 || t.size(0) != n_rows) return at::Tensor();
  return t.slice(0, start, end);
}
at::Tensor to_cpu_detached(const at::Tensor& t) {
  if (!t.defined()) return t;
  at::Tensor d = t.detach().to(at::kCPU);
  if (d.scalar_type() == at::kHalf || d.scalar_type() == at::kBFloat16) d = d.to(at::kFloat);
  return d.contiguous();
}
}  // namespace

TransformerBatch TransformerModel::forward(const std::vector<Doc*>& docs, bool is_train) {
  ensure_loaded();
  const int64_t width = encoder_->hidden_size();
  std::vector<std::vector<TokenRange>> nested = get_spans_(docs);
  if (nested.size() != docs.size())
    throw Error("span getter returned " + std::to_string(nested.size()) + " span lists for " +
                std::to_string(docs.size()) + " docs");
  // Flatten the (non-empty) spans.
  std::vector<std::string> texts;
  std::vector<std::vector<TokenRange>> kept(docs.size());
  for (size_t d = 0; d < docs.size(); ++d) {
    for (const auto& [s, e] : nested[d]) {
      if (s < 0 || e > static_cast<int64_t>(docs[d]->size()) || s > e)
        throw Error("span getter returned tokens [" + std::to_string(s) + ", " +
                    std::to_string(e) + ") for a doc of " + std::to_string(docs[d]->size()) +
                    " tokens");
      if (e == s) continue;
      kept[d].push_back({s, e});
      Span sp = docs[d]->span(static_cast<size_t>(s), static_cast<size_t>(e));
      texts.emplace_back(sp.text());
    }
  }
  TransformerBatch out;
  if (texts.empty()) {
    for (Doc* d : docs) {
      out.doc_data.push_back(std::make_shared<TransformerData>(
          TransformerData::empty(static_cast<int64_t>(d->size()), width)));
      out.doc_rows.push_back(at::zeros({0, width}, at::kFloat));
    }
    return out;
  }
  std::vector<Encoding> encs =
      tokenizer_->encode_batch(texts, Padding::Longest, Truncation::None, 0, true);
  const int64_t n = static_cast<int64_t>(encs.size());
  const int64_t L = static_cast<int64_t>(encs[0].size());
  const int64_t max_len = max_length();
  const int64_t Lk = std::min(L, max_len);
  if (L > max_len && truncation_warnings_ == 0) {
    ++truncation_warnings_;
    std::cerr << "trfpipe: warning: Token indices sequence length is longer than the specified "
                 "maximum sequence length for this model ("
              << L << " > " << max_len
              << "). Pieces beyond the maximum are dropped (spacy-transformers' "
                 "truncate_oversize_splits); tokens cut completely get zero vectors.\n";
  }
  // Wordpieces. Truncation keeps each row's first Lk pieces; a left-padded row (XLNet) keeps its
  // padding on the left, so the kept pieces move to the row's end.
  const bool left = tokenizer_->pads_left();
  std::vector<int64_t> n_real(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    const Encoding& e = encs[static_cast<size_t>(i)];
    for (int64_t j = 0; j < L; ++j)
      n_real[static_cast<size_t>(i)] += e.attention_mask.empty() ? 1 : e.attention_mask[static_cast<size_t>(j)];
  }
  // Column of row i's piece at column c after truncation; -1 when it is dropped (or padding).
  auto new_column = [&](int64_t i, int64_t c) -> int64_t {
    if (Lk == L) return c;
    const int64_t real = n_real[static_cast<size_t>(i)], first = left ? L - real : 0;
    const int64_t p = c - first;
    if (p < 0 || p >= real || p >= Lk) return -1;
    return (left ? Lk - std::min(real, Lk) : 0) + p;
  };
  WordpieceBatch wp;
  at::Tensor ids = at::full({n, Lk}, tokenizer_->pad_id(), at::kLong), mask = at::zeros({n, Lk}, at::kFloat),
             types = at::full({n, Lk}, left ? int64_t{3} : int64_t{0}, at::kLong);
  int64_t* pid = ids.data_ptr<int64_t>();
  float* pm = mask.data_ptr<float>();
  int64_t* pt = types.data_ptr<int64_t>();
  const std::string pad_string = tokenizer_->id_to_token(tokenizer_->pad_id());
  for (int64_t i = 0; i < n; ++i) {
    const Encoding& e = encs[static_cast<size_t>(i)];
    std::vector<std::string> strings(static_cast<size_t>(Lk), pad_string);
    int64_t len = 0;
    for (int64_t j = 0; j < L; ++j) {
      const int64_t c = new_column(i, j);
      if (c < 0) continue;
      pid[i * Lk + c] = e.ids[static_cast<size_t>(j)];
      const int64_t m = e.attention_mask.empty() ? 1 : e.attention_mask[static_cast<size_t>(j)];
      pm[i * Lk + c] = static_cast<float>(m);
      len += m ? 1 : 0;
      pt[i * Lk + c] = e.type_ids.empty() ? 0 : e.type_ids[static_cast<size_t>(j)];
      strings[static_cast<size_t>(c)] = e.tokens[static_cast<size_t>(j)];
    }
    wp.strings.push_back(std::move(strings));
    wp.lengths.push_back(len);
  }
  wp.input_ids = ids;
  wp.attention_mask = mask;
  wp.token_type_ids = types;

  // Encoder.
  // Set only when it changes: predictions run concurrently (language.hpp) and only read it.
  if (encoder_->is_training() != is_train) encoder_->train(is_train);
  EncoderOutput eo;
  {
    std::unique_ptr<at::NoGradGuard> no_grad;
    if (!is_train) no_grad = std::make_unique<at::NoGradGuard>();
    const at::Device dev = encoder_->device();
    EncoderInput in{ids.to(dev), mask.to(dev), types.to(dev)};
    // XLNet compares segments instead of embedding them (any ids; <cls> is 2): it gets them too.
    const EncoderFamily fam = encoder_->config().family;
    if (fam == EncoderFamily::DistilBert || fam == EncoderFamily::Gpt2 ||
        (fam != EncoderFamily::Xlnet && encoder_->config().type_vocab_size <= 0))
      in.token_type_ids = at::Tensor();
    // Packed tokens (BERT-layer encoders at CPU inference) do no padding work at all: one call.
    const bool packed = !is_train && !left && models::runs_packed_tokens(*encoder_) &&
                        std::all_of(wp.lengths.begin(), wp.lengths.end(), [](int64_t l) { return l > 0; });
    if (packed) {
      // Consecutive rows of at most max_packed_tokens_ real pieces per call.
      std::vector<std::vector<int64_t>> chunks(1);
      int64_t tokens = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t len = wp.lengths[static_cast<size_t>(i)];
        if (max_packed_tokens_ > 0 && !chunks.back().empty() && tokens + len > max_packed_tokens_) {
          chunks.emplace_back();
          tokens = 0;
        }
        chunks.back().push_back(i);
        tokens += len;
      }
      if (chunks.size() == 1) {
        count_work(wp.lengths, 0);
        eo = encoder_->forward(in);
      } else {
        eo = encode_row_groups(in, wp.lengths, chunks, false, true);
      }
    } else if (!is_train && length_groups_ && n > 1) {
      eo = encode_by_length_groups(in, wp.lengths, left);
    } else {
      count_work(wp.lengths, Lk);
      eo = encoder_->forward(in);
    }
  }

  // Per doc: alignment (rebased on this doc's rows) and outputs.
  int64_t row = 0;
  size_t global = 0;
  for (size_t d = 0; d < docs.size(); ++d) {
    Doc& doc = *docs[d];
    const int64_t ns = static_cast<int64_t>(kept[d].size());
    if (ns == 0) {
      out.doc_data.push_back(std::make_shared<TransformerData>(
          TransformerData::empty(static_cast<int64_t>(doc.size()), width)));
      out.doc_rows.push_back(at::zeros({0, width}, eo.last_hidden_state.options()));
      continue;
    }
    std::vector<Offset> tok_offsets;
    tok_offsets.reserve(doc.size());
    for (const TokenData& t : doc.tokens())
      tok_offsets.push_back({static_cast<int64_t>(t.idx_bytes),
                             static_cast<int64_t>(t.idx_bytes + t.len_bytes)});
    std::vector<AlignSpan> aspans;
    std::vector<std::vector<Offset>> offs;
    for (const auto& [s, e] : kept[d]) {
      aspans.push_back({0, s, e, static_cast<int64_t>(doc.tokens()[static_cast<size_t>(s)].idx_bytes)});
      offs.push_back(encs[global].offsets);
      ++global;
    }
    Ragged al = align_pieces_to_tokens({tok_offsets}, aspans, offs, static_cast<size_t>(L));
    std::vector<int64_t> cut_tokens;
    if (Lk < L) {  // truncation: drop the pieces beyond Lk, remap the rows
      Ragged cut;
      size_t k = 0;
      for (int64_t len : al.lengths) {
        int64_t kept_n = 0;
        for (int64_t j = 0; j < len; ++j, ++k) {
          const int64_t r = al.data[k], s = r / L;
          const int64_t c = new_column(row + s, r % L);
          if (c >= 0) {
            cut.data.push_back(s * Lk + c);
            ++kept_n;
          }
        }
        if (len > 0 && kept_n == 0) cut_tokens.push_back(static_cast<int64_t>(cut.lengths.size()));
        cut.lengths.push_back(kept_n);
      }
      al = std::move(cut);
    }
    auto td = std::make_shared<TransformerData>();
    td->wordpieces = wp.slice(row, row + ns);
    td->align = std::move(al);
    td->spans = kept[d];
    td->cut_tokens = std::move(cut_tokens);
    const int64_t nrows = n;
    ModelOutput& mo = td->model_output;
    at::Tensor lhs = eo.last_hidden_state.slice(0, row, row + ns);
    mo.last_hidden_state = to_cpu_detached(lhs);
    mo.pooler_output = to_cpu_detached(slice_rows(eo.pooler_output, row, row + ns, nrows));
    for (const at::Tensor& h : eo.hidden_states) {
      at::Tensor s = slice_rows(h, row, row + ns, nrows);
      if (s.defined()) mo.hidden_states.push_back(to_cpu_detached(s));
    }
    for (const at::Tensor& a : eo.attentions) {
      at::Tensor s = slice_rows(a, row, row + ns, nrows);
      if (s.defined()) mo.attentions.push_back(to_cpu_detached(s));
    }
    out.doc_data.push_back(std::move(td));
    out.doc_rows.push_back(lhs.reshape({ns * Lk, width}));
    row += ns;
  }
  return out;
}

}  // namespace trfpipe
