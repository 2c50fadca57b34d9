// The core's side of the runtime settings that reach LibTorch (pipeline/torch_runtime.hpp).
#include "pipeline/torch_runtime.hpp"

#include <sched.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/transformer.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe {

namespace {

struct Runtime {
  std::mutex mutex;
  std::optional<pipeline::TorchRuntime> torch;
  int threads = 0;  // set_num_threads before LibTorch was loaded (0 = not set)
  std::function<Json(const Doc&)> torch_doc_json;
};

Runtime& runtime() {
  static Runtime r;
  return r;
}

// The cores this process may run on (its affinity mask, which containers and taskset narrow).
int usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

namespace pipeline {

void install_torch_runtime(TorchRuntime torch) {
  Runtime& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.threads > 0) torch.set_num_threads(r.threads);
  r.torch = std::move(torch);
}

void install_torch_doc_json(std::function<Json(const Doc&)> to_json) {
  Runtime& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.torch_doc_json = std::move(to_json);
}

std::string inference_gemm_backend() {
  registry::load_torch_library();
  Runtime& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!r.torch || !r.torch->gemm_backend) return "none: LibTorch is not loaded" + registry::torch_library_note();
  return r.torch->gemm_backend();
}

}  // namespace pipeline

void set_num_threads(int n) {
  if (n < 1) throw ValueError("the number of threads must be at least 1, got " + std::to_string(n));
  // More threads than cores only adds contention (and `--threads 100000` started hundreds).
  const int cores = usable_cores();
  if (n > cores) {
    std::cerr << "\u26a0 " << n << " threads requested, but this process can use " << cores
              << " core(s): using " << cores << "\n";
    n = cores;
  }
  Runtime& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.threads = n;
  if (r.torch) r.torch->set_num_threads(n);
}

int get_num_threads() {
  Runtime& r = runtime();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (r.torch) return r.torch->get_num_threads();
    if (r.threads > 0) return r.threads;
  }
  // What LibTorch would use: ask it.
  registry::load_torch_library();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.torch) return r.torch->get_num_threads();
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

void require_gpu(int gpu_id) {
  if (gpu_id < 0) return require_cpu();
  registry::load_torch_library();  // a GPU is LibTorch's to check
  Runtime& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!r.torch)
    throw ValueError("GPU " + std::to_string(gpu_id) +
                     " requested, but the LibTorch library is not available" +
                     registry::torch_library_note());
  r.torch->set_device(gpu_id);
}

void require_cpu() {
  Runtime& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.torch) r.torch->set_device(-1);  // before LibTorch is loaded, the CPU is the device
}

std::string current_device() {
  Runtime& r = runtime();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.torch ? r.torch->current_device() : "cpu";
}

Json transformer_doc_json(const Doc& doc) {
  Json out = Json::object();
  const Matrix& m = doc.tensor();
  if (!m.empty()) {
    Json rows = Json::array();
    for (int64_t i = 0; i < m.rows; ++i) rows.push_back(std::vector<float>(m.row(i), m.row(i) + m.cols));
    out["tensor"] = {{"shape", {m.rows, m.cols}}, {"rows", std::move(rows)}};
  }
  std::function<Json(const Doc&)> torch_doc_json;
  {
    Runtime& r = runtime();
    std::lock_guard<std::mutex> lock(r.mutex);
    torch_doc_json = r.torch_doc_json;  // none: LibTorch is not loaded, so no doc holds tensors
  }
  if (torch_doc_json) {
    const Json more = torch_doc_json(doc);
    for (auto it = more.begin(); it != more.end(); ++it) out[it.key()] = it.value();
  }
  return out;
}

}  // namespace trfpipe
