// spacy-transformers v0.x (2019) components for users of those pipelines (§1.13):
//   trf_wordpiecer  pieces per sentence: doc._.trf_word_pieces (ids), trf_word_pieces_ (strings),
//                   trf_alignment (per token: indices into the doc's flat piece list)
//   trf_tok2vec     doc._.trf_last_hidden_state [n_pieces, width] (sentences concatenated,
//                   no padding), trf_pooler_output [n_sents, width], doc.tensor with the
//                   boundary-sensitive weighting, vector/similarity hooks;
//                   doc._.trf_d_last_hidden_state carries gradients back in training
//   trf_textcat     softmax_class_vector, softmax_tanh_class_vector, softmax_last_hidden,
//                   softmax_pooler_output
// Differences: the model is a local Hugging Face folder (`trf_name`); a sentence longer than the
// model's maximum keeps its first pieces (the final [SEP] is dropped, as spacy-transformers 1.x).
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "components/common/registration.hpp"
#include "components/transformer/transformer.hpp"
#include "pipeline/file_io.hpp"
#include "models/safetensors.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

namespace fs = std::filesystem;

namespace {

using IdList = std::vector<int64_t>;
using StrList = std::vector<std::string>;
using AlignList = std::vector<std::vector<int64_t>>;

void install_legacy_extensions() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto ext = [](const char* n, std::any def) {
      if (!Doc::has_extension(n)) Doc::set_extension(n, std::move(def));
    };
    ext("trf_word_pieces", IdList{});
    ext("trf_word_pieces_", StrList{});
    ext("trf_alignment", AlignList{});
    ext("trf_separator", std::string{});
    ext("trf_last_hidden_state", at::Tensor{});
    ext("trf_pooler_output", at::Tensor{});
    ext("trf_all_hidden_states", std::vector<at::Tensor>{});
    ext("trf_all_attentions", std::vector<at::Tensor>{});
    ext("trf_d_last_hidden_state", at::Tensor{});
    ext("trf_d_pooler_output", at::Tensor{});
    ext("trf_d_all_hidden_states", std::vector<at::Tensor>{});
    ext("trf_d_all_attentions", std::vector<at::Tensor>{});
  });
}

// Sentences (token ranges) as spacy-transformers' get_sents: doc.sents when set, else the doc.
std::vector<TokenRange> legacy_sents(Doc& doc) {
  std::vector<TokenRange> out;
  if (doc.size() == 0) return out;
  if (doc.has_sents())
    for (const Span& s : doc.sents())
      out.push_back({static_cast<int64_t>(s.start()), static_cast<int64_t>(s.end())});
  else
    out.push_back({0, static_cast<int64_t>(doc.size())});
  return out;
}

struct LegacyPieces {
  IdList ids;
  IdList types;  // the tokenizer's token_type_ids (XLNet: 2 for <cls>)
  StrList strings;
  AlignList alignment;              // per token, indices into the flat pieces
  std::vector<int64_t> starts, lengths;  // per sentence: first flat piece, piece count
  std::vector<TokenRange> sents;
};

LegacyPieces word_pieces(Doc& doc, const SubwordTokenizer& tok, int64_t max_len) {
  LegacyPieces p;
  p.sents = legacy_sents(doc);
  p.alignment.assign(doc.size(), {});
  std::vector<Offset> tok_offsets;
  for (const TokenData& t : doc.tokens())
    tok_offsets.push_back({static_cast<int64_t>(t.idx_bytes), static_cast<int64_t>(t.idx_bytes + t.len_bytes)});
  for (const auto& [s, e] : p.sents) {
    Span span = doc.span(static_cast<size_t>(s), static_cast<size_t>(e));
    Encoding enc = tok.encode(span.text(), true);
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(enc.size()), max_len);
    Ragged al = align_pieces_to_tokens(
        {tok_offsets}, {AlignSpan{0, s, e, static_cast<int64_t>(doc.tokens()[static_cast<size_t>(s)].idx_bytes)}},
        {enc.offsets}, enc.size());
    const int64_t start = static_cast<int64_t>(p.ids.size());
    size_t k = 0;
    for (size_t t = 0; t < al.lengths.size(); ++t)
      for (int64_t j = 0; j < al.lengths[t]; ++j, ++k)
        if (al.data[k] < n) p.alignment[t].push_back(start + al.data[k]);
    for (int64_t j = 0; j < n; ++j) {
      p.ids.push_back(enc.ids[static_cast<size_t>(j)]);
      p.types.push_back(enc.type_ids.empty() ? 0 : enc.type_ids[static_cast<size_t>(j)]);
      p.strings.push_back(enc.tokens[static_cast<size_t>(j)]);
    }
    p.starts.push_back(start);
    p.lengths.push_back(n);
  }
  return p;
}

