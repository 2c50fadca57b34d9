// Gradients through pooling, alignment and the encoder; the listener handshake of the
// transformer (grad_factor scaling, one backward, frozen transformer).
#include <gtest/gtest.h>

#include <functional>
#include <iostream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/transformer/transformer.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;

namespace {

struct Docs {
  std::shared_ptr<Vocab> vocab = std::make_shared<Vocab>("en");
  std::vector<std::unique_ptr<Doc>> owned;
  std::vector<Doc*> ptrs;
  explicit Docs(std::vector<std::vector<std::string>> words) {
    for (auto& w : words) {
      owned.push_back(std::make_unique<Doc>(vocab, w));
      ptrs.push_back(owned.back().get());
    }
  }
};

TransformerModelPtr double_model(SpanGetter spans) {
  TransformerModelOptions o;
  o.name = tiny_bert();
  auto m = std::make_shared<TransformerModel>(o, std::move(spans));
  auto enc = load_encoder(tiny_bert(), Json{{"hidden_dropout_prob", 0.0},
                                            {"attention_probs_dropout_prob", 0.0}});
  enc->to(at::kDouble);
  m->set(load_subword_tokenizer(tiny_bert()), enc);
  return m;
}

at::Tensor param(TransformerModel& m, const std::string& name) {
  for (auto& [n, p] : m.named_parameters())
    if (n == name) return p;
  ADD_FAILURE() << "no parameter " << name;
  return at::Tensor();
}

// loss = Σ_d Σ pooled_d * weights_d
double loss_value(Tok2VecTransformerModel& t2v, const std::vector<Doc*>& docs,
                  const std::vector<at::Tensor>& w, bool backward) {
  std::vector<at::Tensor> outs = t2v.forward(docs, true);
  at::Tensor l = at::zeros({}, at::kDouble);
  for (size_t i = 0; i < outs.size(); ++i) l = l + (outs[i] * w[i]).sum();
  if (backward) l.backward();
  return l.item<double>();
}

}  // namespace

TEST(TransformerGradients, FiniteDifferencesAgreeWithAutogradForEveryPooling) {
  // Overlapping windows of 4 tokens every 3, multi-piece words: the alignment has shared rows.
  Docs docs({{"Here", "is", "some", "text", "to", "encode", "."}, {"tokenization", "works", "!"}});
  auto model = double_model(strided_spans(4, 3));
  at::manual_seed(3);
  std::vector<at::Tensor> w;
  for (Doc* d : docs.ptrs) w.push_back(at::randn({static_cast<int64_t>(d->size()), kWidth}, at::kDouble));
  const std::vector<std::pair<std::string, std::vector<int64_t>>> probes{
      {"embeddings.word_embeddings.weight", {4372, 3}},
      {"embeddings.word_embeddings.weight", {101, 0}},
      {"encoder.layer.0.attention.self.query.weight", {1, 2}},
      {"encoder.layer.1.output.dense.bias", {5}},
      {"embeddings.LayerNorm.weight", {7}}};
  double worst = 0;  // largest relative difference autograd vs finite differences
  for (layers::Reduce how : {layers::Reduce::Mean, layers::Reduce::Max, layers::Reduce::Sum,
                             layers::Reduce::First, layers::Reduce::Last}) {
    Tok2VecTransformerModel t2v(model, Pooling{how, "pool"}, 1.0);
    for (auto& [n, p] : model->named_parameters()) at::Tensor(p).mutable_grad() = at::Tensor();
    loss_value(t2v, docs.ptrs, w, true);
    for (const auto& [name, idx] : probes) {
      at::Tensor p = param(*model, name);
      std::vector<at::indexing::TensorIndex> ix(idx.begin(), idx.end());
      const double analytic = p.grad().index(ix).item<double>();
      const double eps = 1e-6;
      double orig;
      {
        at::NoGradGuard ng;
        orig = p.index(ix).item<double>();
        p.index_put_(ix, orig + eps);
      }
      const double up = loss_value(t2v, docs.ptrs, w, false);
      {
        at::NoGradGuard ng;
        p.index_put_(ix, orig - eps);
      }
      const double down = loss_value(t2v, docs.ptrs, w, false);
      {
        at::NoGradGuard ng;
        p.index_put_(ix, orig);
      }
      const double numeric = (up - down) / (2 * eps);
      worst = std::max(worst, std::abs(analytic - numeric) / std::max(1e-3, std::abs(numeric)));
      EXPECT_NEAR(analytic, numeric, 1e-6 + 1e-5 * std::abs(numeric))
          << name << " pooling " << static_cast<int>(how);
      EXPECT_NE(analytic, 0.0) << name;
    }
  }
  RecordProperty("max_relative_fd_error", std::to_string(worst));
  std::cout << "[ measured ] autograd vs finite differences: max relative difference " << worst << "\n";
}

