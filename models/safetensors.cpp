// safetensors reader and writer (format: see models/safetensors.hpp).
#include "models/safetensors.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstring>
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

SafetensorsContent parse_safetensors(const std::string& bytes, const std::string& source) {
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
  std::string header_text = bytes.substr(8, n);
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
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.type));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), data + e.begin, e.end - e.begin);
    out.tensors[e.name] = t;
  }
  return out;
}

SafetensorsContent read_safetensors(const std::string& path) {
  return parse_safetensors(read_file_bytes(path), path);
}

std::string serialize_safetensors(const TensorMap& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    header["__metadata__"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) header["__metadata__"][k] = v;
  }
  std::vector<at::Tensor> cpu;
  uint64_t offset = 0;
  for (const auto& [name, t0] : tensors) {
    if (name == "__metadata__") throw ValueError("safetensors: '__metadata__' is not a valid tensor name");
    if (!t0.defined()) throw ValueError("safetensors: tensor '" + name + "' is undefined");
    const char* dn = dtype_name(t0.scalar_type());
    if (!dn)
      throw ValueError(std::string("safetensors: tensor '") + name + "' has unsupported dtype " +
                       c10::toString(t0.scalar_type()));
    at::Tensor t = t0.detach().to(at::kCPU).contiguous();
    uint64_t nbytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    nlohmann::ordered_json entry;
    entry["dtype"] = dn;
    entry["shape"] = t.sizes().vec();
    entry["data_offsets"] = {offset, offset + nbytes};
    header[name] = entry;
    offset += nbytes;
    cpu.push_back(t);
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += text;
  for (const auto& t : cpu)
    out.append(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()) * t.element_size());
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::string bytes = serialize_safetensors(tensors, metadata);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw DataError(path, -1, "cannot open the file for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw DataError(path, -1, "cannot write the file");
}

}  // namespace trfpipe::models