// _get_boundary_sensitive_alignment + the weighted sum of trf_tok2vec.set_annotations.
Matrix legacy_weighted_tensor(const at::Tensor& lhs, const AlignList& alignment,
                              const std::vector<TokenRange>& sents,
                              const std::vector<int64_t>& starts, const std::vector<int64_t>& lengths,
                              size_t n_tokens) {
  const int64_t n_wp = lhs.size(0), width = lhs.size(1);
  std::vector<int64_t> sizes(static_cast<size_t>(n_wp), 0);
  AlignList rows = alignment;
  for (const auto& a : alignment)
    for (int64_t j : a) sizes[static_cast<size_t>(j)] += 1;
  for (size_t s = 0; s < sents.size(); ++s) {
    const auto [b, e] = sents[s];
    for (int64_t i = starts[s]; i < starts[s] + lengths[s]; ++i) {
      if (sizes[static_cast<size_t>(i)] != 0) continue;
      sizes[static_cast<size_t>(i)] = e - b;
      for (int64_t t = b; t < e; ++t) rows[static_cast<size_t>(t)].push_back(i);
    }
  }
  at::Tensor X = lhs.detach().to(at::kFloat).contiguous();
  const float* x = X.data_ptr<float>();
  Matrix out(static_cast<int64_t>(n_tokens), width);
  for (size_t t = 0; t < n_tokens && t < rows.size(); ++t)
    for (int64_t j : rows[t]) {
      const float w = 1.0f / static_cast<float>(sizes[static_cast<size_t>(j)]);
      for (int64_t c = 0; c < width; ++c) out.row(static_cast<int64_t>(t))[c] += x[j * width + c] * w;
    }
  return out;
}

std::shared_ptr<TransformerModel> legacy_model(const std::string& trf_name) {
  TransformerModelOptions o;
  o.name = trf_name;
  return std::make_shared<TransformerModel>(o, doc_spans());
}

void write_json(const fs::path& p, const Json& j) { write_file_bytes(p.string(), j.dump(2)); }
Json read_json(const fs::path& p) {
  std::ifstream f(p);
  if (!f) throw DataError(p.string(), -1, "file missing");
  return read_json_file(p.string());
}

