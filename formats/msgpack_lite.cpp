#include "formats/msgpack_lite.hpp"

#include <cstring>

namespace trfpipe::formats::msgpack {

const Value* Value::find(std::string_view key) const {
  if (type != Type::Map) return nullptr;
  for (const auto& kv : map)
    if (kv.first.type == Type::Str && kv.first.s == key) return &kv.second;
  return nullptr;
}

const char* Value::type_name(Type t) {
  switch (t) {
    case Type::Nil: return "nil";
    case Type::Bool: return "bool";
    case Type::Int: return "int";
    case Type::UInt: return "uint";
    case Type::Float: return "float";
    case Type::Str: return "str";
    case Type::Bin: return "bin";
    case Type::Array: return "array";
    case Type::Map: return "map";
  }
  return "?";
}

namespace {

constexpr int kMaxDepth = 512;

class Reader {
 public:
  Reader(std::string_view d, size_t max_memory) : d_(d), max_memory_(max_memory) {}

  Value read(int depth) {
    if (depth > kMaxDepth) throw DecodeError(pos_, "msgpack nesting deeper than 512 levels");
    size_t at = pos_;
    uint8_t b = byte();
    charge(sizeof(Value));
    Value v;
    if (b <= 0x7f) { v.type = Value::Type::UInt; v.u = b; return v; }
    if (b >= 0xe0) { v.type = Value::Type::Int; v.i = int8_t(b); return v; }
    if ((b & 0xf0) == 0x80) return read_map(b & 0x0f, depth);
    if ((b & 0xf0) == 0x90) return read_array(b & 0x0f, depth);
    if ((b & 0xe0) == 0xa0) return read_raw(Value::Type::Str, b & 0x1f);
    switch (b) {
      case 0xc0: return v;
      case 0xc2: v.type = Value::Type::Bool; v.boolean = false; return v;
      case 0xc3: v.type = Value::Type::Bool; v.boolean = true; return v;
      case 0xc4: return read_raw(Value::Type::Bin, be(1));
      case 0xc5: return read_raw(Value::Type::Bin, be(2));
      case 0xc6: return read_raw(Value::Type::Bin, be(4));
      case 0xca: {
        uint32_t bits = uint32_t(be(4));
        float fl;
        std::memcpy(&fl, &bits, 4);
        v.type = Value::Type::Float; v.f = fl; return v;
      }
      case 0xcb: {
        uint64_t bits = be(8);
        double db;
        std::memcpy(&db, &bits, 8);
        v.type = Value::Type::Float; v.f = db; return v;
      }
      case 0xcc: v.type = Value::Type::UInt; v.u = be(1); return v;
      case 0xcd: v.type = Value::Type::UInt; v.u = be(2); return v;
      case 0xce: v.type = Value::Type::UInt; v.u = be(4); return v;
      case 0xcf: v.type = Value::Type::UInt; v.u = be(8); return v;
      case 0xd0: return signed_value(int8_t(be(1)));
      case 0xd1: return signed_value(int16_t(be(2)));
      case 0xd2: return signed_value(int32_t(be(4)));
      case 0xd3: return signed_value(int64_t(be(8)));
      case 0xd9: return read_raw(Value::Type::Str, be(1));
      case 0xda: return read_raw(Value::Type::Str, be(2));
      case 0xdb: return read_raw(Value::Type::Str, be(4));
      case 0xdc: return read_array(be(2), depth);
      case 0xdd: return read_array(be(4), depth);
      case 0xde: return read_map(be(2), depth);
      case 0xdf: return read_map(be(4), depth);
      default: break;
    }
    // 0xc1 (never used) and the ext types (0xc7-0xc9, 0xd4-0xd8) are not part of spaCy's data.
    throw DecodeError(at, "unsupported msgpack type byte 0x" + hex(b));
  }

  size_t pos() const { return pos_; }
  size_t size() const { return d_.size(); }

 private:
  static std::string hex(uint8_t b) {
    const char* digits = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
  }
  void charge(uint64_t n) {
    if (n > max_memory_ - used_)
      throw DecodeError(pos_, "msgpack data would take more than " + std::to_string(max_memory_ >> 20) +
                                  " MiB decoded (" + std::to_string(pos_) + " of " +
                                  std::to_string(d_.size()) + " bytes read)");
    used_ += n;
  }
  void need(uint64_t n) {
    if (n > d_.size() - pos_)
      throw DecodeError(pos_, "msgpack data truncated (needs " + std::to_string(n) +
                                  " more bytes, " + std::to_string(d_.size() - pos_) + " left)");
  }
  uint8_t byte() {
    need(1);
    return uint8_t(d_[pos_++]);
  }
  uint64_t be(int n) {
    need(uint64_t(n));
    uint64_t v = 0;
    for (int k = 0; k < n; ++k) v = (v << 8) | uint8_t(d_[pos_++]);
    return v;
  }
  static Value signed_value(int64_t x) {
    Value v;
    if (x >= 0) {
      v.type = Value::Type::UInt;
      v.u = uint64_t(x);
    } else {
      v.type = Value::Type::Int;
      v.i = x;
    }
    return v;
  }
  Value read_raw(Value::Type t, uint64_t n) {
    need(n);
    charge(n);
    Value v;
    v.type = t;
    v.s.assign(d_.data() + pos_, size_t(n));
    pos_ += size_t(n);
    return v;
  }
  Value read_array(uint64_t n, int depth) {
    // Every element takes at least one byte: a cheap guard against absurd counts. No reserve:
    // nested arrays would each reserve for all the bytes left before any element is read.
    need(n);
    Value v;
    v.type = Value::Type::Array;
    for (uint64_t k = 0; k < n; ++k) v.array.push_back(read(depth + 1));
    return v;
  }
  Value read_map(uint64_t n, int depth) {
    need(2 * n);
    Value v;
    v.type = Value::Type::Map;
    for (uint64_t k = 0; k < n; ++k) {
      Value key = read(depth + 1);
      Value val = read(depth + 1);
      v.map.emplace_back(std::move(key), std::move(val));
    }
    return v;
  }

