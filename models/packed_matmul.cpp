// Why: dnnl_sgemm (models/fast_linear.cpp) packs the weight into its kernel's layout on every
// call. oneDNN's matmul primitive takes the weight already in its blocked layout and then runs
// its brgemm kernels: over bert-base's twelve layers of cold weights at 128 rows it ran 1.2x
// sgemm's GFLOP/s on one thread and 1.6-2.1x on two (bf16: 1.2x gemm_bf16bf16f32); at 512 rows
// in one call the gain was 1.0-1.2x, so rows go in calls of 128.
// How: the C API of oneDNN 2.x (dnnl.h), found with dlsym in the libraries already loaded like
// dnnl_sgemm, so there is no header and no link dependency. Its descriptors are structs in 2.x
// (dnnl_memory_desc_t is 696 bytes, dnnl_matmul_desc_t 2,800 in 2.6); they live here in larger
// opaque buffers that only oneDNN reads or writes, and the path runs only where dnnl_version()
// says 2.x, whose ABI keeps them. A primitive is made per (type, rows, out, in, bias) the first
// time it is needed (0.1-0.2 ms each; rows are 16, 32, ... 128), per OpenMP team size, and kept for
// the process; every one reads the weight in the layout of the first, which is checked.
#include "models/packed_matmul.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace trfpipe::models {