// ---- trf_wordpiecer ----
class TrfWordpiecer : public Pipe {
 public:
  TrfWordpiecer(std::string name, std::string trf_name)
      : Pipe(std::move(name)), trf_name_(std::move(trf_name)) {
    install_legacy_extensions();
  }
  SubwordTokenizer& tokenizer() {
    if (!tok_) {
      std::error_code ec;
      if (!fs::is_directory(trf_name_, ec))
        throw Error("trf_name '" + trf_name_ + "' is not a local folder. trfpipe never downloads "
                    "from the Hugging Face hub: give the path of a Hugging Face model folder");
      tok_ = load_subword_tokenizer(trf_name_);
    }
    return *tok_;
  }
  std::any predict(const std::vector<Doc*>& docs) override {
    std::vector<LegacyPieces> out;
    SubwordTokenizer& tok = tokenizer();
    // model_max_length 0: no limit (XLNet)
    const int64_t max_len = tok.model_max_length() > 0 ? static_cast<int64_t>(tok.model_max_length())
                                                       : std::numeric_limits<int64_t>::max();
    for (Doc* d : docs) out.push_back(word_pieces(*d, tok, max_len));
    return out;
  }
  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& ps = std::any_cast<const std::vector<LegacyPieces>&>(scores);
    for (size_t i = 0; i < docs.size(); ++i) {
      docs[i]->set_ext("trf_word_pieces", ps[i].ids);
      docs[i]->set_ext("trf_word_pieces_", ps[i].strings);
      docs[i]->set_ext("trf_alignment", ps[i].alignment);
      docs[i]->set_ext("trf_separator", tokenizer().special_tokens().sep);
    }
  }
  void to_disk(const std::string& dir) const override {
    fs::create_directories(dir);
    const_cast<TrfWordpiecer*>(this)->tokenizer().save(dir);
    write_json(fs::path(dir) / "cfg", Json{{"trf_name", trf_name_}});
  }
  void from_disk(const std::string& dir) override { tok_ = load_subword_tokenizer(dir); }

 private:
  std::string trf_name_;
  std::shared_ptr<SubwordTokenizer> tok_;
};

}  // namespace

// ---- trf_tok2vec ----
class TrfTok2Vec : public TrainablePipe, public ParameterOwner {
 public:
  TrfTok2Vec(std::string name, std::string trf_name)
      : TrainablePipe(std::move(name)), model_(legacy_model(std::move(trf_name))) {
    install_legacy_extensions();
  }
  struct Out {
    LegacyPieces pieces;
    at::Tensor lhs, pooler;  // flat [n_pieces, width], [n_sents, width]
  };
  int64_t width() { return model_->width(); }

  std::vector<Out> forward(const std::vector<Doc*>& docs, bool is_train) {
    model_->ensure_loaded();
    Encoder& enc = model_->encoder();
    if (enc.is_training() != is_train) enc.train(is_train);  // concurrent predictions only read it
    std::unique_ptr<at::NoGradGuard> ng;
    if (!is_train) ng = std::make_unique<at::NoGradGuard>();
    const int64_t W = enc.hidden_size();
    std::vector<Out> outs;
    for (Doc* d : docs) {
      Out o;
      o.pieces = word_pieces(*d, model_->tokenizer(), model_->max_length());
      const int64_t ns = static_cast<int64_t>(o.pieces.sents.size());
      if (ns == 0) {
        o.lhs = at::zeros({0, W});
        o.pooler = at::zeros({0, W});
        outs.push_back(std::move(o));
        continue;
      }
      int64_t L = 0;
      for (int64_t n : o.pieces.lengths) L = std::max(L, n);
      at::Tensor ids = at::full({ns, L}, model_->tokenizer().pad_id() < 0 ? 0 : model_->tokenizer().pad_id(), at::kLong);
      at::Tensor mask = at::zeros({ns, L}, at::kFloat);
      at::Tensor types = at::zeros({ns, L}, at::kLong);
      for (int64_t s = 0; s < ns; ++s)
        for (int64_t j = 0; j < o.pieces.lengths[s]; ++j) {
          const size_t flat = static_cast<size_t>(o.pieces.starts[s] + j);
          ids[s][j] = o.pieces.ids[flat];
          types[s][j] = o.pieces.types[flat];
          mask[s][j] = 1.0f;
        }
      const at::Device dev = enc.device();
      // Rows padded at the end, as the 2019 components did; XLNet also gets its segment ids
      // (<cls> = 2), which its relative segment encoding compares (the others' are all zero).
      EncoderInput in{ids.to(dev), mask.to(dev), {}};
      if (enc.config().family == EncoderFamily::Xlnet) in.token_type_ids = types.to(dev);
      EncoderOutput eo = enc.forward(in);
      std::vector<at::Tensor> rows;
      for (int64_t s = 0; s < ns; ++s) rows.push_back(eo.last_hidden_state[s].slice(0, 0, o.pieces.lengths[s]));
      o.lhs = at::cat(rows, 0);
      o.pooler = eo.pooler_output.defined() ? eo.pooler_output : at::Tensor();
      outs.push_back(std::move(o));
    }
    return outs;
  }

