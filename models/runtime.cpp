// LibTorch runtime settings for applications and the CLI: the intra-op thread pool size
// (`trfpipe apply --threads`) and the device transformer encoders run on (`--gpu-id`).
#include <sched.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe {

namespace {
// The cores this process may run on (its affinity mask, which containers and taskset narrow).
int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw ValueError("the number of threads must be at least 1, got " + std::to_string(n));
  // More threads than cores only adds contention (and `--threads 100000` started hundreds).
  const int cores = usable_cores();
  if (n > cores) {
    std::cerr << "\u26a0 " << n << " threads requested, but this process can use " << cores
              << " core(s): using " << cores << "\n";
    n = cores;
  }
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
