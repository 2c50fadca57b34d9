// Umbrella header for applications: load a pipeline and run it.
//   auto nlp = trfpipe::Language::load("my_pipeline");
//   trfpipe::Doc doc = (*nlp)("Some text.");
#pragma once
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/example.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/morphology.hpp"
#include "trfpipe/strings.hpp"
#include "trfpipe/vocab.hpp"

namespace trfpipe {
// Registers every built-in factory, architecture, layer, reader, ... (idempotent). libtrfpipe.so
// calls it when loaded, so applications need not; tests of a single area call their area's own.
// Defined in libtrfpipe.so (trfpipe::trfpipe); a program linking trfpipe::core alone finds the
// built-in components without it (registry::load_torch_library).
void register_all();
// Threads LibTorch uses inside one operation: ATen's intra-op pool and OpenBLAS's pool for the
// matrix products, both capped at n. A program running several batches at once
// (Language::pipe with n_threads > 1, `trfpipe serve`) wants n × batches in flight ≤ cores.
// ValueError when n < 1; more than the cores this process may use is capped at that count, with
// a warning on stderr. Kept and applied when LibTorch is loaded later; get_num_threads() loads
// it when nothing was set, to report its default.
void set_num_threads(int n);
int get_num_threads();

// spaCy's require_gpu(gpu_id) / require_cpu(): the device transformer encoders are put on when
// they are loaded (other components run on the CPU; listener outputs are copied to it). A negative
// id means the CPU. ValueError when this LibTorch has no CUDA or no device gpu_id.
void require_gpu(int gpu_id);
void require_cpu();
std::string current_device();  // "cpu" or "cuda:N"
}  // namespace trfpipe
