// LibTorch's side of the runtime settings (pipeline/torch_runtime.hpp): the intra-op thread pools
// (`trfpipe apply --threads`) and the device transformer encoders run on (`--gpu-id`). Installed
// into the core when this library is loaded.
#include <dlfcn.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "models/fast_linear.hpp"
#include "pipeline/torch_runtime.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace trfpipe {

namespace {

at::Device& chosen_device() {
  static at::Device device(at::kCPU);
  return device;
}

// OpenBLAS runs LibTorch's matrix products on its own thread pool, beside ATen's: one number
// caps both, so that n threads per operation means n cores. Found at run time (the BLAS is
// whichever libblas.so.3 the system selected; other BLAS libraries have no such function).
void set_blas_threads(int n) {
  using SetThreads = void (*)(int);
  static const auto openblas_set_num_threads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (openblas_set_num_threads) openblas_set_num_threads(n);
}

void set_device(int gpu_id) {
  if (gpu_id < 0) {
    chosen_device() = at::Device(at::kCPU);
    return;
  }
  if (!at::hasCUDA())
    throw ValueError("GPU " + std::to_string(gpu_id) +
                     " requested, but this LibTorch build has no CUDA support (use -1 for the CPU)");
  const int n = static_cast<int>(at::getNumGPUs());
  if (gpu_id >= n)
    throw ValueError("GPU " + std::to_string(gpu_id) + " requested, but LibTorch sees " +
                     std::to_string(n) + " CUDA device(s)");
  chosen_device() = at::Device(at::kCUDA, static_cast<at::DeviceIndex>(gpu_id));
}

struct InstallAtLoad {
  InstallAtLoad() {
    pipeline::TorchRuntime r;
    r.set_num_threads = [](int n) {
      at::set_num_threads(n);
      set_blas_threads(n);
    };
    r.get_num_threads = [] { return at::get_num_threads(); };
    r.set_device = set_device;
    r.current_device = [] { return chosen_device().str(); };
    r.gemm_backend = [] { return models::linear_backend(); };
    pipeline::install_torch_runtime(std::move(r));
  }
};
const InstallAtLoad install_at_load;

}  // namespace

at::Device encoder_device() { return chosen_device(); }

}  // namespace trfpipe
