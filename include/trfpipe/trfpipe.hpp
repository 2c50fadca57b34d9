// Umbrella header for applications: load a pipeline and run it.
//   auto nlp = trfpipe::Language::load("my_pipeline");
//   trfpipe::Doc doc = (*nlp)("Some text.");
#pragma once
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/example.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/strings.hpp"
#include "trfpipe/vocab.hpp"

namespace trfpipe {
// Registers every built-in factory, architecture, layer, reader, ... (idempotent). libtrfpipe.so
// calls it when loaded, so applications need not; tests of a single area call their area's own.
void register_all();
}  // namespace trfpipe