  std::any predict(const std::vector<Doc*>& docs) override { return forward(docs, false); }

  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    const auto& outs = std::any_cast<const std::vector<Out>&>(scores);
    for (size_t i = 0; i < docs.size(); ++i) annotate(*docs[i], outs[i]);
  }

  void annotate(Doc& doc, const Out& o) {
    at::Tensor lhs = o.lhs.detach().to(at::kCPU).contiguous();
    doc.set_ext("trf_word_pieces", o.pieces.ids);
    doc.set_ext("trf_word_pieces_", o.pieces.strings);
    doc.set_ext("trf_alignment", o.pieces.alignment);
    doc.set_ext("trf_last_hidden_state", lhs);
    doc.set_ext("trf_pooler_output", o.pooler.defined() ? o.pooler.detach().to(at::kCPU).contiguous() : at::Tensor());
    doc.set_ext("trf_d_last_hidden_state", at::zeros({0, 0}));
    doc.set_ext("trf_d_pooler_output", at::zeros({0, 0}));
    if (lhs.size(0) != static_cast<int64_t>(o.pieces.ids.size()))
      throw Error("trf_tok2vec: mismatch between tensor shape and word pieces");
    if (lhs.numel() > 0)
      doc.tensor() = legacy_weighted_tensor(lhs, o.pieces.alignment, o.pieces.sents, o.pieces.starts,
                                            o.pieces.lengths, doc.size());
    else
      doc.tensor() = Matrix(static_cast<int64_t>(doc.size()), lhs.size(1));
    install_tensor_vector_hooks(doc);
  }

  // Training: forward with gradients, annotate, keep the graph until the downstream components
  // have written doc._.trf_d_last_hidden_state / trf_d_pooler_output and call backprop().
  void update(const std::vector<Example>& examples, double, Optimizer* sgd, Losses& losses) override {
    losses.emplace(name(), 0.0);
    pending_.clear();
    sgd_ = sgd;
    deferred_ = nullptr;
    std::vector<Doc*> docs;
    for (const auto& eg : examples) docs.push_back(&eg.predicted());
    std::vector<Out> outs = forward(docs, true);
    for (size_t i = 0; i < docs.size(); ++i) {
      annotate(*docs[i], outs[i]);
      pending_[docs[i]] = {outs[i].lhs, outs[i].pooler};
    }
  }

  // Runs one backward pass with the gradients the docs carry, then resets them.
  void backprop(const std::vector<Doc*>& docs, Losses& losses) {
    std::vector<at::Tensor> outs, grads;
    for (Doc* d : docs) {
      auto it = pending_.find(d);
      if (it == pending_.end()) continue;
      at::Tensor& dl = d->ext_as<at::Tensor>("trf_d_last_hidden_state");
      if (dl.defined() && dl.numel() > 0 && it->second.first.requires_grad()) {
        outs.push_back(it->second.first);
        grads.push_back(dl.to(it->second.first.device()).to(it->second.first.scalar_type()));
        losses[name()] += dl.pow(2).sum().item<double>();
        dl = at::zeros({0, 0});
      }
      at::Tensor& dp = d->ext_as<at::Tensor>("trf_d_pooler_output");
      if (dp.defined() && dp.numel() > 0 && it->second.second.defined() && it->second.second.requires_grad()) {
        outs.push_back(it->second.second);
        grads.push_back(dp.to(it->second.second.device()).to(it->second.second.scalar_type()));
        dp = at::zeros({0, 0});
      }
    }
    if (!outs.empty()) torch::autograd::backward(outs, grads, /*retain_graph=*/true);
    pending_.clear();
    Optimizer* opt = sgd_ ? sgd_ : deferred_;
    sgd_ = deferred_ = nullptr;
    if (opt) finish_update(*opt);
  }

  // While a training batch waits for its gradients, stepping would change the weights under the
  // graph: the step is deferred to backprop() (Language::update calls this right after update).
  void finish_update(Optimizer& optimizer) override {
    if (!pending_.empty()) {
      deferred_ = &optimizer;
      return;
    }
    optimizer.step(name(), named_parameters());
  }
  std::string parameter_group() const override { return name(); }
  NamedTensors named_parameters() const override { return model_->named_parameters(); }
  void initialize(const GetExamples&, Language&) override { model_->ensure_loaded(); }
  void to_disk(const std::string& dir) const override {
    model_->to_disk(dir);
    write_json(fs::path(dir) / "cfg", Json{{"trf_name", model_->options().name}});
  }
  void from_disk(const std::string& dir) override { model_->from_disk(dir); }

 private:
  std::shared_ptr<TransformerModel> model_;
  std::map<Doc*, std::pair<at::Tensor, at::Tensor>> pending_;
  Optimizer* sgd_ = nullptr;
  Optimizer* deferred_ = nullptr;
};

