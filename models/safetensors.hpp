// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes
// of JSON `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"k": "v"}}`, then the tensor bytes (offsets relative to the end of the header),
// packed without gaps. And `pytorch_model.bin` (torch.save zip format) via torch's unpickler.
#pragma once
#include <map>
#include <string>

#include "pipeline/file_io.hpp"  // read_file_bytes

#include <ATen/core/Tensor.h>

namespace trfpipe::models {

using TensorMap = std::map<std::string, at::Tensor>;

struct SafetensorsContent {
  TensorMap tensors;                            // CPU, contiguous, in the stored dtype
  std::map<std::string, std::string> metadata;  // "__metadata__" (string values)
};

// Parses safetensors bytes. `source` names the file (or blob) in errors: a DataError states what
// is wrong (truncated, bad header JSON, unknown dtype, offsets out of range / overlapping / not
// covering the data, size not matching the shape).
SafetensorsContent parse_safetensors(const std::string& bytes, const std::string& source);
// Reads a file by mapping it (mmap, MAP_PRIVATE) instead of copying it: each tensor whose bytes
// are aligned for its dtype (all of them in files written by the reference writer or ours) is a
// view of the mapping, which stays mapped while any such tensor lives; a write to one copies the
// page, never the file. Loading a model this way costs no copy and no anonymous memory for its
// weights (the page cache holds them, shared by every process that maps the file). The header is
// checked against the file's size as opened, as parse_safetensors does; a file truncated in place
// later, while a model still maps it, faults at the next access (SIGBUS) as with every mapped
// loader, so trfpipe replaces files by rename (write_safetensors). TRFPIPE_MMAP=0 reads and copies.
SafetensorsContent read_safetensors(const std::string& path);
// Whether a tensor is such a view of a mapped file (tests, load reports).
bool is_file_mapped(const at::Tensor& t);
// Asks the kernel to take the resident pages of a file-mapped tensor out of this process
// (MADV_PAGEOUT: the whole pages inside its bytes; a page a write has copied stays, nothing is
// lost, and a later read maps the file's page again). For a weight that a packed copy replaces at
// inference (models/reduced_precision.cpp), so that the two are not both resident. False where
// nothing was asked (not mapped, smaller than a page, or the kernel refused).
bool release_mapped_pages(const at::Tensor& t);
// Puts a loaded weight into a module's parameter or buffer: a file-mapped value with the target's
// dtype and shape, for a CPU target that is alone on its storage (not a view, not tied), becomes
// the target's data (set_data: no copy); anything else is copied into it (converted to its dtype,
// moved to its device).
void assign_weight(const at::Tensor& target, const at::Tensor& value);

// Serialises tensors (any device; written as CPU little-endian) with optional metadata. Names are
// written sorted; the header is padded with spaces to a multiple of 8 bytes, as the reference
// writer does. Throws ValueError for a dtype safetensors cannot hold.
std::string serialize_safetensors(const TensorMap& tensors,
                                  const std::map<std::string, std::string>& metadata = {});
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Reads a torch.save zip archive (`pytorch_model.bin`) holding a dict of tensors. A DataError
// names the file when it is not such an archive (e.g. the pre-1.6 legacy format) or holds
// something other than name -> tensor.
TensorMap read_torch_bin(const std::string& path);
// The same from the archive's bytes; `source` names them in errors. Records must be stored
// uncompressed inside the bytes (torch.save writes them so), and no tensor is larger than its
// record: what a hostile archive declares cannot make this allocate more than it holds.
TensorMap parse_torch_bin(const std::string& bytes, const std::string& source);
// Writes a dict of tensors as torch.save would (zip format); used by tests and converters.
void write_torch_bin(const std::string& path, const TensorMap& tensors);


}  // namespace trfpipe::models
