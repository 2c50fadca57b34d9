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
void register_all();
// Threads LibTorch uses inside one operation (matrix products of the encoders). A server running
// several pipelines side by side usually wants 1 each. ValueError when n < 1; more than the cores
// this process may use is capped at that count, with a warning on stderr.
void set_num_threads(int n);
int get_num_threads();

// spaCy's require_gpu(gpu_id) / require_cpu(): the device transformer encoders are put on when
// they are loaded (other components run on the CPU; listener outputs are copied to it). A negative
// id means the CPU. ValueError when this LibTorch has no CUDA or no device gpu_id.
void require_gpu(int gpu_id);
void require_cpu();
std::string current_device();  // "cpu" or "cuda:N"
}  // namespace trfpipe
