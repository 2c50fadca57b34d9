// A small MessagePack encoder/decoder for spaCy's binary formats (DocBin, span groups): nil,
// bool, int/uint of every width, float32/64, str, bin, array and map. The encoder picks the
// smallest representation, as msgpack-python (srsly) does, so encoded bytes match spaCy's.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trfpipe::formats::msgpack {

// Malformed input: `offset` is the byte position in the msgpack data where decoding failed.
class DecodeError : public std::runtime_error {
 public:
  DecodeError(size_t offset, const std::string& what)
      : std::runtime_error(what + " at byte " + std::to_string(offset)), offset_(offset) {}
  size_t offset() const { return offset_; }

 private:
  size_t offset_;
};

struct Value {
  enum class Type { Nil, Bool, Int, UInt, Float, Str, Bin, Array, Map };
  Type type = Type::Nil;
  bool boolean = false;
  int64_t i = 0;     // Type::Int (negative values only; non-negative decode as UInt)
  uint64_t u = 0;    // Type::UInt
  double f = 0;      // Type::Float (float32 or float64)
  std::string s;     // Type::Str or Type::Bin
  std::vector<Value> array;
  std::vector<std::pair<Value, Value>> map;

  bool is_nil() const { return type == Type::Nil; }
  bool is_str() const { return type == Type::Str; }
  bool is_bin() const { return type == Type::Bin; }
  bool is_array() const { return type == Type::Array; }
  bool is_map() const { return type == Type::Map; }
  bool is_integer() const { return type == Type::Int || type == Type::UInt; }
  bool is_number() const { return is_integer() || type == Type::Float; }
  double as_double() const {
    return type == Type::Float ? f : type == Type::UInt ? double(u) : double(i);
  }
  // The value of a string key in a map, or nullptr.
  const Value* find(std::string_view key) const;
  static const char* type_name(Type t);
  const char* type_name() const { return type_name(type); }
};

// Decodes exactly one object filling all of `data`; trailing bytes are an error. Nesting is
// limited (512 levels) so hostile input cannot exhaust the stack, and so is the memory the
// decoded tree takes (each value counts sizeof(Value) plus its bytes): a one-byte element
// becomes a Value of about 100 bytes, so `max_memory` (0 = 1 MiB + 16 bytes per input byte)
// keeps a small input from growing into gigabytes. Counts are never trusted beyond the bytes
// left.
Value decode(std::string_view data, size_t max_memory = 0);

// Streaming encoder.
class Writer {
 public:
  void nil() { out_.push_back(char(0xc0)); }
  void boolean(bool v) { out_.push_back(char(v ? 0xc3 : 0xc2)); }
  void uinteger(uint64_t v);
  void integer(int64_t v);
  void float64(double v);
  void float32(float v);
  void str(std::string_view v);
  void bin(std::string_view v);
  void array_header(size_t n);
  void map_header(size_t n);
  void value(const Value& v);
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void be(uint64_t v, int nbytes);
  std::string out_;
};

std::string encode(const Value& v);

}  // namespace trfpipe::formats::msgpack
