// Layers (hash embedding, maxout, windows, pooling, sparse linear), thinc's optimizer and
// schedules, and their registrations.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/register.hpp"
#include "models/layers/layers.hpp"
#include "models/optimizer.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;
using namespace trfpipe::layers;

TEST(HashEmbed, SumsFourHashedRowsOfE) {
  at::manual_seed(1);
  HashEmbed emb(4, 50, 8, 0);
  std::vector<uint64_t> ids{123, 456789, 123};
  at::Tensor keys = emb.keys(ids);
  ASSERT_EQ(keys.sizes(), (at::IntArrayRef{3, 4}));
  at::Tensor Y = emb.forward(ids);
  for (int64_t i = 0; i < 3; ++i) {
    at::Tensor expect = at::zeros({4});
    for (int64_t j = 0; j < 4; ++j) {
      int64_t k = keys[i][j].item<int64_t>();
      ASSERT_GE(k, 0);
      ASSERT_LT(k, 50);
      expect += emb.E[k].detach();
    }
    EXPECT_TRUE(at::allclose(Y[i].detach(), expect));
  }
  EXPECT_TRUE(at::equal(Y[0], Y[2]));  // same id, same rows
  uint32_t a[4], b[4];
  murmurhash3_x86_128_uint64(123, 8, a);
  murmurhash3_x86_128_uint64(123, 9, b);
  EXPECT_NE(a[0], b[0]);  // the seed changes the rows
  EXPECT_EQ(uint32_t(keys[0][0].item<int64_t>()), a[0] % 50u);
}

TEST(HashEmbed, HashIsThincsMurmurHash3_x86_128_uint64) {
  // Reference values from thinc's numpy_ops MurmurHash3_x86_128_uint64 (x64_128 of one key).
  struct Case { uint64_t key; uint32_t seed; uint32_t out[4]; };
  const Case cases[] = {
      {123, 8, {3090227956u, 991495318u, 340374638u, 1487242978u}},
      {0, 0, {3428303819u, 685728695u, 3303603794u, 4065689084u}},
      {12345678901234567890ull, 9, {1316714731u, 3026958564u, 2450114963u, 995251789u}}};
  for (const Case& c : cases) {
    uint32_t out[4];
    murmurhash3_x86_128_uint64(c.key, c.seed, out);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], c.out[i]) << c.key << " word " << i;
  }
}

TEST(HashEmbed, RejectsEmptyTable) { EXPECT_THROW(HashEmbed(4, 0, 1, 0), ValueError); }