TEST(TransformerGradients, Tok2VecTransformerGradFactorScalesTheGradient) {
  Docs docs({{"Here", "is", "some", "text", "to", "encode", "."}});
  auto model = double_model(doc_spans());
  std::vector<at::Tensor> w{at::ones({7, kWidth}, at::kDouble)};
  at::Tensor p = param(*model, "encoder.layer.0.attention.self.query.weight");
  Tok2VecTransformerModel one(model, Pooling{}, 1.0), two(model, Pooling{}, 2.5), zero(model, Pooling{}, 0.0);
  loss_value(one, docs.ptrs, w, true);
  at::Tensor g1 = p.grad().clone();
  p.mutable_grad().zero_();
  loss_value(two, docs.ptrs, w, true);
  EXPECT_TRUE(p.grad().allclose(g1 * 2.5, 1e-10, 1e-12));
  p.mutable_grad().zero_();
  loss_value(zero, docs.ptrs, w, true);
  EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
}

TEST(TransformerGradients, PoolMaxOfTokenWithoutPiecesThrowsMeanGivesZeros) {
  at::Tensor rows = at::randn({4, 3});
  Ragged al{{0, 1, 3}, {2, 0, 1}};
  at::Tensor mean = pool_doc_rows(rows, al, layers::Reduce::Mean, 3);
  EXPECT_TRUE(mean[0].allclose((rows[0] + rows[1]) / 2));
  EXPECT_EQ(mean[1].abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(mean[2].allclose(rows[3]));
  EXPECT_THROW(pool_doc_rows(rows, al, layers::Reduce::Max, 3), ValueError);
  at::Tensor sum = pool_doc_rows(rows, al, layers::Reduce::Sum, 3);
  EXPECT_TRUE(sum[0].allclose(rows[0] + rows[1]));
  // No alignment at all: zeros (spacy-transformers' apply_alignment), also for max.
  Ragged none{{}, {0, 0}};
  EXPECT_EQ(pool_doc_rows(rows, none, layers::Reduce::Max, 3).sizes(), (at::IntArrayRef{2, 3}));
}

namespace {

// A listening component with a fixed loss over its listener's outputs.
class LossPipe : public TrainablePipe, public ListeningComponent {
 public:
  LossPipe(std::string name, double grad_factor, int kind)
      : TrainablePipe(std::move(name)), model_(Pooling{}, grad_factor, "*"), kind_(kind) {}
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  void set_annotations(const std::vector<Doc*>&, const std::any&) override {}
  void update(const std::vector<Example>& examples, double, Optimizer*, Losses& losses) override {
    std::vector<Doc*> docs;
    for (const auto& eg : examples) docs.push_back(&eg.predicted());
    last_outputs = model_.forward(docs, true);
    at::Tensor l = loss(last_outputs);
    if (l.requires_grad()) l.backward();
    model_.finish_backward(losses);
  }
  void finish_update(Optimizer&) override {}
  std::vector<Listener*> listeners() override { return {model_.listener()}; }
  at::Tensor loss(const std::vector<at::Tensor>& xs) const {
    at::Tensor l = at::zeros({});
    for (const auto& x : xs)
      l = l + (kind_ == 0 ? (x * at::linspace(-1, 1, x.size(1))).sum() : x.pow(2).sum() * 0.5);
    return l;
  }
  TransformerListenerModel model_;
  int kind_;
  std::vector<at::Tensor> last_outputs;
};

struct TrfPipeline {
  std::unique_ptr<Language> nlp;
  TransformerPipe* trf;
  LossPipe *a, *b;
  std::vector<Example> examples;
  TrfPipeline(double fa, double fb) {
    nlp = trf_nlp(transformer_config(tiny_bert(), strided_cfg(4, 3), false,
                                     Json{{"hidden_dropout_prob", 0.0},
                                          {"attention_probs_dropout_prob", 0.0}}));
    a = static_cast<LossPipe*>(&nlp->add_pipe(std::make_unique<LossPipe>("a", fa, 0)));
    b = static_cast<LossPipe*>(&nlp->add_pipe(std::make_unique<LossPipe>("b", fb, 1)));
    nlp->initialize(nullptr);
    trf = &dynamic_cast<TransformerPipe&>(nlp->get_pipe("transformer"));
    for (const char* t : {"Here is some text to encode.", "Another short doc!"})
      examples.push_back(Example::from_reference(std::make_shared<Doc>(nlp->make_doc(t))));
  }
  std::vector<Doc*> docs() {
    std::vector<Doc*> d;
    for (auto& eg : examples) d.push_back(&eg.predicted());
    return d;
  }
  std::vector<at::Tensor> snapshot() {
    std::vector<at::Tensor> out;
    for (auto& [n, p] : trf->named_parameters()) out.push_back(p.detach().clone());
    return out;
  }
};

// d/dθ of loss(mean-pooled outputs) with one forward, the pipeline's grads left cleared.
std::vector<at::Tensor> reference_grads(TrfPipeline& s,
                                        const std::function<at::Tensor(const std::vector<at::Tensor>&)>& loss) {
  NamedTensors params = s.trf->named_parameters();
  TransformerBatch batch = s.trf->model().forward(s.docs(), true);
  std::vector<at::Tensor> pooled;
  for (size_t i = 0; i < batch.doc_rows.size(); ++i)
    pooled.push_back(pool_doc_rows(batch.doc_rows[i], batch.doc_data[i]->align,
                                   layers::Reduce::Mean, kWidth));
  loss(pooled).backward();
  std::vector<at::Tensor> out;
  for (auto& [n, p] : params) {
    out.push_back(p.grad().defined() ? p.grad().clone() : at::zeros_like(p));
    at::Tensor(p).mutable_grad() = at::Tensor();
  }
  return out;
}

}  // namespace

TEST(TransformerListeners, SharedWeightsMoveBySumOfScaledListenerGradients) {
  TrfPipeline s(1.0, 2.0);
  EXPECT_EQ(s.a->model_.width(), kWidth);  // nO copied from the transformer
  NamedTensors params = s.trf->named_parameters();
  // Reference gradient: d/dθ [1 * loss_a + 2 * loss_b] of mean-pooled outputs, one forward.
  std::vector<at::Tensor> expected = reference_grads(s, [&](const std::vector<at::Tensor>& x) {
    return s.a->loss(x) * 1.0 + s.b->loss(x) * 2.0;
  });
  std::vector<at::Tensor> before = s.snapshot();
  auto sgd = Optimizer::sgd(0.5, 0.0, 0.0, true, false);
  Losses losses;
  s.trf->update(s.examples, 0.0, sgd.get(), losses);
  s.a->update(s.examples, 0.0, nullptr, losses);
  EXPECT_EQ(s.trf->named_parameters()[5].second.equal(before[5]), true);  // not yet
  s.b->update(s.examples, 0.0, nullptr, losses);  // last listener: backward + step
  std::vector<at::Tensor> after = s.snapshot();
  double max_expected = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor delta = (before[i] - after[i]) / 0.5;
    EXPECT_TRUE(delta.allclose(expected[i], 1e-4, 1e-5))
        << params[i].first << " max diff " << (delta - expected[i]).abs().max().item<double>();
    max_expected = std::max(max_expected, expected[i].abs().max().item<double>());
  }
  EXPECT_GT(max_expected, 1e-3);
  EXPECT_GT(losses["transformer"], 0.0);
}

