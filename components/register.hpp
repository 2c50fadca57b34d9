// Registration of every factory in components/ (one call per component family). Idempotent.
#pragma once

namespace trfpipe {

void register_components();

}  // namespace trfpipe
