// Registration of every factory in components/ (one call per component family). Idempotent.
#pragma once

namespace trfpipe {

// The components of libtrfpipe_core.so (no LibTorch): sentencizer, rule-based components.
void register_core_components();
// Every component: the core ones and those of libtrfpipe.so (LibTorch).
void register_components();

}  // namespace trfpipe