TEST(TransformerListeners, GradFactorZeroLeavesTransformerUnchanged) {
  TrfPipeline s(0.0, 0.0);
  std::vector<at::Tensor> before = s.snapshot();
  auto sgd = Optimizer::sgd(0.5, 0.0, 0.0, true, false);
  Losses losses;
  s.trf->update(s.examples, 0.0, sgd.get(), losses);
  s.a->update(s.examples, 0.0, nullptr, losses);
  s.b->update(s.examples, 0.0, nullptr, losses);
  std::vector<at::Tensor> after = s.snapshot();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(before[i].equal(after[i])) << i;
  EXPECT_EQ(losses["transformer"], 0.0);
  ASSERT_EQ(s.a->last_outputs.size(), 2u);
  EXPECT_EQ(s.a->last_outputs[0].size(0), 7);
}

TEST(TransformerListeners, OnlyNonZeroFactorContributes) {
  TrfPipeline s(0.0, 1.0);
  NamedTensors params = s.trf->named_parameters();
  std::vector<at::Tensor> expected = reference_grads(s, [&](const std::vector<at::Tensor>& x) { return s.b->loss(x); });
  auto sgd = Optimizer::sgd(0.5, 0.0, 0.0, true, false);
  std::vector<at::Tensor> before = s.snapshot();
  Losses losses;
  s.trf->update(s.examples, 0.0, sgd.get(), losses);
  s.a->update(s.examples, 0.0, nullptr, losses);
  s.b->update(s.examples, 0.0, nullptr, losses);
  std::vector<at::Tensor> after = s.snapshot();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(((before[i] - after[i]) / 0.5).allclose(expected[i], 1e-4, 1e-5)) << params[i].first;
}

