// Registration of thinc's optimizers (Adam.v1, SGD.v1) and schedules (constant.v1,
// compounding.v1, warmup_linear.v1, decaying.v1). The classes are public:
// include/trfpipe/torch/optimizer.hpp.
#pragma once
#include "trfpipe/torch/optimizer.hpp"

namespace trfpipe {
namespace registry {
class Value;
}
namespace models {

// Adds the functions to registry "optimizers" (-> std::shared_ptr<Optimizer>) and "schedules"
// (-> trfpipe::Schedule). Idempotent.
void register_optimizers();

// A "float|Schedule" argument read from resolved registry arguments.
Hyper get_hyper(const registry::Value& args, const std::string& name);

}  // namespace models
}  // namespace trfpipe
