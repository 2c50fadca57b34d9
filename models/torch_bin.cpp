// pytorch_model.bin (torch.save zip format) reading with a small pickle interpreter, and writing
// via torch::jit::pickle_save. The zip records are located here too (bounded by the file; see
// ZipRecords) instead of with PyTorchStreamReader. torch's own pickle_load cannot read Hugging Face state dicts:
// it turns collections.OrderedDict into None and rejects BUILD on dicts (the `_metadata`
// attribute), so the subset of pickle that torch.save emits for tensor dicts is interpreted here.
#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "models/safetensors.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::models {
namespace {

[[noreturn]] void bad_archive(const std::string& path, const std::string& what) {
  throw DataError(path, -1, "cannot read the torch.save archive: " + what);
}

uint64_t le(const char* p, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | uint8_t(p[k]);
  return v;
}

// The records of a torch.save zip archive, read from the central directory of the bytes in memory.
// torch.save stores records uncompressed, so every record must lie inside the file: a declared
// size can never make us allocate more than the file holds (PyTorchStreamReader allocates the
// size the header claims before reading).
class ZipRecords {
 public:
  ZipRecords(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {
    const size_t n = bytes.size();
    constexpr size_t kEocd = 22;
    if (n < kEocd) fail("no zip end-of-central-directory record");
    size_t eocd = std::string::npos;
    const size_t lowest = n > kEocd + 0xFFFF ? n - kEocd - 0xFFFF : 0;
    for (size_t p = n - kEocd + 1; p-- > lowest;)
      if (le(bytes.data() + p, 4) == 0x06054b50) {
        eocd = p;
        break;
      }
    if (eocd == std::string::npos) fail("no zip end-of-central-directory record");
    const char* e = bytes.data() + eocd;
    uint64_t count = le(e + 10, 2), cd_size = le(e + 12, 4), cd_offset = le(e + 16, 4);
    if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {  // zip64
      if (eocd < 20 || le(e - 20, 4) != 0x07064b50) fail("zip64 locator missing");
      uint64_t z = le(e - 20 + 8, 8);
      if (z > n || n - z < 56 || le(bytes.data() + z, 4) != 0x06064b50) fail("zip64 end record out of range");
      count = le(bytes.data() + z + 32, 8);
      cd_size = le(bytes.data() + z + 40, 8);
      cd_offset = le(bytes.data() + z + 48, 8);
    }
    if (cd_offset > n || cd_size > n - cd_offset) fail("central directory out of range");
    if (count > cd_size / 46) fail("central directory holds fewer entries than it declares");
    size_t p = cd_offset;
    const size_t cd_end = cd_offset + cd_size;
    for (uint64_t k = 0; k < count; ++k) {
      if (cd_end - p < 46 || le(bytes.data() + p, 4) != 0x02014b50) fail("malformed central directory");
      const char* h = bytes.data() + p;
      const uint64_t flags = le(h + 8, 2), method = le(h + 10, 2), name_len = le(h + 28, 2),
                     extra_len = le(h + 30, 2), comment_len = le(h + 32, 2);
      uint64_t comp = le(h + 20, 4), size = le(h + 24, 4), local = le(h + 42, 4);
      if (cd_end - p - 46 < name_len + extra_len + comment_len) fail("malformed central directory");
      std::string name(h + 46, name_len);
      // Zip64 extended information: the 64-bit values of the fields that read 0xFFFFFFFF.
      for (const char *x = h + 46 + name_len, *xe = x + extra_len; xe - x >= 4;) {
        uint64_t id = le(x, 2), len = le(x + 2, 2);
        if (uint64_t(xe - x - 4) < len) break;
        if (id == 1) {
          const char* v = x + 4;
          uint64_t left = len;
          for (uint64_t* field : {&size, &comp, &local}) {
            if (*field != 0xFFFFFFFF) continue;
            if (left < 8) fail("malformed zip64 field of '" + name + "'");
            *field = le(v, 8);
            v += 8;
            left -= 8;
          }
        }
        x += 4 + len;
      }
      p += 46 + name_len + extra_len + comment_len;
      if (flags & 1) fail("record '" + name + "' is encrypted");
      if (method != 0)
        fail("record '" + name + "' is compressed (torch.save stores records uncompressed)");
      if (comp != size) fail("record '" + name + "' has different stored and original sizes");
      if (local > n || n - local < 30 || le(bytes.data() + local, 4) != 0x04034b50)
        fail("local header of '" + name + "' out of range");
      uint64_t data = local + 30 + le(bytes.data() + local + 26, 2) + le(bytes.data() + local + 28, 2);
      if (data > n || size > n - data)
        fail("record '" + name + "' (" + std::to_string(size) + " bytes) extends past the end of the file");
      records_[name] = {size_t(data), size_t(size)};
    }
  }

  // The record `name` under the archive's top folder (torch.save names it after the file).
  bool find(const std::string& prefix, const std::string& name, std::string_view* out) const {
    auto it = records_.find(prefix + name);
    if (it == records_.end()) return false;
    *out = std::string_view(bytes_.data() + it->second.first, it->second.second);
    return true;
  }

  // The top folder of the archive: the one holding data.pkl.
  std::string prefix() const {
    for (const auto& [name, where] : records_) {
      const std::string suffix = "/data.pkl";
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          name.find('/') == name.size() - suffix.size())
        return name.substr(0, name.size() - suffix.size() + 1);
    }
    if (records_.count("data.pkl")) return "";
    fail("torch.save archive lacks data.pkl");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { bad_archive(path_, what); }
  const std::string& bytes_;
  const std::string& path_;
  std::map<std::string, std::pair<size_t, size_t>> records_;  // name -> data offset, size
};

// A pickled object. Objects live in the unpickler's arena and refer to each other by pointer, so a
// pickle that makes a container hold itself (memo tricks) or nests 100k tuples is freed without
// recursion and without leaking reference cycles.
struct Obj {
  enum Kind : uint8_t { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Tensor } kind = None;
  union {
    int64_t i = 0;
    double f;
  };
  std::string s;            // string, or "module.name" of a global
  std::vector<Obj*> items;  // tuple / list items; a dict's keys and values alternating
  at::Tensor tensor;
};

class Unpickler {
 public:
  Unpickler(std::string_view data, const ZipRecords& records, std::string prefix, std::string source)
      : p_(data.data()),
        end_(data.data() + data.size()),
        // Every opcode makes at most one object and torch.save spends several bytes per object;
        // anything denser is not a state dict and could only inflate memory.
        max_objects_(4096 + data.size() / 2),
        records_(records),
        prefix_(std::move(prefix)),
        source_(std::move(source)) {}

