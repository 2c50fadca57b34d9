// Row helpers shared by the models that consume a Tok2VecModel.
#include "components/common/tok2vec_model.hpp"

#include <ATen/ATen.h>

namespace trfpipe {

std::vector<int64_t> doc_lengths(const std::vector<Doc*>& docs) {
  std::vector<int64_t> lengths;
  for (const Doc* d : docs) lengths.push_back(int64_t(d->size()));
  return lengths;
}

std::vector<at::Tensor> split_rows(const at::Tensor& X, const std::vector<int64_t>& lengths) {
  std::vector<at::Tensor> out;
  int64_t start = 0;
  for (int64_t len : lengths) {
    out.push_back(X.narrow(0, start, len));
    start += len;
  }
  return out;
}

at::Tensor cat_rows(const std::vector<at::Tensor>& Xs, int64_t width) {
  if (Xs.empty()) return at::zeros({0, width}, at::kFloat);
  return at::cat(Xs, 0);
}

}  // namespace trfpipe
