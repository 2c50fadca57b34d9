// The comparison of the Hugging Face parity fixtures (tests/models/fixtures/NAME/expected.safetensors)
// with trfpipe's outputs, shared by HFParity (the encoder in process) and the `trfpipe debug
// encode` CLI test: every tensor HF wrote must be there with the same shape and lie within
// 1e-5 + 1e-5 * max|expected| (fp32); padded positions, and the attention rows of padded queries,
// are not compared.
#pragma once
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace trfpipe::testing {

// [rows, cols] int64 from the fixture's inputs.json field ("input_ids", …); undefined if absent.
inline at::Tensor fixture_input(const nlohmann::ordered_json& inputs, const char* key) {
  if (!inputs.contains(key)) return {};
  const auto& rows = inputs[key];
  std::vector<int64_t> flat;
  for (auto& r : rows)
    for (auto& v : r) flat.push_back(v.get<int64_t>());
  return at::tensor(flat, at::kLong).view({static_cast<int64_t>(rows.size()), -1});
}

// Returns the largest difference seen; records a test failure for each tensor out of bounds.
inline double expect_hf_parity(const std::map<std::string, at::Tensor>& expected,
                               const std::map<std::string, at::Tensor>& got, const at::Tensor& input_ids,
                               const at::Tensor& attention_mask) {
  double worst = 0;
  const at::Tensor mask = attention_mask.defined() ? attention_mask.to(at::kBool)
                                                   : at::ones_like(input_ids).to(at::kBool);
  for (const auto& [name, want_any] : expected) {
    SCOPED_TRACE(name);
    auto it = got.find(name);
    if (it == got.end()) {
      ADD_FAILURE() << "missing output " << name;
      continue;
    }
    const at::Tensor want = want_any.to(at::kFloat);
    const at::Tensor out = it->second.to(at::kFloat);
    if (out.sizes() != want.sizes()) {
      ADD_FAILURE() << "shape " << out.sizes() << " != expected " << want.sizes();
      continue;
    }
    at::Tensor g = out, w = want;
    if (out.dim() == 3) {  // padded positions are not compared
      g = out.index({mask});
      w = want.index({mask});
    } else if (out.dim() == 4) {  // attentions: rows of padded query positions are not compared
      g = out.transpose(1, 2).index({mask});
      w = want.transpose(1, 2).index({mask});
    }
    const double diff = (g - w).abs().max().item<double>();
    worst = std::max(worst, diff);
    EXPECT_LT(diff, 1e-5 + 1e-5 * w.abs().max().item<double>());
  }
  // Every layer HF gave, no more and no fewer.
  for (const char* kind : {"hidden_states.", "attentions."}) {
    size_t n_want = 0, n_got = 0;
    for (const auto& [k, t] : expected) n_want += k.rfind(kind, 0) == 0;
    for (const auto& [k, t] : got) n_got += k.rfind(kind, 0) == 0;
    EXPECT_EQ(n_got, n_want) << kind;
  }
  return worst;
}

}  // namespace trfpipe::testing