  const Obj* run() {
    while (true) {
      uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;                       // PROTO
        case 0x95: take(8); break;                    // FRAME
        case '.': {                                   // STOP
          return pop();
        }
        case '(': marks_.push_back(stack_.size()); break;
        case 'N': push(make(Obj::None)); break;
        case 0x88: case 0x89: make(Obj::Bool)->i = op == 0x88; push(last_); break;
        case 'K': push_int(u8()); break;
        case 'M': { auto b = take(2); push_int(uint8_t(b[0]) | (uint8_t(b[1]) << 8)); } break;
        case 'J': { int32_t v; std::memcpy(&v, take(4), 4); push_int(v); } break;
        case 0x8a: {  // LONG1
          size_t n = u8();
          const char* b = take(n);
          int64_t v = 0;
          if (n > 8) fail("integer too large");
          for (size_t k = 0; k < n; ++k) v |= int64_t(uint64_t(uint8_t(b[k])) << (8 * k));
          if (n > 0 && n < 8 && (uint8_t(b[n - 1]) & 0x80)) v -= int64_t(uint64_t(1) << (8 * n));
          push_int(v);
        } break;
        case 'G': {
          const char* b = take(8);
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | uint8_t(b[k]);
          Obj* o = make(Obj::Float);
          std::memcpy(&o->f, &bits, 8);
          push(o);
        } break;
        case 'X': push_str(len32()); break;
        case 0x8c: case 'U': case 'C': push_str(u8()); break;
        case 'T': case 'B': push_str(len32()); break;
        case 0x8d: case 0x8e: { uint64_t n; std::memcpy(&n, take(8), 8); push_str(n); } break;
        case ']': push(make(Obj::List)); break;
        case '}': push(make(Obj::Dict)); break;
        case ')': push(make(Obj::Tuple)); break;
        case 't': case 'l': {
          Obj* t = make(op == 't' ? Obj::Tuple : Obj::List);
          t->items = pop_mark();
          push(t);
        } break;
        case 'd': {
          Obj* d = make(Obj::Dict);
          d->items = pop_mark();
          if (d->items.size() % 2) fail("odd number of items for a dict");
          push(d);
        } break;
        case 0x85: case 0x86: case 0x87: {
          size_t n = op - 0x84;
          Obj* t = make(Obj::Tuple);
          if (stack_.size() < floor() + n) fail("stack underflow");
          t->items.assign(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          push(t);
        } break;
        case 'q': memo(u8()); break;
        case 'r': memo(len32()); break;
        case 0x94: memo(memo_.size()); break;
        case 'h': get(u8()); break;
        case 'j': get(len32()); break;
        case 'c': {
          Obj* g = make(Obj::Global);
          g->s = line();
          g->s += "." + line();
          push(g);
        } break;
        case 0x93: {  // STACK_GLOBAL
          Obj* name = pop();
          Obj* mod = pop();
          if (name->kind != Obj::Str || mod->kind != Obj::Str) fail("STACK_GLOBAL needs two strings");
          Obj* g = make(Obj::Global);
          g->s = mod->s + "." + name->s;
          push(g);
        } break;
        case 's': {
          Obj* v = pop();
          Obj* k = pop();
          Obj* d = top(Obj::Dict);
          d->items.push_back(k);
          d->items.push_back(v);
        } break;
        case 'u': {
          auto xs = pop_mark();
          if (xs.size() % 2) fail("odd number of items for a dict");
          Obj* d = top(Obj::Dict);
          d->items.insert(d->items.end(), xs.begin(), xs.end());
        } break;
        case 'a': { Obj* v = pop(); top(Obj::List)->items.push_back(v); } break;
        case 'e': {
          auto xs = pop_mark();
          Obj* l = top(Obj::List);
          l->items.insert(l->items.end(), xs.begin(), xs.end());
        } break;
        case 'R': case 0x81: {  // REDUCE, NEWOBJ
          Obj* args = pop();
          Obj* fn = pop();
          push(call(fn, args));
        } break;
        case 'b': pop(); break;  // BUILD: state (e.g. OrderedDict._metadata) is not needed
        case 'Q': push(persistent(pop())); break;
        default: fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { bad_archive(source_, what); }
  static std::string hex(uint8_t v) {
    const char* d = "0123456789abcdef";
    return std::string{d[v >> 4], d[v & 15]};
  }
  Obj* make(Obj::Kind k) {
    if (arena_.size() >= max_objects_) fail("more objects than a state dict of this size can hold");
    arena_.emplace_back();
    last_ = &arena_.back();
    last_->kind = k;
    return last_;
  }
  const char* take(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) fail("pickle data is truncated");
    const char* r = p_;
    p_ += n;
    return r;
  }
  uint8_t u8() { return static_cast<uint8_t>(*take(1)); }
  uint32_t len32() { uint32_t v; std::memcpy(&v, take(4), 4); return v; }
  std::string line() {
    const char* s = p_;
    while (p_ < end_ && *p_ != '\n') ++p_;
    if (p_ >= end_) fail("pickle data is truncated");
    return std::string(s, p_++);
  }
  void push(Obj* o) { stack_.push_back(o); }
  void push_int(int64_t v) { make(Obj::Int)->i = v; push(last_); }
  void push_str(uint64_t n) {
    const char* b = take(n);
    make(Obj::Str)->s.assign(b, n);
    push(last_);
  }
  // The stack below the innermost MARK belongs to an enclosing call (Python's metastack).
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Obj* pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    Obj* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Obj* top(Obj::Kind k) {
    if (stack_.size() <= floor() || stack_.back()->kind != k) fail("malformed container operation");
    return stack_.back();
  }
  std::vector<Obj*> pop_mark() {
    if (marks_.empty()) fail("MARK missing");
    size_t k = marks_.back();
    marks_.pop_back();
    std::vector<Obj*> xs(stack_.begin() + static_cast<std::ptrdiff_t>(k), stack_.end());
    stack_.resize(k);
    return xs;
  }
  void memo(uint64_t id) {
    if (stack_.size() <= floor()) fail("stack underflow");
    memo_[id] = stack_.back();  // a map: a huge index costs one entry, not a huge table
  }
  void get(uint64_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end()) fail("bad memo reference");
    push(it->second);
  }
  const Obj& arg(const Obj* args, size_t k, Obj::Kind kind, const std::string& fn) {
    if (k >= args->items.size() || args->items[k]->kind != kind)
      fail("bad arguments for " + fn);
    return *args->items[k];
  }
  std::vector<int64_t> ints(const Obj& t) {
    if (t.items.size() > 64) fail("a tensor with more than 64 dimensions");
    std::vector<int64_t> out;
    for (const Obj* x : t.items) {
      if (x->kind != Obj::Int || x->i < 0) fail("tensor sizes and strides must be non-negative integers");
      out.push_back(x->i);
    }
    return out;
  }
  static bool storage_dtype(const std::string& g, at::ScalarType* t) {
    static const std::pair<const char*, at::ScalarType> names[] = {
        {"torch.FloatStorage", at::kFloat}, {"torch.DoubleStorage", at::kDouble},
        {"torch.HalfStorage", at::kHalf},   {"torch.BFloat16Storage", at::kBFloat16},
        {"torch.LongStorage", at::kLong},   {"torch.IntStorage", at::kInt},
        {"torch.ShortStorage", at::kShort}, {"torch.CharStorage", at::kChar},
        {"torch.ByteStorage", at::kByte},   {"torch.BoolStorage", at::kBool}};
    for (auto& [n, ty] : names)
      if (g == n) {
        *t = ty;
        return true;
      }
    return false;
  }
  Obj* persistent(const Obj* pid) {
    // ('storage', torch.FloatStorage, key, location, numel)
    if (pid->kind != Obj::Tuple || pid->items.size() < 5 || pid->items[0]->kind != Obj::Str ||
        pid->items[0]->s != "storage" || pid->items[1]->kind != Obj::Global ||
        pid->items[2]->kind != Obj::Str)
      fail("unsupported persistent id");
    at::ScalarType type;
    if (!storage_dtype(pid->items[1]->s, &type)) fail("unsupported storage type " + pid->items[1]->s);
    const std::string& key = pid->items[2]->s;
    Obj* o = make(Obj::Tensor);
    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      if (cached->second.scalar_type() != type) fail("storage " + key + " is used with two dtypes");
      o->tensor = cached->second;
      return o;
    }
    std::string_view data;
    if (!records_.find(prefix_, "data/" + key, &data)) fail("missing record data/" + key);
    const size_t elem = at::elementSize(type);
    if (data.size() % elem != 0)
      fail("record data/" + key + " holds " + std::to_string(data.size()) + " bytes, not a whole number of " +
           std::to_string(elem) + "-byte elements");
    at::Tensor t = at::empty({static_cast<int64_t>(data.size() / elem)}, at::TensorOptions().dtype(type));
    if (!data.empty()) std::memcpy(t.data_ptr(), data.data(), data.size());
    storages_[key] = t;
    o->tensor = t;
    return o;
  }
  Obj* call(const Obj* fn, const Obj* args) {
    // _rebuild_from_type_v2 calls another rebuild function: follow a few levels, never a cycle.
    for (int depth = 0; depth < 8; ++depth) {
      if (fn->kind != Obj::Global) fail("call of a non-global");
      if (args->kind != Obj::Tuple) fail("call arguments are not a tuple");
      const std::string& g = fn->s;
      if (g == "torch._tensor._rebuild_from_type_v2") {
        fn = &arg(args, 0, Obj::Global, g);
        args = &arg(args, 2, Obj::Tuple, g);
        continue;
      }
      if (g == "collections.OrderedDict" || g == "builtins.dict") return make(Obj::Dict);
      if (g == "torch._utils._rebuild_tensor_v2" || g == "torch._utils._rebuild_tensor")
        return rebuild_tensor(args, g);
      if (g == "torch._utils._rebuild_parameter" || g == "torch._utils._rebuild_parameter_with_state" ||
          g == "torch.jit._pickle.restore_type_tag") {
        if (args->items.empty()) fail("bad arguments for " + g);
        return args->items[0];
      }
      fail("unsupported object '" + g + "'");
    }
    fail("_rebuild_from_type_v2 nested too deep");
  }
  // A view of a storage. The view shares the storage (no copy), and it may not hold more elements
  // than the storage, so no tensor read here is larger than the file.
  Obj* rebuild_tensor(const Obj* args, const std::string& g) {
    const Obj& storage = arg(args, 0, Obj::Tensor, g);
    const int64_t offset = arg(args, 1, Obj::Int, g).i;
    auto sizes = ints(arg(args, 2, Obj::Tuple, g)), strides = ints(arg(args, 3, Obj::Tuple, g));
    if (sizes.size() != strides.size()) fail("tensor sizes and strides differ in length");
    const int64_t n = storage.tensor.numel();
    bool empty = false;
    for (int64_t size : sizes) empty |= size == 0;
    Obj* o = make(Obj::Tensor);
    if (empty) {
      o->tensor = at::empty(sizes, storage.tensor.options());
      return o;
    }
    if (offset < 0 || offset >= n) fail("tensor offset outside its storage");
    int64_t numel = 1, last = offset;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (numel > n / sizes[k]) fail("tensor view has more elements than its storage");
      numel *= sizes[k];
      if (sizes[k] > 1 && strides[k] > 0) {
        if (strides[k] > (n - 1 - last) / (sizes[k] - 1)) fail("tensor view exceeds its storage");
        last += (sizes[k] - 1) * strides[k];
      }
    }
    o->tensor = storage.tensor.as_strided(sizes, strides, offset);
    return o;
  }