namespace {

bool is_class_token(const std::string& wp) {
  return wp == "[CLS]" || wp == "<s>" || wp == "<cls>";
}

// ---- trf_textcat ----
class TrfTextCat : public TrainablePipe, public ParameterOwner {
 public:
  TrfTextCat(std::string name, std::string architecture, bool exclusive, int64_t width)
      : TrainablePipe(std::move(name)), arch_(std::move(architecture)), exclusive_(exclusive), width_(width) {
    install_legacy_extensions();
    if (arch_ != "softmax_class_vector" && arch_ != "softmax_tanh_class_vector" &&
        arch_ != "softmax_last_hidden" && arch_ != "softmax_pooler_output")
      throw ValueError("trf_textcat: unknown architecture '" + arch_ +
                       "' (expected softmax_class_vector, softmax_tanh_class_vector, "
                       "softmax_last_hidden or softmax_pooler_output)");
  }
  std::vector<std::string> labels() const override { return labels_; }
  bool add_label(const std::string& l) override {
    if (std::find(labels_.begin(), labels_.end(), l) != labels_.end()) return false;
    if (softmax_) throw ValueError("trf_textcat: cannot add label '" + l + "' after initialization");
    labels_.push_back(l);
    return true;
  }

  void build() {
    if (width_ <= 0) throw ValueError("trf_textcat: token_vector_width unknown (no trf_tok2vec)");
    const int64_t nO = static_cast<int64_t>(labels_.size());
    softmax_ = std::make_unique<layers::Linear>(nO, width_, true);
    if (arch_ == "softmax_tanh_class_vector") affine_ = std::make_unique<layers::Linear>(width_, width_);
  }

  void initialize(const GetExamples& get_examples, Language& nlp) override {
    if (labels_.empty() && get_examples)
      for (const Example& eg : get_examples())
        for (const auto& [l, v] : eg.reference().cats()) add_label(l);
    if (width_ <= 0)
      for (const std::string& n : nlp.component_names())
        if (auto* t2v = dynamic_cast<TrfTok2Vec*>(&nlp.get_pipe(n))) width_ = t2v->width();
    build();
  }

