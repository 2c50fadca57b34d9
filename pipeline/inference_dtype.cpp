// The process-wide inference dtype of transformer encoders (trfpipe/inference_dtype.hpp).
#include "trfpipe/inference_dtype.hpp"

#include <atomic>

#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {
std::atomic<InferenceDtype> required{InferenceDtype::Fp32};
}  // namespace

InferenceDtype parse_inference_dtype(const std::string& name, const std::string& where) {
  for (InferenceDtype d : {InferenceDtype::Fp32, InferenceDtype::Bf16, InferenceDtype::Int8})
    if (name == inference_dtype_name(d)) return d;
  throw ValueError(where + " must be one of fp32, bf16, int8, got '" + name + "'");
}

const char* inference_dtype_name(InferenceDtype dtype) {
  switch (dtype) {
    case InferenceDtype::Bf16: return "bf16";
    case InferenceDtype::Int8: return "int8";
    case InferenceDtype::Fp32: break;
  }
  return "fp32";
}

void require_inference_dtype(InferenceDtype dtype) { required = dtype; }
InferenceDtype required_inference_dtype() { return required; }

}  // namespace trfpipe
