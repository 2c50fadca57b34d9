// The listener handshake: one upstream forward per batch, scaled gradients accumulated from
// every listener, one backward pass into the upstream, batch verification.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "components/common/listener.hpp"
#include "components/tok2vec/tok2vec_models.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;

namespace {

std::shared_ptr<Tok2VecModel> small_tok2vec() {
  auto embed = std::make_shared<MultiHashEmbed>(8, std::vector<std::string>{"NORM", "SHAPE"},
                                                std::vector<int64_t>{50, 20});
  auto encode = std::make_shared<MaxoutWindowEncoder>(8, 1, 2, 2);
  return std::make_shared<ChainTok2Vec>(embed, encode);
}

struct Batch {
  std::shared_ptr<Vocab> vocab = std::make_shared<Vocab>("en");
  std::vector<std::unique_ptr<Doc>> owned;
  std::vector<Doc*> docs;
  Batch(std::initializer_list<std::vector<std::string>> words) {
    for (const auto& w : words) {
      owned.push_back(std::make_unique<Doc>(vocab, w));
      docs.push_back(owned.back().get());
    }
  }
};

// Two different downstream losses over per-doc tensors.
at::Tensor loss_a(const std::vector<at::Tensor>& xs) {
  at::Tensor l = at::zeros({});
  for (const auto& x : xs) l = l + (x * at::linspace(-1, 1, x.size(1))).sum();
  return l;
}
at::Tensor loss_b(const std::vector<at::Tensor>& xs) {
  at::Tensor l = at::zeros({});
  for (const auto& x : xs) l = l + x.pow(2).sum() * 0.5;
  return l;
}

NamedTensors params_of(const Tok2VecModel& m) {
  NamedTensors p;
  m.collect("", p);
  return p;
}

std::vector<at::Tensor> grads_of(const NamedTensors& ps) {
  std::vector<at::Tensor> out;
  for (const auto& [n, p] : ps) out.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
  return out;
}

void zero_grads(const NamedTensors& ps) {
  for (const auto& [n, p] : ps) at::Tensor(p).mutable_grad() = at::Tensor();
}

}  // namespace

TEST(Listener, ScaledGradientsOfAllListenersAreSummedIntoOneBackward) {
  at::manual_seed(0);
  auto upstream = small_tok2vec();
  Batch batch({{"Hello", "world", "!"}, {"Another", "doc"}});
  Tok2VecListenerModel l1(8, "*", 1.0), l2(8, "tok2vec", 2.0);
  NamedTensors params = params_of(*upstream);

  // Reference: d/dθ [1 * loss_a + 2 * loss_b] on the same batch.
  at::Tensor total = loss_a(upstream->forward(batch.docs, true)) * 1.0 +
                     loss_b(upstream->forward(batch.docs, true)) * 2.0;
  total.backward();
  std::vector<at::Tensor> expected = grads_of(params);
  zero_grads(params);

  // Protocol: one forward, two listeners, the last triggers backward.
  auto outputs = upstream->forward(batch.docs, true);
  uint64_t id = broadcast_to_listeners("tok2vec", {l1.listener(), l2.listener()}, batch.docs, outputs);
  EXPECT_GT(id, 0u);
  EXPECT_EQ(l1.listener()->batch_id(), id);
  Losses losses;
  auto x1 = l1.forward(batch.docs, true);
  EXPECT_FALSE(x1[0].grad_fn());  // detached leaves
  EXPECT_TRUE(x1[0].requires_grad());
  loss_a(x1).backward();
  l1.finish_backward(losses);
  for (const auto& [n, p] : params) EXPECT_FALSE(p.grad().defined()) << n;  // only accumulated
  auto x2 = l2.forward(batch.docs, true);
  loss_b(x2).backward();
  l2.finish_backward(losses);
  EXPECT_FALSE(l1.listener()->has_batch());
  EXPECT_FALSE(l2.listener()->has_batch());
  EXPECT_GT(losses["tok2vec"], 0.0);

  std::vector<at::Tensor> got = grads_of(params);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(got[i].defined()) << params[i].first;
    EXPECT_TRUE(at::allclose(got[i], expected[i], 1e-4, 1e-5)) << params[i].first;
  }

  // And the shared weights move exactly as an SGD step on the summed gradient.
  std::vector<at::Tensor> before;
  for (const auto& [n, p] : params) before.push_back(p.detach().clone());
  auto sgd = Optimizer::sgd(0.1, 0.0, 0.0, true, false);
  sgd->step("tok2vec", params);
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(at::allclose(params[i].second.detach(), before[i] - 0.1 * got[i], 1e-5, 1e-7))
        << params[i].first;
}

