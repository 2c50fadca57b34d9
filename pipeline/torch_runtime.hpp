// What libtrfpipe.so (LibTorch) lends the core's runtime settings: trfpipe.hpp's set_num_threads,
// require_gpu, ... and transformer.hpp's transformer_doc_json are defined in the core, so that a
// program linking the core alone can call them; libtrfpipe.so installs the LibTorch side when it
// is loaded. Before that, the settings are kept and applied at installation.
#pragma once
#include <functional>
#include <string>

#include "trfpipe/doc.hpp"

namespace trfpipe::pipeline {

struct TorchRuntime {
  std::function<void(int)> set_num_threads;  // LibTorch intra-op threads (and the BLAS pool)
  std::function<int()> get_num_threads;
  std::function<void(int)> set_device;       // -1: the CPU; ValueError when unusable
  std::function<std::string()> current_device;
  std::function<std::string()> gemm_backend;  // models/fast_linear.hpp's linear_backend()
};
void install_torch_runtime(TorchRuntime runtime);

// What inference runs its matrix products and attention on, chosen once when libtrfpipe.so
// loads (loads it to ask): "oneDNN dnnl_sgemm (...)", "ATen ... (TRFPIPE_GEMM=aten)", or why
// there is none. For `trfpipe info` and `trfpipe benchmark speed`.
std::string inference_gemm_backend();

// The keys of transformer_doc_json that LibTorch-held data gives ("trf_data", the 2019
// components' extensions), as an object; empty when the doc has none.
void install_torch_doc_json(std::function<Json(const Doc&)> to_json);

}  // namespace trfpipe::pipeline