namespace {

// ---- oneDNN 2.x C API (the names and values of dnnl.h / dnnl_types.h) ----
using Status = int;  // dnnl_success = 0
using Handle = void*;
struct alignas(64) MemoryDesc { unsigned char bytes[2048]; };  // dnnl_memory_desc_t
struct alignas(64) MatmulDesc { unsigned char bytes[8192]; };  // dnnl_matmul_desc_t
struct ExecArg { int arg; Handle memory; };                    // dnnl_exec_arg_t
struct Version { int major, minor, patch; const char* hash; unsigned cpu_runtime, gpu_runtime; };

constexpr int kEngineCpu = 1, kStreamDefaultFlags = 1;
constexpr int kBf16 = 2, kF32 = 3, kS32 = 4, kS8 = 5, kU8 = 6;
constexpr int kTagAny = 1, kTagAb = 3, kTagBa = 22;
constexpr int kQueryImplInfoStr = 8, kQueryWeightsMd = 131, kQueryScratchpadMd = 136;
constexpr int kScratchpadModeUser = 1;
constexpr int kArgSrc = 1, kArgDst = 17, kArgWeights = 33, kArgBias = 41, kArgScratchpad = 80;

struct Api {
  const Version* (*version)() = nullptr;
  Status (*engine_create)(Handle*, int, size_t) = nullptr;
  Status (*stream_create)(Handle*, Handle, unsigned) = nullptr;
  Status (*stream_wait)(Handle) = nullptr;
  Status (*stream_destroy)(Handle) = nullptr;
  Status (*md_init_by_tag)(MemoryDesc*, int, const int64_t*, int, int) = nullptr;
  size_t (*md_get_size)(const MemoryDesc*) = nullptr;
  int (*md_equal)(const MemoryDesc*, const MemoryDesc*) = nullptr;
  Status (*matmul_desc_init)(MatmulDesc*, const MemoryDesc*, const MemoryDesc*, const MemoryDesc*,
                             const MemoryDesc*) = nullptr;
  Status (*reorder_pd_create)(Handle*, const MemoryDesc*, Handle, const MemoryDesc*, Handle, const void*) = nullptr;
  Status (*pd_create)(Handle*, const void*, const void*, Handle, const void*) = nullptr;
  Status (*pd_query)(Handle, int, int, void*) = nullptr;
  const MemoryDesc* (*pd_query_md)(Handle, int, int) = nullptr;
  Status (*pd_destroy)(Handle) = nullptr;
  Status (*primitive_create)(Handle*, Handle) = nullptr;
  Status (*primitive_execute)(Handle, Handle, int, const ExecArg*) = nullptr;
  Status (*primitive_destroy)(Handle) = nullptr;
  Status (*memory_create)(Handle*, const MemoryDesc*, Handle, void*) = nullptr;
  Status (*memory_destroy)(Handle) = nullptr;
  Status (*attr_create)(Handle*) = nullptr;
  Status (*attr_set_scratchpad_mode)(Handle, int) = nullptr;
  Status (*attr_destroy)(Handle) = nullptr;
  Handle engine = nullptr;
  std::string unavailable;  // empty when everything above was found and the engine made
};

template <typename F>
bool bind(F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
  return f != nullptr;
}

const Api& api() {
  static const Api a = [] {
    Api out;
    const char* env = std::getenv("TRFPIPE_GEMM");
    if (env != nullptr && (std::strcmp(env, "aten") == 0 || std::strcmp(env, "sgemm") == 0)) {
      out.unavailable = std::string("TRFPIPE_GEMM=") + env;
      return out;
    }
    if (!bind(out.version, "dnnl_version")) {
      out.unavailable = "no oneDNN C API in this process";
      return out;
    }
    if (out.version()->major != 2) {
      out.unavailable = "oneDNN " + std::to_string(out.version()->major) + ".x, not the 2.x C API";
      return out;
    }
    const bool all =
        bind(out.engine_create, "dnnl_engine_create") && bind(out.stream_create, "dnnl_stream_create") &&
        bind(out.stream_wait, "dnnl_stream_wait") && bind(out.stream_destroy, "dnnl_stream_destroy") &&
        bind(out.md_init_by_tag, "dnnl_memory_desc_init_by_tag") &&
        bind(out.md_get_size, "dnnl_memory_desc_get_size") && bind(out.md_equal, "dnnl_memory_desc_equal") &&
        bind(out.matmul_desc_init, "dnnl_matmul_desc_init") &&
        bind(out.reorder_pd_create, "dnnl_reorder_primitive_desc_create") &&
        bind(out.pd_create, "dnnl_primitive_desc_create") && bind(out.pd_query, "dnnl_primitive_desc_query") &&
        bind(out.pd_query_md, "dnnl_primitive_desc_query_md") && bind(out.pd_destroy, "dnnl_primitive_desc_destroy") &&
        bind(out.primitive_create, "dnnl_primitive_create") &&
        bind(out.primitive_execute, "dnnl_primitive_execute") &&
        bind(out.primitive_destroy, "dnnl_primitive_destroy") && bind(out.memory_create, "dnnl_memory_create") &&
        bind(out.memory_destroy, "dnnl_memory_destroy") && bind(out.attr_create, "dnnl_primitive_attr_create") &&
        bind(out.attr_set_scratchpad_mode, "dnnl_primitive_attr_set_scratchpad_mode") &&
        bind(out.attr_destroy, "dnnl_primitive_attr_destroy");
    if (!all) {
      out.unavailable = "oneDNN's matmul primitive API is incomplete in this process";
      return out;
    }
    if (out.engine_create(&out.engine, kEngineCpu, 0) != 0) out.unavailable = "oneDNN made no CPU engine";
    return out;
  }();
  return a;
}

// The types of a, the weight and y.
struct Types {
  int src, weights, dst;
  size_t src_bytes, dst_bytes;
};
Types types_of(PackedType t) {
  switch (t) {
    case PackedType::BFloat16: return {kBf16, kBf16, kF32, 2, 4};
    case PackedType::Int8: return {kU8, kS8, kS32, 1, 4};
    default: return {kF32, kF32, kF32, 4, 4};
  }
}

MemoryDesc matrix(int64_t rows, int64_t cols, int type, int tag) {
  MemoryDesc md;
  const int64_t dims[2] = {rows, cols};
  if (api().md_init_by_tag(&md, 2, dims, type, tag) != 0) throw std::runtime_error("oneDNN refused a memory descriptor");
  return md;
}

// One stream per thread: a stream is not for concurrent use. (Destroyed when the thread ends.)
Handle thread_stream() {
  struct Stream {
    Handle handle = nullptr;
    ~Stream() {
      if (handle) api().stream_destroy(handle);
    }
  };
  thread_local Stream s;
  if (!s.handle && api().stream_create(&s.handle, api().engine, kStreamDefaultFlags) != 0) s.handle = nullptr;
  return s.handle;
}

// A memory object over caller's data for one execute.
struct Memory {
  Handle handle = nullptr;
  Memory(const MemoryDesc* md, const void* data) {
    if (api().memory_create(&handle, md, api().engine, const_cast<void*>(data)) != 0) handle = nullptr;
  }
  ~Memory() {
    if (handle) api().memory_destroy(handle);
  }
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;
};

// A matmul primitive for [rows, in] x [in, out] (+ bias [1, out]) -> [rows, out] in the types of
// Types, the weight in the layout oneDNN chooses ("any"). Kept for the process (never destroyed: the
// library may be unloaded before static destructors run).
// Its scratchpad is the caller's (user mode): in library mode oneDNN 2.x ties it to the thread
// that made the primitive, and two threads running the primitive at once would share it.
struct Primitive {
  Handle pd = nullptr, primitive = nullptr;
  const MemoryDesc* weights = nullptr;     // its weight layout (owned by pd)
  const MemoryDesc* scratchpad = nullptr;  // (owned by pd)
  size_t scratchpad_bytes = 0;
  MemoryDesc src, dst, bias;
};

// The OpenMP threads a primitive made now would use. oneDNN fixes a primitive's team size when it
// is made, whatever the thread that runs it later is set to (a primitive made during a 1-thread
// warm-up ran on one thread in a 2-thread pipeline), so the size is part of the key.
int openmp_threads() {
  using MaxThreads = int (*)();
  static const auto max_threads = reinterpret_cast<MaxThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  return max_threads ? max_threads() : 1;
}

using Key = std::tuple<int, int64_t, int64_t, int64_t, bool, int>;  // PackedType, rows, out, in, bias, threads
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = std::hash<int64_t>()(std::get<1>(k));
    h = h * 1000003u ^ std::hash<int64_t>()(std::get<2>(k));
    h = h * 1000003u ^ std::hash<int64_t>()(std::get<3>(k));
    h = h * 1000003u ^ static_cast<size_t>(std::get<5>(k));
    return h * 31u + static_cast<size_t>(std::get<0>(k)) * 2u + (std::get<4>(k) ? 1u : 0u);
  }
};