  // Scores [n_docs, n_labels]; inputs are leaves (requires_grad when training) kept in `inputs`.
  at::Tensor forward(const std::vector<Doc*>& docs, std::vector<at::Tensor>* inputs) {
    if (!softmax_) throw Error("trf_textcat '" + name() + "' is not initialized");
    std::vector<at::Tensor> rows;
    for (Doc* d : docs) {
      const bool pooler = arch_ == "softmax_pooler_output";
      at::Tensor src = d->ext_as<at::Tensor>(pooler ? "trf_pooler_output" : "trf_last_hidden_state");
      if (!src.defined() || src.numel() == 0) {
        if (pooler)
          throw ValueError("Pooler output unset. Perhaps you're using the wrong architecture? "
                           "You might need to set 'architecture': 'softmax_class_vector' instead.");
        throw Error("trf_textcat: doc._.trf_last_hidden_state is not set (add trf_tok2vec before it)");
      }
      at::Tensor leaf = src.detach().to(at::kFloat).clone();
      if (inputs) {
        leaf.set_requires_grad(true);
        inputs->push_back(leaf);
      }
      at::Tensor X = leaf;
      if (arch_ == "softmax_class_vector" || arch_ == "softmax_tanh_class_vector") {
        const auto& strings = d->ext_as<StrList>("trf_word_pieces_");
        std::vector<int64_t> cls;
        for (size_t i = 0; i < strings.size(); ++i)
          if (is_class_token(strings[i])) cls.push_back(static_cast<int64_t>(i));
        X = X.index_select(0, at::tensor(cls, at::TensorOptions().dtype(at::kLong)));
        if (affine_) X = at::tanh(affine_->forward(X));
        rows.push_back(at::softmax(softmax_->forward(X.mean(0, true)), -1));
      } else if (arch_ == "softmax_last_hidden") {
        rows.push_back(at::softmax(softmax_->forward(X.mean(0, true)), -1));
      } else {  // softmax_pooler_output: softmax per sentence, then mean
        rows.push_back(at::softmax(softmax_->forward(X), -1).mean(0, true));
      }
    }
    return at::cat(rows, 0);
  }

  std::any predict(const std::vector<Doc*>& docs) override {
    at::NoGradGuard ng;
    return forward(docs, nullptr);
  }
  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    at::Tensor s = std::any_cast<const at::Tensor&>(scores).contiguous();
    for (size_t i = 0; i < docs.size(); ++i)
      for (size_t j = 0; j < labels_.size(); ++j)
        docs[i]->cats()[labels_[j]] = s[static_cast<int64_t>(i)][static_cast<int64_t>(j)].item<double>();
  }

  // spaCy v2 textcat loss: d_scores = (scores - truth) / n_docs; loss = mean over docs of
  // Σ d_scores². The input gradients go to doc._.trf_d_last_hidden_state / trf_d_pooler_output
  // and the trf_tok2vec component backpropagates them.
  void update(const std::vector<Example>& examples, double, Optimizer* sgd, Losses& losses) override {
    losses.emplace(name(), 0.0);
    std::vector<Doc*> docs;
    for (const auto& eg : examples) docs.push_back(&eg.predicted());
    if (docs.empty()) return;
    std::vector<at::Tensor> inputs;
    at::Tensor scores = forward(docs, &inputs);
    at::Tensor truth = at::zeros_like(scores);
    for (size_t i = 0; i < examples.size(); ++i)
      for (size_t j = 0; j < labels_.size(); ++j) {
        auto it = examples[i].reference().cats().find(labels_[j]);
        if (it != examples[i].reference().cats().end())
          truth[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = it->second;
      }
    const double n = static_cast<double>(docs.size());
    at::Tensor d = (scores - truth) / n;
    losses[name()] += d.detach().pow(2).sum(1).mean().item<double>();
    (scores * d.detach()).sum().backward();  // dL/dscores = d
    const bool pooler = arch_ == "softmax_pooler_output";
    for (size_t i = 0; i < docs.size(); ++i) {
      at::Tensor g = inputs[i].grad();
      if (!g.defined()) continue;
      const char* key = pooler ? "trf_d_pooler_output" : "trf_d_last_hidden_state";
      at::Tensor& acc = docs[i]->ext_as<at::Tensor>(key);
      acc = acc.defined() && acc.numel() > 0 ? acc + g : g.clone();
    }
    if (nlp_)
      for (const std::string& n : nlp_->component_names())
        if (auto* t2v = dynamic_cast<TrfTok2Vec*>(&nlp_->get_pipe(n))) t2v->backprop(docs, losses);
    if (sgd) finish_update(*sgd);
  }
  void on_pipeline_built(Language& nlp) override { nlp_ = &nlp; }
  void finish_update(Optimizer& optimizer) override { optimizer.step(name(), named_parameters()); }
  std::string parameter_group() const override { return name(); }
  NamedTensors named_parameters() const override {
    NamedTensors out;
    if (affine_) affine_->collect("affine.", out);
    if (softmax_) softmax_->collect("softmax.", out);
    return out;
  }
  void to_disk(const std::string& dir) const override {
    fs::create_directories(dir);
    write_json(fs::path(dir) / "cfg", Json{{"labels", labels_}, {"architecture", arch_},
                                           {"exclusive_classes", exclusive_}, {"token_vector_width", width_}});
    models::TensorMap t;
    for (const auto& [n, p] : named_parameters()) t[n] = p.detach().contiguous();
    models::write_safetensors((fs::path(dir) / "model").string(), t);
  }
  void from_disk(const std::string& dir) override {
    Json c = read_json(fs::path(dir) / "cfg");
    labels_ = c.value("labels", std::vector<std::string>{});
    width_ = c.value("token_vector_width", int64_t{0});
    build();
    auto st = models::read_safetensors((fs::path(dir) / "model").string());
    at::NoGradGuard ng;
    for (const auto& [n, p] : named_parameters()) {
      auto it = st.tensors.find(n);
      if (it == st.tensors.end() || it->second.sizes() != p.sizes())
        throw DataError((fs::path(dir) / "model").string(), -1, "trf_textcat: missing or misshaped weights '" + n + "'");
      at::Tensor(p).copy_(it->second.to(at::kFloat));
    }
  }

 private:
  std::string arch_;
  bool exclusive_;
  int64_t width_;
  std::vector<std::string> labels_;
  std::unique_ptr<layers::Linear> affine_, softmax_;
  Language* nlp_ = nullptr;
};

}  // namespace