TEST(ExpandWindow, ConcatenatesNeighboursWithZeroPadding) {
  at::Tensor X = at::arange(1, 4, at::kFloat).view({3, 1});  // [1, 2, 3]
  at::Tensor Y = expand_window(X, 1);
  ASSERT_EQ(Y.sizes(), (at::IntArrayRef{3, 3}));
  std::vector<float> expect{0, 1, 2, 1, 2, 3, 2, 3, 0};
  for (int64_t i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(Y.view({-1})[i].item<float>(), expect[size_t(i)]);
}

TEST(FlattenPadded, RoundTripsWithPaddingBetweenSequences) {
  at::Tensor a = at::ones({2, 2}), b = at::full({1, 2}, 2.f), e = at::zeros({0, 2});
  at::Tensor X = flatten_padded({a, e, b}, 1, 2);
  EXPECT_EQ(X.size(0), 1 + 2 + 1 + 1 + 1);
  EXPECT_EQ(X[0].sum().item<float>(), 0.f);
  auto back = unflatten_padded(X, {2, 0, 1}, 1);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_TRUE(at::equal(back[0], a));
  EXPECT_EQ(back[1].size(0), 0);
  EXPECT_TRUE(at::equal(back[2], b));
}

TEST(Reduce, PoolsRaggedRows) {
  at::Tensor X = at::tensor({1.f, 2.f, 3.f, 10.f, 20.f}).view({5, 1});
  std::vector<int64_t> lengths{3, 0, 2};
  EXPECT_TRUE(at::allclose(reduce(X, lengths, Reduce::Sum).view({-1}), at::tensor({6.f, 0.f, 30.f})));
  EXPECT_TRUE(at::allclose(reduce(X, lengths, Reduce::Mean).view({-1}), at::tensor({2.f, 0.f, 15.f})));
  std::vector<int64_t> full{3, 2};
  EXPECT_TRUE(at::allclose(reduce(X, full, Reduce::Max).view({-1}), at::tensor({3.f, 20.f})));
  EXPECT_TRUE(at::allclose(reduce(X, full, Reduce::First).view({-1}), at::tensor({1.f, 10.f})));
  EXPECT_TRUE(at::allclose(reduce(X, full, Reduce::Last).view({-1}), at::tensor({3.f, 20.f})));
  EXPECT_THROW(reduce(X, lengths, Reduce::Max), ValueError);  // thinc raises on length 0
  EXPECT_EQ(reduce_from_name("reduce_mean.v1"), Reduce::Mean);
  EXPECT_THROW(reduce_from_name("reduce_median.v1"), ValueError);
}

TEST(GradientCheck, FiniteDifferencesThroughMaxoutAndReduceMeanMatchAutograd) {
  at::manual_seed(3);
  Maxout m(3, 4, 2, true);
  // Double precision copies of the parameters for a tight finite-difference check.
  m.W = m.W.detach().to(at::kDouble).set_requires_grad(true);
  m.b = (at::randn({3, 2}) * 0.1).to(at::kDouble).set_requires_grad(true);
  m.norm->G = (at::rand({3}) + 0.5).to(at::kDouble).set_requires_grad(true);
  m.norm->b = at::randn({3}).to(at::kDouble).set_requires_grad(true);
  at::Tensor X = at::randn({5, 4}, at::kDouble).set_requires_grad(true);
  std::vector<int64_t> lengths{2, 3};
  at::Tensor weights = at::randn({2, 3}, at::kDouble);
  auto f = [&]() { return (reduce(m.forward(X), lengths, Reduce::Mean) * weights).sum(); };
  f().backward();
  for (at::Tensor* t : {&X, &m.W, &m.norm->G}) {
    at::Tensor grad = t->grad().clone();
    at::Tensor flat = t->detach().view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double eps = 1e-6, orig = flat[i].item<double>();
      double up, down;
      {
        at::NoGradGuard ng;
        flat[i] = orig + eps;
        up = f().item<double>();
        flat[i] = orig - eps;
        down = f().item<double>();
        flat[i] = orig;
      }
      const double numeric = (up - down) / (2 * eps);
      EXPECT_NEAR(grad.view({-1})[i].item<double>(), numeric, 1e-6 + 1e-4 * std::abs(numeric))
          << "element " << i;
    }
  }
}

TEST(SparseLinear, SumsHashedWeightsPerRow) {
  SparseLinear s(2, 16);
  {
    at::NoGradGuard ng;
    s.W.copy_(at::arange(32, at::kFloat));
    s.b.copy_(at::tensor({100.f, 200.f}));
  }
  std::vector<std::vector<uint64_t>> keys{{7}, {}};
  std::vector<std::vector<float>> vals{{2.f}, {}};
  at::Tensor Y = s.forward(keys, vals);
  const int64_t h1 = murmurhash3_x86_32_uint64(7, 0) % 16, h2 = murmurhash3_x86_32_uint64(7, 1) % 16;
  // v2 indexing: W[c * L + h % L]
  EXPECT_FLOAT_EQ(Y[0][0].item<float>(), 100.f + 2.f * float(h1 + h2));
  EXPECT_FLOAT_EQ(Y[0][1].item<float>(), 200.f + 2.f * float(16 + h1 + 16 + h2));
  EXPECT_FLOAT_EQ(Y[1][0].item<float>(), 100.f);  // no features: the bias only
  SparseLinear v1(2, 16, true);
  {
    at::NoGradGuard ng;
    v1.W.copy_(at::arange(32, at::kFloat));
  }
  at::Tensor Y1 = v1.forward(keys, vals);  // v1 indexing: W[(h & (L-1)) + c]
  EXPECT_FLOAT_EQ(Y1[0][1].item<float>(), 2.f * float(h1 + 1 + h2 + 1));
}

