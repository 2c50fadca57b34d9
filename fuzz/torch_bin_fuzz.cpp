// pytorch_model.bin (torch.save zip). An input that starts with "PK" is the whole archive (the zip
// reader); anything else is data.pkl, packed by the harness into an archive with four small
// storages (data/0 .. data/3) so that mutations reach the unpickler instead of breaking the zip.
#include <caffe2/serialize/inline_container.h>

#include "fuzz/fuzz_common.hpp"
#include "models/safetensors.hpp"

namespace {

std::string archive_with(std::string_view pkl) {
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* buf, size_t n) -> size_t {
    out.append(static_cast<const char*>(buf), n);
    return n;
  });
  writer.writeRecord("data.pkl", pkl.data(), pkl.size());
  static const std::string storage(96, '\x01');
  for (const char* name : {"data/0", "data/1", "data/2", "data/3"})
    writer.writeRecord(name, storage.data(), storage.size());
  writer.writeRecord("byteorder", "little", 6);
  writer.writeEndOfFile();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trfpipe;
  std::string_view in = fuzz::bytes_of(data, size);
  const std::string bytes = in.substr(0, 2) == "PK" ? std::string(in) : archive_with(in);
  fuzz::expect_clean([&] {
    for (auto& [name, t] : models::parse_torch_bin(bytes, "<fuzz>/pytorch_model.bin")) t.contiguous();
  });
  return 0;
}