TEST(TransformerListeners, FrozenTransformerStillAnnotatesAndListenersReadTrfData) {
  TrfPipeline s(1.0, 1.0);
  std::vector<at::Tensor> before = s.snapshot();
  auto sgd = Optimizer::sgd(0.5, 0.0, 0.0, true, false);
  Losses losses;
  s.nlp->update(s.examples, 0.0, sgd.get(), losses, {"transformer"}, {"transformer"});
  std::vector<at::Tensor> after = s.snapshot();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(before[i].equal(after[i])) << i;
  // The listeners pooled doc._.trf_data of the annotated docs.
  ASSERT_EQ(s.b->last_outputs.size(), 2u);
  EXPECT_EQ(s.b->last_outputs[0].size(0), 7);
  EXPECT_GT(s.b->last_outputs[0].abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(s.b->last_outputs[0].requires_grad());
  EXPECT_EQ(losses.count("transformer"), 0u);
}

TEST(TransformerListeners, TrainingWithoutBatchOrTrfDataIsAnError) {
  TrfPipeline s(1.0, 1.0);
  Losses losses;
  try {
    s.a->update(s.examples, 0.0, nullptr, losses);
    FAIL() << "expected E203";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("trf_data is not set"), std::string::npos) << e.what();
  }
  // A batch for other docs: mismatched.
  s.trf->update(s.examples, 0.0, nullptr, losses);
  std::vector<Example> other{Example::from_reference(std::make_shared<Doc>(s.nlp->make_doc("x y")))};
  EXPECT_THROW(s.a->update(other, 0.0, nullptr, losses), Error);
  // Prediction without trf_data: zeros.
  Doc doc = s.nlp->make_doc("no data here");
  std::vector<Doc*> docs{&doc};
  at::Tensor z = s.a->model_.forward(docs, false)[0];
  EXPECT_EQ(z.sizes(), (at::IntArrayRef{3, kWidth}));
  EXPECT_EQ(z.abs().sum().item<double>(), 0.0);
}

TEST(TransformerListeners, LanguageUpdateStepsTheTransformerAfterTheListenersBackward) {
  TrfPipeline s(1.0, 2.0);
  auto sgd = Optimizer::sgd(0.1, 0.0, 0.0, true, false);
  std::vector<at::Tensor> prev = s.snapshot();
  for (int it = 0; it < 3; ++it) {
    Losses losses;
    ASSERT_NO_THROW(s.nlp->update(s.examples, 0.0, sgd.get(), losses)) << it;
    std::vector<at::Tensor> now = s.snapshot();
    bool changed = false;
    for (size_t i = 0; i < now.size(); ++i) changed = changed || !now[i].equal(prev[i]);
    EXPECT_TRUE(changed) << "iteration " << it;
    EXPECT_GT(losses["transformer"], 0.0);
    prev = now;
  }
}