TEST(MurmurHash3_32, MatchesThincsSparseLinearHash) {
  // Reference values from thinc's sparse_linear.pyx MurmurHash3_x86_32_uint64.
  EXPECT_EQ(murmurhash3_x86_32_uint64(0, 0), 1669671676u);
  EXPECT_EQ(murmurhash3_x86_32_uint64(7, 0), 4157363267u);
  EXPECT_EQ(murmurhash3_x86_32_uint64(7, 1), 2840531602u);
  EXPECT_EQ(murmurhash3_x86_32_uint64(12345678901234567890ull, 1), 3428782415u);
}

TEST(SoftmaxPassthrough, ForwardIsSoftmaxBackwardIsIdentity) {
  at::Tensor logits = at::tensor({1.f, 2.f, 0.5f}).view({1, 3}).set_requires_grad(true);
  at::Tensor Y = softmax_passthrough(logits);
  EXPECT_TRUE(at::allclose(Y.detach(), at::softmax(logits.detach(), 1)));
  at::Tensor d = at::tensor({0.3f, -0.2f, 0.1f}).view({1, 3});
  Y.backward(d);
  EXPECT_TRUE(at::allclose(logits.grad(), d));
}

// ---- optimizer ----
namespace {
at::Tensor leaf(std::vector<float> v) {
  return at::tensor(v).set_requires_grad(true);
}
void set_grad(at::Tensor& p, std::vector<float> g) { p.mutable_grad() = at::tensor(g); }
}  // namespace

TEST(Optimizer, AdamMatchesThincsUpdateRule) {
  OptimizerOptions o;
  o.learn_rate = 0.1;
  o.grad_clip = 0.0;
  o.use_averages = false;
  Optimizer opt(o);
  at::Tensor p = leaf({1.f, -2.f});
  double w[2] = {1.0, -2.0}, m1[2] = {0, 0}, m2[2] = {0, 0};
  const double g[2][2] = {{0.5, -1.0}, {0.25, 2.0}};
  for (int t = 1; t <= 2; ++t) {
    set_grad(p, {float(g[t - 1][0]), float(g[t - 1][1])});
    opt.step("c", {{"W", p}});
    double lr = 0.1 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (int i = 0; i < 2; ++i) {
      m1[i] = 0.9 * m1[i] + 0.1 * g[t - 1][i];
      m2[i] = 0.999 * m2[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
      w[i] -= lr * m1[i] / (std::sqrt(m2[i]) + 1e-8);
      EXPECT_NEAR(p[i].item<double>(), w[i], 1e-5);
    }
    EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.f);  // zeroed, as thinc
  }
  EXPECT_EQ(opt.nr_update("c.W"), 2);
}

TEST(Optimizer, SgdClipsEachParameterByItsNormAndDecaysWeights) {
  auto opt = Optimizer::sgd(1.0, /*L2=*/0.5, /*grad_clip=*/1.0, true, false);
  at::Tensor p = leaf({1.f, 1.f}), q = leaf({1.f});
  set_grad(p, {3.f, 4.f});  // norm 5 -> clipped to (0.6, 0.8)
  set_grad(q, {0.5f});      // under the threshold: unchanged
  opt->step("c", {{"p", p}, {"q", q}});
  // w - lr*g, then decoupled decay w -= lr * L2 * w
  EXPECT_NEAR(p[0].item<double>(), (1 - 0.6) * 0.5, 1e-6);
  EXPECT_NEAR(p[1].item<double>(), (1 - 0.8) * 0.5, 1e-6);
  EXPECT_NEAR(q[0].item<double>(), (1 - 0.5) * 0.5, 1e-6);
}

TEST(Optimizer, CoupledL2AddsToTheGradient) {
  auto opt = Optimizer::sgd(0.1, 0.5, 0.0, /*L2_is_weight_decay=*/false, false);
  at::Tensor p = leaf({2.f});
  set_grad(p, {1.f});
  opt->step("c", {{"p", p}});
  EXPECT_NEAR(p[0].item<double>(), 2.0 - 0.1 * (1.0 + 0.5 * 2.0), 1e-6);
}

