// LibTorch's intra-op thread pool size, for applications and `trfpipe apply --threads`.
#include <ATen/Parallel.h>

#include "trfpipe/error.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe {

void set_num_threads(int n) {
  if (n < 1) throw ValueError("the number of threads must be at least 1, got " + std::to_string(n));
  at::set_num_threads(n);
}

int get_num_threads() { return at::get_num_threads(); }

}  // namespace trfpipe