// A tagger with its own transformer (Tok2VecTransformer.v3 over the HF folder `name`), initialized
// on one tagged example (returned in `egs`).
std::unique_ptr<Language> tagger_with_own_transformer(const std::string& name,
                                                      const std::string& pooling,
                                                      std::vector<Example>& egs) {
  register_components();
  auto nlp = Language::blank("en");
  nlp->add_pipe("tagger", "tagger",
                Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"},
                                    {"tok2vec", Json{{"@architectures", "spacy-transformers.Tok2VecTransformer.v3"},
                                                     {"name", name},
                                                     {"get_spans", doc_spans_cfg()},
                                                     {"pooling", Json{{"@layers", pooling}}},
                                                     {"grad_factor", 1.0}}}}}});
  auto ref = std::make_shared<Doc>(nlp->make_doc("Here is some text to encode."));
  for (size_t i = 0; i < ref->size(); ++i) ref->token(i).set_tag(i % 2 ? "VB" : "NN");
  egs = {Example::from_reference(ref)};
  nlp->initialize([&] { return egs; });
  return nlp;
}

TEST(Tok2VecTransformer, TaggerWithItsOwnTransformerTrainsThroughIt) {
  std::vector<Example> egs;
  auto nlp = tagger_with_own_transformer(tiny_bert(), "reduce_last.v1", egs);
  auto& owner = dynamic_cast<ParameterOwner&>(nlp->get_pipe("tagger"));
  NamedTensors params = owner.named_parameters();
  at::Tensor q;
  for (auto& [n, p] : params)
    if (n == "tok2vec.transformer.encoder.layer.0.attention.self.query.weight") q = p;
  ASSERT_TRUE(q.defined());
  at::Tensor before = q.detach().clone();
  auto sgd = Optimizer::sgd(0.5, 0.0, 0.0, true, false);
  for (int it = 0; it < 2; ++it) {
    Losses losses;
    nlp->update(egs, 0.0, sgd.get(), losses);
  }
  EXPECT_FALSE(q.equal(before));  // the second step has non-zero output weights
  Doc doc = (*nlp)("Here is some text to encode.");
  EXPECT_FALSE(doc.token(0).tag_().empty());
}

// spacy-transformers keeps a Tok2VecTransformer's HF config and tokenizer inside the component's
// saved model, so a pipeline reloads after its `name` folder is gone. Here they go to
// tagger/transformer/ and the weights stay in tagger/model.
TEST(Tok2VecTransformer, SavedPipelineReloadsWithoutTheNameFolder) {
  namespace fs = std::filesystem;
  const std::string name = temp_dir("t2v_name");
  fs::copy(tiny_bert(), name, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::vector<Example> egs;
  auto nlp = tagger_with_own_transformer(name, "reduce_mean.v1", egs);
  auto sgd = Optimizer::sgd(0.5, 0.0, 0.0, true, false);
  for (int it = 0; it < 3; ++it) {
    Losses losses;
    nlp->update(egs, 0.0, sgd.get(), losses);
  }
  const std::string out = temp_dir("t2v_saved");
  nlp->to_disk(out);
  EXPECT_TRUE(fs::exists(fs::path(out) / "tagger" / "transformer" / "config.json"));
  EXPECT_TRUE(fs::exists(fs::path(out) / "tagger" / "transformer" / "vocab.txt"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "tagger" / "transformer" / "model.safetensors"));
  fs::remove_all(name);

  auto loaded = Language::load(out);
  const std::string text = "Some text here is encoded again.";
  Doc a = (*nlp)(text), b = (*loaded)(text);
  auto& pa = dynamic_cast<ParameterOwner&>(nlp->get_pipe("tagger"));
  auto& pb = dynamic_cast<ParameterOwner&>(loaded->get_pipe("tagger"));
  NamedTensors wa = pa.named_parameters(), wb = pb.named_parameters();
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i) {
    EXPECT_EQ(wa[i].first, wb[i].first);
    EXPECT_TRUE(wa[i].second.equal(wb[i].second)) << wa[i].first;
  }
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a.token(i).tag_(), b.token(i).tag_()) << i;
}
