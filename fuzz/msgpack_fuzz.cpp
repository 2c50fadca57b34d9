// msgpack as spaCy's binary formats use it: decode, encode, decode again (the same tree).
#include <cstdlib>

#include "formats/msgpack_lite.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace mp = trfpipe::formats::msgpack;
  mp::Value v;
  try {
    v = mp::decode(trfpipe::fuzz::bytes_of(data, size));
  } catch (const mp::DecodeError&) {
    return 0;
  }
  const std::string again = mp::encode(v);
  // A round trip must be stable (re-encoding can only shrink, so allow the input's budget).
  if (mp::encode(mp::decode(again, size_t{1} << 40)) != again) std::abort();
  return 0;
}
