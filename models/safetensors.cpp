// safetensors reader and writer (format: see models/safetensors.hpp).
#include "models/safetensors.hpp"

#include <ATen/ATen.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"

namespace trfpipe::models {
namespace {

constexpr uint64_t kMaxHeader = 100ull * 1000 * 1000;  // the reference library's limit

struct DtypeName {
  const char* name;
  at::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F64", at::kDouble}, {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16},
    {"I64", at::kLong},   {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},
    {"U8", at::kByte},    {"BOOL", at::kBool},
};

bool dtype_from_name(const std::string& s, at::ScalarType* out) {
  for (const auto& d : kDtypes)
    if (s == d.name) {
      *out = d.type;
      return true;
    }
  return false;
}

const char* dtype_name(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  return nullptr;
}

struct Entry {
  std::string name;
  at::ScalarType type;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

}  // namespace

namespace {

// A read-only view of a whole file, mapped MAP_PRIVATE: tensors made from it keep it alive (their
// deleters hold it), and a write to one copies that page, never the file.
struct FileMapping {
  void* data = nullptr;
  size_t size = 0;
  ~FileMapping() {
    if (data != nullptr) munmap(data, size);
  }
};

// The deleter of a mapped tensor's storage: drops its share of the mapping. Also how
// is_file_mapped recognises such storage.
void release_mapping(void* keep) { delete static_cast<std::shared_ptr<FileMapping>*>(keep); }

// The parser over any bytes. With `mapping` (the bytes are its pages), tensors whose data is
// aligned for their dtype are views of it; everything else is copied.
SafetensorsContent parse_bytes(std::string_view bytes, const std::string& source,
                               const std::shared_ptr<FileMapping>& mapping) {
  auto fail = [&](const std::string& what) -> DataError {
    return DataError(source, -1, "invalid safetensors data: " + what);
  };
  if (bytes.size() < 8)
    throw fail("truncated: " + std::to_string(bytes.size()) + " bytes, need at least the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  if (n > kMaxHeader) throw fail("header length " + std::to_string(n) + " exceeds the 100 MB limit");
  if (n > bytes.size() - 8)
    throw fail("truncated: header length " + std::to_string(n) + " but only " +
               std::to_string(bytes.size() - 8) + " bytes follow");
  std::string header_text(bytes.substr(8, n));
  if (header_text.empty() || header_text[0] != '{') throw fail("header does not start with '{'");
  nlohmann::json header;
  try {
    header = parse_json_limited<nlohmann::json>(header_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw fail("header is not a JSON object");
  const uint64_t data_size = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;

  SafetensorsContent out;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) throw fail("__metadata__ value of '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto where = "tensor '" + name + "': ";
    if (!v.is_object()) throw fail(where + "entry is not an object");
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) throw fail(where + "missing 'dtype'");
    if (sh == v.end() || !sh->is_array()) throw fail(where + "missing 'shape'");
    if (off == v.end() || !off->is_array() || off->size() != 2)
      throw fail(where + "'data_offsets' must be [begin, end]");
    Entry e;
    e.name = name;
    if (!dtype_from_name(dt->get<std::string>(), &e.type))
      throw fail(where + "unsupported dtype '" + dt->get<std::string>() + "'");
    uint64_t numel = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) throw fail(where + "shape entries must be non-negative integers");
      uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && numel > (uint64_t(1) << 62) / dim) throw fail(where + "shape is too large");
      numel *= dim;
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    if (numel > data_size) throw fail(where + "shape holds more elements than the data section has bytes");
    if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      throw fail(where + "data_offsets must be non-negative integers");
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.end < e.begin) throw fail(where + "data_offsets end before they begin");
    if (e.end > data_size)
      throw fail(where + "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                 "] out of range: the data section has " + std::to_string(data_size) +
                 " bytes (file truncated?)");
    uint64_t expect = numel * at::elementSize(e.type);
    if (e.end - e.begin != expect)
      throw fail(where + "holds " + std::to_string(e.end - e.begin) + " bytes but shape and dtype need " +
                 std::to_string(expect));
    entries.push_back(std::move(e));
  }
  // The tensors must tile the data section: no gaps, no overlaps (as the reference validates).
  std::vector<const Entry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  for (const Entry* e : sorted) {
    if (e->begin != pos)
      throw fail("tensor '" + e->name + "' starts at byte " + std::to_string(e->begin) + ", expected " +
                 std::to_string(pos) + " (overlapping or gapped data_offsets)");
    pos = e->end;
  }
  if (pos != data_size)
    throw fail("the tensors cover " + std::to_string(pos) + " bytes of a " + std::to_string(data_size) +
               "-byte data section");
  for (const auto& e : entries) {
    const char* at = data + e.begin;
    const bool aligned = reinterpret_cast<uintptr_t>(at) % at::elementSize(e.type) == 0;
    if (mapping && aligned && e.end > e.begin) {
      auto keep = std::make_unique<std::shared_ptr<FileMapping>>(mapping);
      out.tensors[e.name] = at::for_blob(const_cast<char*>(at), e.shape)
                                .context(keep.get(), release_mapping)
                                .options(at::TensorOptions().dtype(e.type))
                                .make_tensor();
      keep.release();  // now the tensor's storage owns it
      continue;
    }
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.type));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), at, e.end - e.begin);
    out.tensors[e.name] = t;
  }
  return out;
}

