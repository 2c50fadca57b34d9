// Attention alone at bert-base's shape (12 heads of 64): the full-scores path (models::attention,
// [batch, heads, L, L] scores) against the blocked online softmax (models::blocked_attention), in
// this process, interleaved, best of --iters each; ms per call and the ratio. Where the CPU has
// AVX512-BF16, also the blocked path with bf16 products (what a `--dtype bf16` encoder runs).
//   attention_bench [--shapes 1x128,32x128,8x512] [--iters 5] [--threads 1] [--heads 12] [--head-dim 64]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "models/attention.hpp"
#include "models/fast_linear.hpp"
#include "models/reduced_precision.hpp"

int main(int argc, char** argv) {
  std::string shapes = "1x128,32x128,8x512";
  int iters = 5, threads = 1;
  int64_t heads = 12, d = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--shapes") shapes = v;
    else if (a == "--iters") iters = std::stoi(v);
    else if (a == "--threads") threads = std::stoi(v);
    else if (a == "--heads") heads = std::stoll(v);
    else if (a == "--head-dim") d = std::stoll(v);
    else {
      std::cerr << "attention_bench: unknown option " << a << "\n";
      return 2;
    }
  }
  at::set_num_threads(threads);
  at::NoGradGuard no_grad;
  std::printf("attention: %lld heads of %lld, %d thread(s), best of %d; %s\n", static_cast<long long>(heads),
              static_cast<long long>(d), threads, iters, trfpipe::models::linear_backend().c_str());
  const bool bf16 = trfpipe::models::onednn_gemm_bf16() != nullptr;
  const int paths = bf16 ? 3 : 2;
  std::printf("| shape | full scores ms | blocked ms | full/blocked |%s\n|---|---:|---:|---:|%s\n",
              bf16 ? " blocked bf16 ms | blocked/bf16 |" : "", bf16 ? "---:|---:|" : "");
  std::stringstream ss(shapes);
  for (std::string item; std::getline(ss, item, ',');) {
    const int64_t b = std::stoll(item.substr(0, item.find('x'))), s = std::stoll(item.substr(item.find('x') + 1));
    const at::Tensor q = at::randn({b, s, heads * d}), k = at::randn({b, s, heads * d}), v = at::randn({b, s, heads * d});
    const at::Tensor mask = at::zeros({b, 1, 1, s});
    double best[3] = {1e30, 1e30, 1e30};
    for (int i = 0; i < iters + 1; ++i)
      for (int path = 0; path < paths; ++path) {
        const auto t0 = std::chrono::steady_clock::now();
        const at::Tensor out =
            path == 0 ? trfpipe::models::attention(q, k, v, heads, mask, nullptr)
                      : trfpipe::models::blocked_attention(q, k, v, heads, mask,
                                                           path == 2 ? trfpipe::InferenceDtype::Bf16 : trfpipe::InferenceDtype::Fp32);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!out.defined()) {
          std::cerr << "attention_bench: the sgemm path does not apply here\n";
          return 1;
        }
        if (i > 0) best[path] = std::min(best[path], ms);  // the first round warms up
      }
    std::printf("| %s | %.2f | %.2f | %.2f |", item.c_str(), best[0], best[1], best[0] / best[1]);
    if (bf16) std::printf(" %.2f | %.2f |", best[2], best[1] / best[2]);
    std::printf("\n");
  }
  return 0;
}