// For the calling thread's OpenMP setting; nullptr where oneDNN cannot make it.
const Primitive* primitive(PackedType type, int64_t rows, int64_t out, int64_t in, bool with_bias) {
  static std::shared_mutex mutex;
  static std::unordered_map<Key, Primitive*, KeyHash> made;
  const Key key{static_cast<int>(type), rows, out, in, with_bias, openmp_threads()};
  {
    std::shared_lock<std::shared_mutex> read(mutex);
    if (auto it = made.find(key); it != made.end()) return it->second;
  }
  std::unique_lock<std::shared_mutex> write(mutex);
  if (auto it = made.find(key); it != made.end()) return it->second;
  const Api& a = api();
  auto p = std::make_unique<Primitive>();
  const Types t = types_of(type);
  p->src = matrix(rows, in, t.src, kTagAb);
  p->dst = matrix(rows, out, t.dst, kTagAb);
  p->bias = matrix(1, out, kF32, kTagAb);
  const MemoryDesc weights_any = matrix(in, out, t.weights, kTagAny);
  auto desc = std::make_unique<MatmulDesc>();
  Primitive* kept = nullptr;
  Handle attr = nullptr;
  if (a.attr_create(&attr) == 0 && a.attr_set_scratchpad_mode(attr, kScratchpadModeUser) == 0 &&
      a.matmul_desc_init(desc.get(), &p->src, &weights_any, with_bias ? &p->bias : nullptr, &p->dst) == 0 &&
      a.pd_create(&p->pd, desc.get(), attr, a.engine, nullptr) == 0) {
    p->weights = a.pd_query_md(p->pd, kQueryWeightsMd, 0);
    p->scratchpad = a.pd_query_md(p->pd, kQueryScratchpadMd, 0);
    p->scratchpad_bytes = p->scratchpad ? a.md_get_size(p->scratchpad) : 0;
    if (p->weights && p->scratchpad && a.primitive_create(&p->primitive, p->pd) == 0) kept = p.release();
  }
  if (attr) a.attr_destroy(attr);
  if (!kept && p->pd) a.pd_destroy(p->pd);
  made.emplace(key, kept);
  return kept;
}

}  // namespace

class PackedMatmulWeight {
 public:
  PackedType type;
  int64_t out = 0, in = 0;
  const Primitive* layout = nullptr;  // the primitive whose weight layout `data` has
  at::Tensor data;                    // the packed bytes
};

// Rows per execute: brgemm at 128 rows was as fast per row as at 512, and faster on two threads.
// A shorter last call runs with its rows rounded up to a multiple of kRowStep: a primitive per row
// count holds its own JIT code (512 of them took 35 MB), and real text gives every count.
constexpr int64_t kRowsPerCall = 128, kRowStep = 16;

const std::string& packed_matmul_unavailable() { return api().unavailable; }

std::string packed_matmul_implementation() {
  if (!api().unavailable.empty()) return "";
  const Primitive* p = primitive(PackedType::Float32, kRowsPerCall, 768, 768, true);
  const char* name = nullptr;
  if (!p || api().pd_query(p->pd, kQueryImplInfoStr, 0, &name) != 0 || name == nullptr) return "";
  return name;
}

