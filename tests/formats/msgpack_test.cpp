#include <gtest/gtest.h>

#include "formats/msgpack_lite.hpp"

namespace mp = trfpipe::formats::msgpack;

namespace {
std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}
std::string enc_u(uint64_t v) { mp::Writer w; w.uinteger(v); return w.take(); }
std::string enc_i(int64_t v) { mp::Writer w; w.integer(v); return w.take(); }
}  // namespace

TEST(Msgpack, UnsignedUsesSmallestWidthLikeMsgpackPython) {
  EXPECT_EQ(hex(enc_u(65)), "41");
  EXPECT_EQ(hex(enc_u(200)), "ccc8");
  EXPECT_EQ(hex(enc_u(452)), "cd01c4");
  EXPECT_EQ(hex(enc_u(70000)), "ce00011170");
  EXPECT_EQ(hex(enc_u(0x100000000ull)), "cf0000000100000000");
}

TEST(Msgpack, NegativeUsesSmallestSignedWidth) {
  EXPECT_EQ(hex(enc_i(-1)), "ff");
  EXPECT_EQ(hex(enc_i(-32)), "e0");
  EXPECT_EQ(hex(enc_i(-33)), "d0df");
  EXPECT_EQ(hex(enc_i(-200)), "d1ff38");
  EXPECT_EQ(hex(enc_i(-70000)), "d2fffeee90");
  EXPECT_EQ(hex(enc_i(-5000000000ll)), "d3fffffffed5fa0e00");
  EXPECT_EQ(hex(enc_i(5)), "05");
}

TEST(Msgpack, StrBinArrayMapHeaders) {
  mp::Writer w;
  w.str(std::string(31, 'a'));
  EXPECT_EQ(hex(w.bytes()).substr(0, 2), "bf");
  mp::Writer w2;
  w2.str(std::string(32, 'a'));
  EXPECT_EQ(hex(w2.bytes()).substr(0, 4), "d920");
  mp::Writer w3;
  w3.bin(std::string(300, 'x'));
  EXPECT_EQ(hex(w3.bytes()).substr(0, 6), "c5012c");
  mp::Writer w4;
  w4.array_header(20);
  w4.map_header(3);
  w4.map_header(70000);
  EXPECT_EQ(hex(w4.bytes()), "dc001483df00011170");
}

TEST(Msgpack, RoundTripsEveryType) {
  mp::Value root;
  root.type = mp::Value::Type::Map;
  auto add = [&](const std::string& k, mp::Value v) {
    mp::Value key;
    key.type = mp::Value::Type::Str;
    key.s = k;
    root.map.emplace_back(key, std::move(v));
  };
  mp::Value v;
  v.type = mp::Value::Type::Nil; add("nil", v);
  v = {}; v.type = mp::Value::Type::Bool; v.boolean = true; add("bool", v);
  v = {}; v.type = mp::Value::Type::UInt; v.u = 0xfedcba9876543210ull; add("u64", v);
  v = {}; v.type = mp::Value::Type::Int; v.i = -123456789012ll; add("i64", v);
  v = {}; v.type = mp::Value::Type::Float; v.f = 0.25; add("f64", v);
  v = {}; v.type = mp::Value::Type::Str; v.s = std::string(70000, 'z'); add("str32", v);
  v = {}; v.type = mp::Value::Type::Bin; v.s = std::string("\0\1\2", 3); add("bin", v);
  mp::Value arr;
  arr.type = mp::Value::Type::Array;
  for (int k = 0; k < 40; ++k) {
    mp::Value e;
    e.type = mp::Value::Type::UInt;
    e.u = uint64_t(k) * 1000;
    arr.array.push_back(e);
  }
  add("array", arr);
  const std::string bytes = mp::encode(root);
  mp::Value back = mp::decode(bytes);
  EXPECT_EQ(mp::encode(back), bytes);
  ASSERT_TRUE(back.is_map());
  EXPECT_TRUE(back.find("nil")->is_nil());
  EXPECT_TRUE(back.find("bool")->boolean);
  EXPECT_EQ(back.find("u64")->u, 0xfedcba9876543210ull);
  EXPECT_EQ(back.find("i64")->i, -123456789012ll);
  EXPECT_DOUBLE_EQ(back.find("f64")->f, 0.25);
  EXPECT_EQ(back.find("str32")->s.size(), 70000u);
  EXPECT_EQ(back.find("bin")->s, std::string("\0\1\2", 3));
  EXPECT_EQ(back.find("array")->array.size(), 40u);
  EXPECT_EQ(back.find("array")->array[39].u, 39000u);
  EXPECT_EQ(back.find("missing"), nullptr);
}

TEST(Msgpack, DecodesFloat32) {
  mp::Writer w;
  w.float32(1.5f);
  mp::Value v = mp::decode(w.bytes());
  EXPECT_EQ(v.type, mp::Value::Type::Float);
  EXPECT_DOUBLE_EQ(v.f, 1.5);
}

TEST(Msgpack, TruncatedDataIsAnError) {
  mp::Writer w;
  w.str("hello world");
  std::string b = w.take();
  b.pop_back();
  EXPECT_THROW(mp::decode(b), mp::DecodeError);
  EXPECT_THROW(mp::decode(""), mp::DecodeError);
  // An array header promising more elements than there are bytes.
  EXPECT_THROW(mp::decode(std::string("\xdd\xff\xff\xff\xff", 5)), mp::DecodeError);
}

TEST(Msgpack, TrailingBytesAreAnError) {
  EXPECT_THROW(mp::decode(std::string("\x01\x02", 2)), mp::DecodeError);
}

TEST(Msgpack, ExtTypesAreRejected) {
  try {
    mp::decode(std::string("\xd4\x01\x02", 3));
    FAIL() << "expected DecodeError";
  } catch (const mp::DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("0xd4"), std::string::npos);
    EXPECT_EQ(e.offset(), 0u);
  }
}

TEST(Msgpack, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, char(0x91));
  deep.push_back(char(0xc0));
  EXPECT_THROW(mp::decode(deep), mp::DecodeError);
}
