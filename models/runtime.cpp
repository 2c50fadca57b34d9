// LibTorch runtime settings for applications and the CLI: the intra-op thread pool size
// (`trfpipe apply --threads`) and the device transformer encoders run on (`--gpu-id`).
#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe {

void set_num_threads(int n) {
  if (n < 1) throw ValueError("the number of threads must be at least 1, got " + std::to_string(n));
  at::set_num_threads(n);
}

int get_num_threads() { return at::get_num_threads(); }

namespace {
at::Device& chosen_device() {
  static at::Device device(at::kCPU);
  return device;
}
}  // namespace

void require_gpu(int gpu_id) {
  if (gpu_id < 0) return require_cpu();
  if (!at::hasCUDA())
    throw ValueError("GPU " + std::to_string(gpu_id) +
                     " requested, but this LibTorch build has no CUDA support (use -1 for the CPU)");
  const int n = static_cast<int>(at::getNumGPUs());
  if (gpu_id >= n)
    throw ValueError("GPU " + std::to_string(gpu_id) + " requested, but LibTorch sees " +
                     std::to_string(n) + " CUDA device(s)");
  chosen_device() = at::Device(at::kCUDA, static_cast<at::DeviceIndex>(gpu_id));
}

void require_cpu() { chosen_device() = at::Device(at::kCPU); }

std::string current_device() { return chosen_device().str(); }

at::Device encoder_device() { return chosen_device(); }

}  // namespace trfpipe