std::shared_ptr<const PackedMatmulWeight> pack_matmul_weight(const at::Tensor& weight, PackedType type) {
  const bool int8 = type == PackedType::Int8;
  if (!api().unavailable.empty() || !weight.defined() || weight.dim() != 2 || weight.numel() == 0 ||
      weight.scalar_type() != (int8 ? at::kChar : at::kFloat) || !weight.device().is_cpu())
    return nullptr;
  at::NoGradGuard no_grad;
  const at::Tensor w = weight.contiguous();  // [out, in] row-major: the [in, out] matrix in "ba"
  const int64_t out = w.size(0), in = w.size(1);
  const Primitive* layout = primitive(type, kRowsPerCall, out, in, !int8);
  if (!layout) return nullptr;
  auto packed = std::make_shared<PackedMatmulWeight>();
  packed->type = type;
  packed->out = out;
  packed->in = in;
  packed->layout = layout;
  packed->data = at::empty({static_cast<int64_t>(api().md_get_size(layout->weights))}, at::kByte);
  const Api& a = api();
  const MemoryDesc plain = matrix(in, out, int8 ? kS8 : kF32, kTagBa);  // w as it is, reordered (and rounded)
  Handle reorder_pd = nullptr, reorder = nullptr;
  bool ok = a.reorder_pd_create(&reorder_pd, &plain, a.engine, layout->weights, a.engine, nullptr) == 0 &&
            a.primitive_create(&reorder, reorder_pd) == 0;
  if (ok) {
    Memory from(&plain, w.data_ptr()), to(layout->weights, packed->data.data_ptr());
    const ExecArg args[] = {{kArgSrc, from.handle}, {kArgDst, to.handle}};
    const Handle stream = thread_stream();
    ok = from.handle && to.handle && stream && a.primitive_execute(reorder, stream, 2, args) == 0 &&
         a.stream_wait(stream) == 0;
  }
  if (reorder) a.primitive_destroy(reorder);
  if (reorder_pd) a.pd_destroy(reorder_pd);
  return ok ? packed : nullptr;
}

bool packed_matmul(const PackedMatmulWeight& w, const void* a_data, int64_t m, const float* bias, void* y) {
  const Api& a = api();
  const Types t = types_of(w.type);
  const Handle stream = thread_stream();
  if (!stream) return false;
  Memory weights(w.layout->weights, w.data.data_ptr());
  Memory bias_memory(&w.layout->bias, bias);
  if (!weights.handle || !bias_memory.handle) return false;
  const size_t src_row = static_cast<size_t>(w.in) * t.src_bytes, dst_row = static_cast<size_t>(w.out) * t.dst_bytes;
  // The last call's rows rounded up, its rows copied in and out, and oneDNN's scratchpad
  // (thread_local: kept between calls).
  thread_local std::vector<unsigned char> padded_src, padded_dst;
  thread_local std::unique_ptr<unsigned char[], void (*)(void*)> scratch{nullptr, std::free};
  thread_local size_t scratch_bytes = 0;
  for (int64_t r = 0; r < m; r += kRowsPerCall) {
    const int64_t rows = std::min(kRowsPerCall, m - r);
    const int64_t run_rows = (rows + kRowStep - 1) / kRowStep * kRowStep;
    const Primitive* p = primitive(w.type, run_rows, w.out, w.in, bias != nullptr);
    if (!p || !a.md_equal(p->weights, w.layout->weights)) return false;
    const auto* src = static_cast<const unsigned char*>(a_data) + static_cast<size_t>(r) * src_row;
    auto* dst = static_cast<unsigned char*>(y) + static_cast<size_t>(r) * dst_row;
    if (run_rows != rows) {
      padded_src.assign(static_cast<size_t>(run_rows) * src_row, 0);  // zero rows: no NaN from garbage
      std::memcpy(padded_src.data(), src, static_cast<size_t>(rows) * src_row);
      padded_dst.resize(static_cast<size_t>(run_rows) * dst_row);
      src = padded_src.data();
    }
    if (p->scratchpad_bytes > scratch_bytes) {
      scratch.reset(static_cast<unsigned char*>(std::aligned_alloc(64, (p->scratchpad_bytes + 63) / 64 * 64)));
      scratch_bytes = scratch ? p->scratchpad_bytes : 0;
      if (!scratch) return false;
    }
    Memory s(&p->src, src), d(&p->dst, run_rows != rows ? padded_dst.data() : dst),
        pad(p->scratchpad, scratch.get());
    if (!s.handle || !d.handle || !pad.handle) return false;
    const ExecArg args[] = {{kArgSrc, s.handle}, {kArgWeights, weights.handle}, {kArgDst, d.handle},
                            {kArgScratchpad, pad.handle}, {kArgBias, bias_memory.handle}};
    if (a.primitive_execute(p->primitive, stream, bias ? 5 : 4, args) != 0) return false;
    if (run_rows != rows) {
      if (a.stream_wait(stream) != 0) return false;
      std::memcpy(dst, padded_dst.data(), static_cast<size_t>(rows) * dst_row);
    }
  }
  return a.stream_wait(stream) == 0;
}

int64_t packed_out(const PackedMatmulWeight& w) { return w.out; }
int64_t packed_in(const PackedMatmulWeight& w) { return w.in; }
PackedType packed_type(const PackedMatmulWeight& w) { return w.type; }
size_t packed_bytes(const PackedMatmulWeight& w) { return static_cast<size_t>(w.data.nbytes()); }

}  // namespace trfpipe::models
