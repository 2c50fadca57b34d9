#include "components/parser_internals/transition_loop.hpp"

#include <algorithm>
#include <limits>

namespace trfpipe::transition {

void pipe_by_length(Pipe& pipe, const std::vector<Doc*>& docs, size_t batch_size) {
  if (batch_size == 0) batch_size = std::max<size_t>(docs.size(), 1);
  const size_t sub = std::max<size_t>(batch_size / 4, 2);
  for (size_t b = 0; b < docs.size(); b += batch_size) {
    std::vector<Doc*> batch(docs.begin() + long(b),
                            docs.begin() + long(std::min(docs.size(), b + batch_size)));
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Doc* x, const Doc* y) { return x->size() < y->size(); });
    for (size_t s = 0; s < batch.size(); s += sub) {
      std::vector<Doc*> part(batch.begin() + long(s),
                             batch.begin() + long(std::min(batch.size(), s + sub)));
      pipe.set_annotations(part, pipe.predict(part));
    }
  }
}

at::Tensor long_tensor(const std::vector<int64_t>& v, int64_t cols) {
  return at::from_blob(const_cast<int64_t*>(v.data()), {int64_t(v.size()) / cols, cols}, at::kLong)
      .clone();
}

int64_t draw_max_moves(int64_t cut) {
  if (cut < 1) return cut;
  const double lo = double(cut / 2), hi = double(cut * 2);
  const int64_t drawn = int64_t(lo + (hi - lo) * at::rand({1}, at::kDouble).item<double>());
  return std::max<int64_t>(drawn, 1);
}

std::pair<at::Tensor, double> log_loss(const at::Tensor& scores, const std::vector<float>& costs,
                                       int64_t A) {
  const int64_t T = scores.size(0);
  std::vector<uint8_t> gold(costs.size(), 0);
  std::vector<float> has(size_t(T), 0.f);
  for (int64_t r = 0; r < T; ++r) {
    const float* c = costs.data() + r * A;
    float threshold = 1.f;
    for (int64_t a = 0; a < A; ++a) threshold = std::min(threshold, c[a]);  // invalid: 9000
    for (int64_t a = 0; a < A; ++a)
      if (c[a] <= threshold) gold[size_t(r * A + a)] = 1, has[size_t(r)] = 1.f;
  }
  at::Tensor not_gold =
      at::from_blob(gold.data(), {T, A}, at::kByte).clone().to(at::kBool).logical_not();
  at::Tensor row = at::from_blob(has.data(), {T}, at::kFloat).clone();
  // Rows without gold get all-zero gold scores (finite) and weight 0.
  at::Tensor gold_scores = scores.masked_fill(not_gold, -std::numeric_limits<float>::infinity())
                               .masked_fill(row.eq(0).unsqueeze(1), 0.f);
  at::Tensor loss = ((at::logsumexp(scores, {1}) - at::logsumexp(gold_scores, {1})) * row).sum();
  at::NoGradGuard no_grad;
  at::Tensor d = (at::softmax(scores, 1) - at::softmax(gold_scores, 1)) * row.unsqueeze(1);
  return {loss, d.pow(2).sum().item<double>()};
}

}  // namespace trfpipe::transition
