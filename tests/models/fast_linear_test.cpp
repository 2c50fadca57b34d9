// models::linear: the encoders' linear layers at inference (oneDNN's sgemm where LibTorch has it)
// against ATen's, and the cases it leaves to ATen.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "models/fast_linear.hpp"

namespace trfpipe::models {
namespace {

double max_diff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(FastLinear, MatchesAtenForBothWeightLayoutsAndShapes) {
  at::NoGradGuard no_grad;
  at::manual_seed(3);
  for (const auto& shape : std::vector<std::vector<int64_t>>{{5, 48}, {2, 7, 48}, {1, 1, 48}, {0, 48}}) {
    const at::Tensor x = at::randn(shape), w = at::randn({96, 48}), b = at::randn({96});
    const at::Tensor want = at::linear(x, w, b);
    const at::Tensor got = linear(x, w, b);
    ASSERT_EQ(got.sizes(), want.sizes());
    if (want.numel() > 0) EXPECT_LT(max_diff(got, want), 1e-4) << x.sizes();
    // HF Conv1D layout [in, out], and no bias.
    if (want.numel() > 0) {
      EXPECT_LT(max_diff(linear(x, w.t().contiguous(), b, true), want), 1e-4);
      EXPECT_LT(max_diff(linear(x, w, at::Tensor()), at::linear(x, w)), 1e-4);
    }
  }
  // The bias is read, never written (one row of output once aliased it).
  const at::Tensor x1 = at::randn({1, 48}), w1 = at::randn({8, 48}), b1 = at::randn({8});
  const at::Tensor b1_before = b1.clone();
  for (int i = 0; i < 2; ++i) EXPECT_LT(max_diff(linear(x1, w1, b1), at::linear(x1, w1, b1_before)), 1e-4);
  EXPECT_TRUE(at::equal(b1, b1_before));
  // A non-contiguous input (a transposed view) gives the same rows.
  const at::Tensor xt = at::randn({48, 6}).t(), w = at::randn({32, 48});
  EXPECT_LT(max_diff(linear(xt, w, at::Tensor()), at::linear(xt, w)), 1e-4);
}

// Autograd needs ATen's op: with gradients on, the result has a history and gradients flow.
TEST(FastLinear, WithGradientsKeepsAutograd) {
  const at::Tensor x = at::randn({3, 8}), w = at::randn({4, 8}).requires_grad_(), b = at::zeros({4});
  at::Tensor y = linear(x, w, b);
  ASSERT_TRUE(y.requires_grad());
  y.sum().backward();
  EXPECT_LT(max_diff(w.grad(), x.sum(0).expand({4, 8})), 1e-5);
}

TEST(FastLinear, OtherDtypesStayWithAten) {
  at::NoGradGuard no_grad;
  const at::Tensor x = at::randn({3, 8}, at::kDouble), w = at::randn({4, 8}, at::kDouble);
  const at::Tensor y = linear(x, w, at::Tensor());
  EXPECT_EQ(y.scalar_type(), at::kDouble);
  EXPECT_LT(max_diff(y, at::linear(x, w)), 1e-12);
}

// Per-head attention on the sgemm against HF's eager formula, with a padding mask.
TEST(FastLinear, AttentionMatchesEagerFormula) {
  at::NoGradGuard no_grad;
  const int64_t b = 3, s = 7, heads = 4, d = 16;
  const at::Tensor q = at::randn({b, s, heads * d}), k = at::randn({b, s, heads * d}), v = at::randn({b, s, heads * d});
  const at::Tensor keep = at::ones({b, s});
  keep[1].slice(0, 4).fill_(0);
  const at::Tensor mask = ((1.0 - keep) * -1e30).view({b, 1, 1, s});
  at::Tensor probs;
  const at::Tensor got = attention(q, k, v, heads, mask, &probs);
  if (!linear_uses_onednn()) {
    EXPECT_FALSE(got.defined());
    return;
  }
  ASSERT_TRUE(got.defined());
  auto split = [&](const at::Tensor& x) { return x.view({b, s, heads, d}).permute({0, 2, 1, 3}); };
  const at::Tensor want_probs = at::softmax(at::matmul(split(q), split(k).transpose(-1, -2)) / 4.0 + mask, -1);
  const at::Tensor want = at::matmul(want_probs, split(v)).permute({0, 2, 1, 3}).reshape({b, s, heads * d});
  EXPECT_LT(max_diff(got, want), 1e-5);
  EXPECT_LT(max_diff(probs, want_probs), 1e-6);
  EXPECT_EQ(probs[1].slice(2, 4).abs().sum().item<double>(), 0.0);  // masked keys get nothing
  // With gradients on (training), ATen's path is left to the caller.
  at::AutoGradMode grad(true);
  EXPECT_FALSE(attention(q.clone().requires_grad_(), k, v, heads, mask, nullptr).defined());
}

TEST(FastLinear, BackendIsNamed) {
  EXPECT_FALSE(linear_backend().empty());
  // Debian's LibTorch links oneDNN: the fast path is what runs there.
  if (linear_uses_onednn()) EXPECT_NE(linear_backend().find("oneDNN"), std::string::npos);
}

// The attention and the bf16/int8 conversions split their loops with at::parallel_for, a header
// template whose OpenMP region exists only in files compiled with -fopenmp. Built without it
// (as before), every such loop ran on one thread at any --threads: this saw 1 where ATen had 2.
TEST(FastLinear, LibraryLoopsRunOnAtensThreads) {
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  EXPECT_EQ(parallel_for_threads(), 2);
  at::set_num_threads(1);
  EXPECT_EQ(parallel_for_threads(), 1);
  at::set_num_threads(before);
}

}  // namespace
}  // namespace trfpipe::models