void register_legacy_transformer_components() {
  install_legacy_extensions();
  FactoryMeta wp;
  wp.name = "trf_wordpiecer";
  wp.default_config = Json{{"trf_name", "bert-base-uncased"}};
  wp.assigns = {"doc._.trf_word_pieces", "doc._.trf_word_pieces_", "doc._.trf_alignment"};
  wp.make = [](Language&, const std::string& name, const registry::Value& c) {
    return std::unique_ptr<Pipe>(std::make_unique<TrfWordpiecer>(name, registry::get_str(c, "trf_name")));
  };
  register_factory(std::move(wp));
  FactoryMeta t2v;
  t2v.name = "trf_tok2vec";
  t2v.default_config = Json{{"trf_name", "bert-base-uncased"}};
  t2v.assigns = {"doc.tensor", "doc._.trf_last_hidden_state", "doc._.trf_pooler_output"};
  t2v.make = [](Language&, const std::string& name, const registry::Value& c) {
    return std::unique_ptr<Pipe>(std::make_unique<TrfTok2Vec>(name, registry::get_str(c, "trf_name")));
  };
  register_factory(std::move(t2v));
  FactoryMeta tc;
  tc.name = "trf_textcat";
  // The scorer and score weights of spaCy's textcat, so `train` selects model-best by cats_score
  // and `evaluate` reports it (exclusive_classes = false: use spacy.textcat_multilabel_scorer.v2
  // with threshold 0.5).
  add_placeholder_scorer("spacy.textcat_scorer.v2");
  tc.default_config = Json{{"trf_name", "bert-base-uncased"},
                           {"architecture", "softmax_class_vector"},
                           {"exclusive_classes", true},
                           {"token_vector_width", nullptr},
                           {"threshold", 0.0},
                           {"scorer", Json{{"@scorers", "spacy.textcat_scorer.v2"}}}};
  tc.default_score_weights = textcat_score_weights();
  tc.assigns = {"doc.cats"};
  tc.make = [](Language&, const std::string& name, const registry::Value& c) {
    const int64_t w = registry::is_null(c, "token_vector_width") ? 0 : registry::get_int(c, "token_vector_width");
    try {
      return std::unique_ptr<Pipe>(std::make_unique<TrfTextCat>(
          name, registry::get_str(c, "architecture"), registry::get_bool(c, "exclusive_classes"), w));
    } catch (const ValueError& e) {
      throw ConfigError({"components", name, "architecture"}, e.what());
    }
  };
  register_factory(std::move(tc));
}

}  // namespace trfpipe