TEST(Optimizer, SkipsParametersWithoutGradient) {
  Optimizer opt;
  at::Tensor p = leaf({1.f});
  opt.step("c", {{"p", p}});
  EXPECT_EQ(p[0].item<float>(), 1.f);
  EXPECT_EQ(opt.nr_update("c.p"), 0);
}

TEST(Optimizer, KeepsThincsParameterAverages) {
  auto opt = Optimizer::sgd(1.0, 0.0, 0.0, true, /*use_averages=*/true);
  at::Tensor p = leaf({0.f});
  double avg = 0.0;
  for (int t = 1; t <= 3; ++t) {
    set_grad(p, {-1.f});
    opt->step("c", {{"p", p}});
    double decay = std::min((1.0 + t) / (10.0 + t), 0.9999);
    avg -= (1 - decay) * (avg - double(t));
    EXPECT_NEAR(opt->average("c.p")[0].item<double>(), avg, 1e-6);
  }
}

TEST(Schedules, FollowThinc) {
  auto w = schedules::warmup_linear(1.0, 2, 6);
  EXPECT_DOUBLE_EQ(w(0), 0.0);
  EXPECT_DOUBLE_EQ(w(1), 0.5);
  EXPECT_DOUBLE_EQ(w(2), 1.0);
  EXPECT_DOUBLE_EQ(w(4), 0.5);
  EXPECT_DOUBLE_EQ(w(9), 0.0);
  auto c = schedules::compounding(1.0, 10.0, 1.5);
  EXPECT_DOUBLE_EQ(c(0), 1.0);
  EXPECT_DOUBLE_EQ(c(2), 2.25);
  EXPECT_DOUBLE_EQ(c(100), 10.0);
  auto down = schedules::compounding(10.0, 1.0, 0.5);
  EXPECT_DOUBLE_EQ(down(10), 1.0);
  auto d = schedules::decaying(0.001, 1e-4);
  EXPECT_DOUBLE_EQ(d(0), 0.001);
  EXPECT_DOUBLE_EQ(d(1), 0.001 / (1 + 1e-4));
  EXPECT_DOUBLE_EQ(schedules::constant(0.3)(99), 0.3);
}

TEST(Optimizer, LearnRateScheduleAdvancesWithStepSchedules) {
  OptimizerOptions o;
  o.learn_rate = schedules::warmup_linear(1.0, 2, 4);
  Optimizer opt(o);
  EXPECT_DOUBLE_EQ(opt.learn_rate(), 0.0);
  opt.step_schedules();
  EXPECT_DOUBLE_EQ(opt.learn_rate(), 0.5);
}

TEST(OptimizerRegistry, ResolvesAdamWithASchedule) {
  register_components();
  Json tree = {{"optimizer",
                {{"@optimizers", "Adam.v1"},
                 {"beta1", 0.8},
                 {"L2", 0.01},
                 {"use_averages", false},
                 {"learn_rate",
                  {{"@schedules", "warmup_linear.v1"}, {"initial_rate", 0.01},
                   {"warmup_steps", 10}, {"total_steps", 100}}}}}};
  registry::Value v = registry::resolve(tree);
  auto opt = v.at("optimizer").as<std::shared_ptr<Optimizer>>();
  EXPECT_DOUBLE_EQ(opt->options().beta1.at(0), 0.8);
  EXPECT_DOUBLE_EQ(opt->options().beta2.at(0), 0.999);
  EXPECT_FALSE(opt->use_averages());
  EXPECT_DOUBLE_EQ(opt->learn_rate(), 0.0);
  for (int i = 0; i < 5; ++i) opt->step_schedules();
  EXPECT_NEAR(opt->learn_rate(), 0.005, 1e-12);
}

TEST(OptimizerRegistry, SgdNeedsALearnRate) {
  register_components();
  Json tree = {{"optimizer", {{"@optimizers", "SGD.v1"}}}};
  EXPECT_THROW(registry::resolve(tree), Error);
}

TEST(OptimizerRegistry, RejectsANonScheduleObjectAsLearnRate) {
  register_components();
  Json tree = {{"optimizer",
                {{"@optimizers", "Adam.v1"},
                 {"learn_rate", {{"@optimizers", "SGD.v1"}, {"learn_rate", 0.1}}}}}};
  EXPECT_THROW(registry::resolve(tree), Error);
}