TEST(Listener, GradFactorZeroSendsNoGradient) {
  at::manual_seed(0);
  auto upstream = small_tok2vec();
  Batch batch({{"No", "gradient", "here"}});
  Tok2VecListenerModel l1(8, "*", 0.0), l2(8, "*", 0.0);
  NamedTensors params = params_of(*upstream);
  std::vector<at::Tensor> before;
  for (const auto& [n, p] : params) before.push_back(p.detach().clone());
  broadcast_to_listeners("tok2vec", {l1.listener(), l2.listener()}, batch.docs,
                         upstream->forward(batch.docs, true));
  Losses losses;
  for (auto* l : {&l1, &l2}) {
    loss_b(l->forward(batch.docs, true)).backward();
    l->finish_backward(losses);
  }
  Optimizer opt;  // Adam with thinc defaults
  opt.step("tok2vec", params);
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_FALSE(params[i].second.grad().defined()) << params[i].first;
    EXPECT_TRUE(at::equal(params[i].second.detach(), before[i])) << params[i].first;
  }
}

TEST(Listener, MismatchedBatchIsAnError) {
  at::manual_seed(0);
  auto upstream = small_tok2vec();
  Batch a({{"First", "batch"}}), b({{"Other", "batch"}});
  Tok2VecListenerModel l(8, "*");
  broadcast_to_listeners("tok2vec", {l.listener()}, a.docs, upstream->forward(a.docs, true));
  EXPECT_THROW(l.forward(b.docs, true), Error);
  try {
    l.listener()->verify(b.docs);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Mismatched batch"), std::string::npos);
  }
  EXPECT_NO_THROW(l.forward(a.docs, true));
  // A batch with one doc more is also a mismatch.
  std::vector<Doc*> more = a.docs;
  more.push_back(b.docs[0]);
  EXPECT_THROW(l.listener()->verify(more), Error);
}

TEST(Listener, BatchIdsAreCounterBased) {
  uint64_t a = Listener::next_batch_id(), b = Listener::next_batch_id();
  EXPECT_GT(a, 0u);
  EXPECT_EQ(b, a + 1);
  Listener l("tok2vec", "*", 4);
  Batch batch({{"x"}});
  EXPECT_THROW(l.receive(0, batch.docs, {at::zeros({1, 4})}, nullptr), Error);
  EXPECT_THROW(l.receive(5, batch.docs, {}, nullptr), Error);
}

TEST(Listener, WithoutBatchReadsDocTensorAndPredictsZerosWhenUnset) {
  Batch batch({{"a", "b"}});
  Tok2VecListenerModel l(3, "*");
  // Training without a batch and without doc.tensor: spaCy's E203.
  EXPECT_THROW(l.forward(batch.docs, true), Error);
  auto zeros = l.forward(batch.docs, false);
  ASSERT_EQ(zeros[0].sizes(), (at::IntArrayRef{2, 3}));
  EXPECT_EQ(zeros[0].abs().sum().item<float>(), 0.f);
  batch.docs[0]->tensor() = Matrix(2, 3, 1.5f);
  auto fromdoc = l.forward(batch.docs, true);
  EXPECT_FALSE(fromdoc[0].requires_grad());
  EXPECT_FLOAT_EQ(fromdoc[0].sum().item<float>(), 9.f);
}

TEST(Listener, MatchesUpstreamByKindAndName) {
  Listener any("tok2vec", "*", 4), named("tok2vec", "t2v", 4), trf("transformer", "*", 4);
  EXPECT_TRUE(any.listens_to("tok2vec", "whatever"));
  EXPECT_TRUE(named.listens_to("tok2vec", "t2v"));
  EXPECT_FALSE(named.listens_to("tok2vec", "tok2vec"));
  EXPECT_FALSE(trf.listens_to("tok2vec", "tok2vec"));
}

TEST(Dropout, AppliesOnlyToTrainingForwards) {
  at::manual_seed(0);
  auto t2v = small_tok2vec();
  Batch batch({{"Dropout", "only", "in", "training"}});
  at::Tensor predict = t2v->forward(batch.docs, false)[0].detach();
  t2v->set_dropout(0.5);
  EXPECT_TRUE(at::equal(t2v->forward(batch.docs, false)[0].detach(), predict));
  EXPECT_FALSE(at::allclose(t2v->forward(batch.docs, true)[0].detach(), predict));
  t2v->set_dropout(0.0);
  EXPECT_TRUE(at::allclose(t2v->forward(batch.docs, true)[0].detach(), predict));
  at::Tensor X = at::ones({200, 10});
  at::Tensor Y = layers::dropout(X, 0.25);
  at::Tensor kept = (Y != 0);
  EXPECT_TRUE(at::allclose(Y.masked_select(kept), at::full({kept.sum().item<int64_t>()}, 1.0 / 0.75)));
  double frac = kept.to(at::kFloat).mean().item<double>();
  EXPECT_GT(frac, 0.65);
  EXPECT_LT(frac, 0.85);
  EXPECT_TRUE(at::equal(layers::dropout(X, 0.0), X));
}