  const char* p_;
  const char* end_;
  const size_t max_objects_;
  const ZipRecords& records_;
  std::string prefix_;
  std::string source_;
  std::deque<Obj> arena_;
  Obj* last_ = nullptr;
  std::vector<Obj*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Obj*> memo_;
  std::map<std::string, at::Tensor> storages_;
};

}  // namespace

TensorMap read_torch_bin(const std::string& path) { return parse_torch_bin(read_file_bytes(path), path); }

TensorMap parse_torch_bin(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0) {
    if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80)
      throw DataError(path, -1,
                      "legacy (pre-PyTorch 1.6) torch.save format is not supported; re-save the "
                      "checkpoint as model.safetensors");
    throw DataError(path, -1, "not a torch.save zip archive");
  }
  ZipRecords records(bytes, path);
  const std::string prefix = records.prefix();
  std::string_view order;
  if (records.find(prefix, "byteorder", &order) && order != "little")
    bad_archive(path, "byte order '" + std::string(order.substr(0, 16)) + "' is not supported");
  std::string_view pkl;
  records.find(prefix, "data.pkl", &pkl);
  try {
    Unpickler up(pkl, records, prefix, path);
    const Obj* root = up.run();
    if (root->kind == Obj::Dict && root->items.size() == 2 && root->items[0]->kind == Obj::Str &&
        root->items[0]->s == "state_dict" && root->items[1]->kind == Obj::Dict)
      root = root->items[1];
    if (root->kind != Obj::Dict) throw DataError(path, -1, "the archive does not hold a dict of tensors");
    TensorMap out;
    for (size_t k = 0; k + 1 < root->items.size(); k += 2) {
      const Obj* key = root->items[k];
      const Obj* value = root->items[k + 1];
      if (key->kind != Obj::Str) throw DataError(path, -1, "the archive's dict has a non-string key");
      if (value->kind == Obj::Tensor) out[key->s] = value->tensor;
    }
    return out;
  } catch (const c10::Error& e) {
    bad_archive(path, e.what_without_backtrace());
  }
}

void write_torch_bin(const std::string& path, const TensorMap& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [k, t] : tensors) dict.insert(k, t.detach().to(at::kCPU).contiguous());
  std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw DataError(path, -1, "cannot open the file for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw DataError(path, -1, "cannot write the file");
}

}  // namespace trfpipe::models