  std::string_view d_;
  size_t pos_ = 0;
  const size_t max_memory_;
  size_t used_ = 0;
};

}  // namespace

Value decode(std::string_view data, size_t max_memory) {
  if (max_memory == 0) max_memory = (size_t{1} << 20) + 16 * data.size();
  Reader r(data, max_memory);
  Value v = r.read(0);
  if (r.pos() != r.size())
    throw DecodeError(r.pos(), std::to_string(r.size() - r.pos()) +
                                   " trailing bytes after the msgpack object");
  return v;
}

void Writer::be(uint64_t v, int nbytes) {
  for (int k = nbytes - 1; k >= 0; --k) out_.push_back(char((v >> (8 * k)) & 0xff));
}

void Writer::uinteger(uint64_t v) {
  if (v < 0x80) {
    out_.push_back(char(v));
  } else if (v <= 0xff) {
    out_.push_back(char(0xcc)); be(v, 1);
  } else if (v <= 0xffff) {
    out_.push_back(char(0xcd)); be(v, 2);
  } else if (v <= 0xffffffffull) {
    out_.push_back(char(0xce)); be(v, 4);
  } else {
    out_.push_back(char(0xcf)); be(v, 8);
  }
}

void Writer::integer(int64_t v) {
  if (v >= 0) return uinteger(uint64_t(v));
  if (v >= -32) {
    out_.push_back(char(int8_t(v)));
  } else if (v >= -128) {
    out_.push_back(char(0xd0)); be(uint64_t(v), 1);
  } else if (v >= -32768) {
    out_.push_back(char(0xd1)); be(uint64_t(v), 2);
  } else if (v >= -2147483648ll) {
    out_.push_back(char(0xd2)); be(uint64_t(v), 4);
  } else {
    out_.push_back(char(0xd3)); be(uint64_t(v), 8);
  }
}

void Writer::float64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  out_.push_back(char(0xcb));
  be(bits, 8);
}

void Writer::float32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  out_.push_back(char(0xca));
  be(bits, 4);
}

void Writer::str(std::string_view v) {
  size_t n = v.size();
  if (n < 32) {
    out_.push_back(char(0xa0 | n));
  } else if (n <= 0xff) {
    out_.push_back(char(0xd9)); be(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(char(0xda)); be(n, 2);
  } else {
    out_.push_back(char(0xdb)); be(n, 4);
  }
  out_.append(v.data(), n);
}

void Writer::bin(std::string_view v) {
  size_t n = v.size();
  if (n <= 0xff) {
    out_.push_back(char(0xc4)); be(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(char(0xc5)); be(n, 2);
  } else {
    out_.push_back(char(0xc6)); be(n, 4);
  }
  out_.append(v.data(), n);
}

void Writer::array_header(size_t n) {
  if (n < 16) {
    out_.push_back(char(0x90 | n));
  } else if (n <= 0xffff) {
    out_.push_back(char(0xdc)); be(n, 2);
  } else {
    out_.push_back(char(0xdd)); be(n, 4);
  }
}

void Writer::map_header(size_t n) {
  if (n < 16) {
    out_.push_back(char(0x80 | n));
  } else if (n <= 0xffff) {
    out_.push_back(char(0xde)); be(n, 2);
  } else {
    out_.push_back(char(0xdf)); be(n, 4);
  }
}

void Writer::value(const Value& v) {
  switch (v.type) {
    case Value::Type::Nil: nil(); break;
    case Value::Type::Bool: boolean(v.boolean); break;
    case Value::Type::Int: integer(v.i); break;
    case Value::Type::UInt: uinteger(v.u); break;
    case Value::Type::Float: float64(v.f); break;
    case Value::Type::Str: str(v.s); break;
    case Value::Type::Bin: bin(v.s); break;
    case Value::Type::Array:
      array_header(v.array.size());
      for (const auto& e : v.array) value(e);
      break;
    case Value::Type::Map:
      map_header(v.map.size());
      for (const auto& kv : v.map) {
        value(kv.first);
        value(kv.second);
      }
      break;
  }
}

std::string encode(const Value& v) {
  Writer w;
  w.value(v);
  return w.take();
}

}  // namespace trfpipe::formats::msgpack
