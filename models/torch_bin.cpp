// pytorch_model.bin (torch.save zip format) reading with a small pickle interpreter, and writing
// via torch::jit::pickle_save. torch's own pickle_load cannot read Hugging Face state dicts:
// it turns collections.OrderedDict into None and rejects BUILD on dicts (the `_metadata`
// attribute), so the subset of pickle that torch.save emits for tensor dicts is interpreted here.
#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "models/safetensors.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::models {
namespace {

struct Obj;
using P = std::shared_ptr<Obj>;
struct Obj {
  enum Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Tensor, Mark } kind = None;
  int64_t i = 0;
  double f = 0;
  std::string s;  // string, or "module.name" of a global
  std::vector<P> items;
  std::vector<std::pair<P, P>> dict;
  at::Tensor tensor;
};

P make(Obj::Kind k) {
  auto o = std::make_shared<Obj>();
  o->kind = k;
  return o;
}

class Unpickler {
 public:
  Unpickler(const char* data, size_t size, caffe2::serialize::PyTorchStreamReader& reader, std::string source)
      : p_(data), end_(data + size), reader_(reader), source_(std::move(source)) {}

  P run() {
    while (true) {
      uint8_t op = u8();
      switch (op) {
        case 0x80: u8(); break;                       // PROTO
        case 0x95: take(8); break;                    // FRAME
        case '.': return pop();                       // STOP
        case '(': stack_.push_back(make(Obj::Mark)); break;
        case 'N': stack_.push_back(make(Obj::None)); break;
        case 0x88: case 0x89: {
          auto o = make(Obj::Bool);
          o->i = op == 0x88;
          stack_.push_back(o);
        } break;
        case 'K': push_int(u8()); break;
        case 'M': { auto b = take(2); push_int(uint8_t(b[0]) | (uint8_t(b[1]) << 8)); } break;
        case 'J': { int32_t v; std::memcpy(&v, take(4), 4); push_int(v); } break;
        case 0x8a: {  // LONG1
          size_t n = u8();
          const char* b = take(n);
          int64_t v = 0;
          if (n > 8) fail("integer too large");
          for (size_t k = 0; k < n; ++k) v |= int64_t(uint8_t(b[k])) << (8 * k);
          if (n > 0 && n < 8 && (uint8_t(b[n - 1]) & 0x80)) v -= int64_t(1) << (8 * n);
          push_int(v);
        } break;
        case 'G': {
          const char* b = take(8);
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | uint8_t(b[k]);
          auto o = make(Obj::Float);
          std::memcpy(&o->f, &bits, 8);
          stack_.push_back(o);
        } break;
        case 'X': push_str(len32()); break;
        case 0x8c: case 'U': case 'C': push_str(u8()); break;
        case 'T': case 'B': push_str(len32()); break;
        case 0x8d: case 0x8e: { uint64_t n; std::memcpy(&n, take(8), 8); push_str(n); } break;
        case ']': stack_.push_back(make(Obj::List)); break;
        case '}': stack_.push_back(make(Obj::Dict)); break;
        case ')': stack_.push_back(make(Obj::Tuple)); break;
        case 't': { auto t = make(Obj::Tuple); t->items = pop_mark(); stack_.push_back(t); } break;
        case 'l': { auto t = make(Obj::List); t->items = pop_mark(); stack_.push_back(t); } break;
        case 'd': {
          auto d = make(Obj::Dict);
          auto xs = pop_mark();
          for (size_t k = 0; k + 1 < xs.size(); k += 2) d->dict.emplace_back(xs[k], xs[k + 1]);
          stack_.push_back(d);
        } break;
        case 0x85: case 0x86: case 0x87: {
          size_t n = op - 0x84;
          auto t = make(Obj::Tuple);
          if (stack_.size() < n) fail("stack underflow");
          t->items.assign(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          stack_.push_back(t);
        } break;
        case 'q': memo(u8()); break;
        case 'r': memo(len32()); break;
        case 0x94: memo(memo_.size()); break;
        case 'h': get(u8()); break;
        case 'j': get(len32()); break;
        case 'c': {
          auto g = make(Obj::Global);
          g->s = line();
          g->s += "." + line();
          stack_.push_back(g);
        } break;
        case 0x93: {  // STACK_GLOBAL
          auto name = pop(), mod = pop();
          auto g = make(Obj::Global);
          g->s = mod->s + "." + name->s;
          stack_.push_back(g);
        } break;
        case 's': {
          auto v = pop(), k = pop();
          top(Obj::Dict)->dict.emplace_back(k, v);
        } break;
        case 'u': {
          auto xs = pop_mark();
          auto d = top(Obj::Dict);
          for (size_t k = 0; k + 1 < xs.size(); k += 2) d->dict.emplace_back(xs[k], xs[k + 1]);
        } break;
        case 'a': { auto v = pop(); top(Obj::List)->items.push_back(v); } break;
        case 'e': {
          auto xs = pop_mark();
          auto l = top(Obj::List);
          l->items.insert(l->items.end(), xs.begin(), xs.end());
        } break;
        case 'R': case 0x81: {  // REDUCE, NEWOBJ
          auto args = pop(), fn = pop();
          stack_.push_back(call(fn, args));
        } break;
        case 'b': pop(); break;  // BUILD: state (e.g. OrderedDict._metadata) is not needed
        case 'Q': stack_.push_back(persistent(pop())); break;
        default: fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw DataError(source_, -1, "cannot read the torch.save archive: " + what);
  }
  static std::string hex(uint8_t v) {
    const char* d = "0123456789abcdef";
    return std::string{d[v >> 4], d[v & 15]};
  }
  const char* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) fail("pickle data is truncated");
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
  void push_int(int64_t v) { auto o = make(Obj::Int); o->i = v; stack_.push_back(o); }
  void push_str(uint64_t n) { auto o = make(Obj::Str); const char* b = take(n); o->s.assign(b, n); stack_.push_back(o); }
  P pop() {
    if (stack_.empty()) fail("stack underflow");
    P v = stack_.back();
    stack_.pop_back();
    return v;
  }
  P top(Obj::Kind k) {
    if (stack_.empty() || stack_.back()->kind != k) fail("malformed container operation");
    return stack_.back();
  }
  std::vector<P> pop_mark() {
    size_t k = stack_.size();
    while (k > 0 && stack_[k - 1]->kind != Obj::Mark) --k;
    if (k == 0) fail("MARK missing");
    std::vector<P> xs(stack_.begin() + k, stack_.end());
    stack_.resize(k - 1);
    return xs;
  }
  void memo(size_t id) {
    if (stack_.empty()) fail("stack underflow");
    if (memo_.size() <= id) memo_.resize(id + 1);
    memo_[id] = stack_.back();
  }
  void get(size_t id) {
    if (id >= memo_.size() || !memo_[id]) fail("bad memo reference");
    stack_.push_back(memo_[id]);
  }
  std::vector<int64_t> ints(const P& t) {
    std::vector<int64_t> out;
    for (auto& x : t->items) {
      if (x->kind != Obj::Int) fail("expected integers");
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
  P persistent(const P& pid) {
    // ('storage', torch.FloatStorage, key, location, numel)
    if (pid->kind != Obj::Tuple || pid->items.size() < 5 || pid->items[0]->s != "storage" ||
        pid->items[1]->kind != Obj::Global || pid->items[2]->kind != Obj::Str)
      fail("unsupported persistent id");
    at::ScalarType type;
    if (!storage_dtype(pid->items[1]->s, &type)) fail("unsupported storage type " + pid->items[1]->s);
    const std::string& key = pid->items[2]->s;
    auto o = make(Obj::Tensor);
    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      o->tensor = cached->second;
      return o;
    }
    std::string record = "data/" + key;
    if (!reader_.hasRecord(record)) fail("missing record " + record);
    auto [ptr, size] = reader_.getRecord(record);
    int64_t elem = static_cast<int64_t>(at::elementSize(type));
    at::Tensor t = at::empty({static_cast<int64_t>(size) / elem}, at::TensorOptions().dtype(type));
    if (size > 0) std::memcpy(t.data_ptr(), ptr.get(), size - size % elem);
    storages_[key] = t;
    o->tensor = t;
    return o;
  }
  P call(const P& fn, const P& args) {
    if (fn->kind != Obj::Global) fail("call of a non-global");
    const std::string& g = fn->s;
    auto& a = args->items;
    if (g == "collections.OrderedDict" || g == "builtins.dict") return make(Obj::Dict);
    if (g == "torch._utils._rebuild_tensor_v2" || g == "torch._utils._rebuild_tensor") {
      if (a.size() < 4 || a[0]->kind != Obj::Tensor) fail("bad _rebuild_tensor_v2 arguments");
      auto o = make(Obj::Tensor);
      auto sizes = ints(a[2]), strides = ints(a[3]);
      int64_t need = a[1]->i;
      for (size_t k = 0; k < sizes.size(); ++k) need += (sizes[k] > 0 ? (sizes[k] - 1) * strides[k] : 0);
      bool empty = false;
      for (auto s : sizes) empty |= s == 0;
      if (!empty && need >= a[0]->tensor.numel()) fail("tensor view exceeds its storage");
      o->tensor = empty ? at::empty(sizes, a[0]->tensor.options())
                        : a[0]->tensor.as_strided(sizes, strides, a[1]->i).clone();
      return o;
    }
    if (g == "torch._utils._rebuild_parameter" || g == "torch._utils._rebuild_parameter_with_state" ||
        g == "torch.jit._pickle.restore_type_tag") {
      if (a.empty()) fail("bad " + g + " arguments");
      return a[0];
    }
    if (g == "torch._tensor._rebuild_from_type_v2") {
      if (a.size() < 3) fail("bad _rebuild_from_type_v2 arguments");
      return call(a[0], a[2]);
    }
    fail("unsupported object '" + g + "'");
  }

  const char* p_;
  const char* end_;
  caffe2::serialize::PyTorchStreamReader& reader_;
  std::string source_;
  std::vector<P> stack_, memo_;
  std::map<std::string, at::Tensor> storages_;
};

}  // namespace

TensorMap read_torch_bin(const std::string& path) {
  std::string bytes = read_file_bytes(path);
  if (bytes.size() < 4 || bytes.compare(0, 2, "PK") != 0) {
    if (bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x80)
      throw DataError(path, -1,
                      "legacy (pre-PyTorch 1.6) torch.save format is not supported; re-save the "
                      "checkpoint as model.safetensors");
    throw DataError(path, -1, "not a torch.save zip archive");
  }
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord("data.pkl")) throw DataError(path, -1, "torch.save archive lacks data.pkl");
    auto [ptr, size] = reader.getRecord("data.pkl");
    Unpickler up(static_cast<const char*>(ptr.get()), size, reader, path);
    P root = up.run();
    if (root->kind == Obj::Dict && root->dict.size() == 1 && root->dict[0].first->s == "state_dict" &&
        root->dict[0].second->kind == Obj::Dict)
      root = root->dict[0].second;
    if (root->kind != Obj::Dict) throw DataError(path, -1, "the archive does not hold a dict of tensors");
    TensorMap out;
    for (auto& [k, v] : root->dict) {
      if (k->kind != Obj::Str) throw DataError(path, -1, "the archive's dict has a non-string key");
      if (v->kind == Obj::Tensor) out[k->s] = v->tensor;
    }
    return out;
  } catch (const c10::Error& e) {
    throw DataError(path, -1, std::string("cannot read the torch.save archive: ") + e.what_without_backtrace());
  }
}

void write_torch_bin(const std::string& path, const TensorMap& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [k, t] : tensors) dict.insert(k, t.detach().to(at::kCPU).contiguous());
  std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw DataError(path, -1, "cannot open the file for writing");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw DataError(path, -1, "cannot write the file");
}

}  // namespace trfpipe::models