bool mmap_enabled() {
  static const bool on = [] {
    const char* env = std::getenv("TRFPIPE_MMAP");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }();
  return on;
}

}  // namespace

SafetensorsContent parse_safetensors(const std::string& bytes, const std::string& source) {
  return parse_bytes(bytes, source, nullptr);
}

SafetensorsContent read_safetensors(const std::string& path) {
  if (!mmap_enabled()) return parse_safetensors(read_file_bytes(path), path);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
    return parse_safetensors(read_file_bytes(path), path);  // its errors, or a pipe's bytes
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(path, -1, "cannot open the file");
  // The size of the file as opened (fstat), not as named: the mapping covers exactly that.
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw DataError(path, -1, "cannot read the file");
  }
  auto mapping = std::make_shared<FileMapping>();
  mapping->size = static_cast<size_t>(st.st_size);
  void* data = mapping->size > 0 ? ::mmap(nullptr, mapping->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
                                 : MAP_FAILED;
  ::close(fd);
  if (data == MAP_FAILED) return parse_safetensors(read_file_bytes(path), path);
  mapping->data = data;
  return parse_bytes(std::string_view(static_cast<const char*>(data), mapping->size), path, mapping);
}

void assign_weight(const at::Tensor& target, const at::Tensor& value) {
  // Only a tensor that is alone on its storage: a view, or a weight tied to another tensor through
  // shared storage, must keep that storage (set_data would untie it), so it gets a copy.
  const bool alone = !target.is_view() && target.storage_offset() == 0 && target.storage().use_count() == 1 &&
                     target.storage().nbytes() == target.nbytes();
  if (alone && is_file_mapped(value) && value.scalar_type() == target.scalar_type() && target.device().is_cpu() &&
      value.sizes() == target.sizes() && value.is_contiguous()) {
    target.set_data(value);
    return;
  }
  at::Tensor(target).copy_(value);
}

bool is_file_mapped(const at::Tensor& t) {
  return t.defined() && t.has_storage() && t.storage().data_ptr().get_deleter() == &release_mapping;
}

bool release_mapped_pages(const at::Tensor& t) {
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21  // Linux 5.4; glibc's header may predate it
#endif
  if (!is_file_mapped(t)) return false;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(t.data_ptr());
  const uintptr_t first = (begin + page - 1) / page * page, end = (begin + t.nbytes()) / page * page;
  return end > first && ::madvise(reinterpret_cast<void*>(first), end - first, MADV_PAGEOUT) == 0;
}

std::string serialize_safetensors(const TensorMap& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    header["__metadata__"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) header["__metadata__"][k] = v;
  }
  std::vector<std::pair<const std::string*, at::Tensor>> cpu;  // in the order of the data
  for (const auto& [name, t0] : tensors) {
    if (name == "__metadata__") throw ValueError("safetensors: '__metadata__' is not a valid tensor name");
    if (!t0.defined()) throw ValueError("safetensors: tensor '" + name + "' is undefined");
    if (!dtype_name(t0.scalar_type()))
      throw ValueError(std::string("safetensors: tensor '") + name + "' has unsupported dtype " +
                       c10::toString(t0.scalar_type()));
    cpu.emplace_back(&name, t0.detach().to(at::kCPU).contiguous());
  }
  // The data by element size, largest first (then by name), as the reference writer places it:
  // every tensor starts aligned for its dtype, so read_safetensors can map it in place.
  std::stable_sort(cpu.begin(), cpu.end(), [](const auto& a, const auto& b) {
    return a.second.element_size() > b.second.element_size();
  });
  std::map<std::string, std::pair<uint64_t, uint64_t>> offsets;
  uint64_t offset = 0;
  for (const auto& [name, t] : cpu) {
    const uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    offsets[*name] = {offset, offset + nbytes};
    offset += nbytes;
  }
  for (const auto& [name, t] : tensors) {  // the header in name order
    nlohmann::ordered_json entry;
    entry["dtype"] = dtype_name(t.scalar_type());
    entry["shape"] = t.sizes().vec();
    entry["data_offsets"] = {offsets[name].first, offsets[name].second};
    header[name] = entry;
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += text;
  for (const auto& [name, t] : cpu)
    out.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * t.element_size());
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::string bytes = serialize_safetensors(tensors, metadata);
  // A new file renamed over the old one, never the old one truncated: models loaded from it map
  // its pages (read_safetensors), and keep the old file's until they are freed.
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError(path, -1, "cannot open the file for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      throw DataError(path, -1, "cannot write the file");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw DataError(path, -1, "cannot write the file");
  }
}

}  // namespace trfpipe::models
