// Strict comparison of config trees for tests: JSON types (int vs float vs string), values and key
// order must all agree. Returns "" when equal, else where and how they differ.
#pragma once
#include <cstring>
#include <string>

#include "trfpipe/config.hpp"

namespace trfpipe::testing {

inline std::string json_kind(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "int";
    case Json::value_t::number_float: return "float";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "list";
    case Json::value_t::object: return "dict";
    default: return "other";
  }
}

inline std::string strict_diff(const Json& a, const Json& b, const std::string& path = "") {
  const std::string where = path.empty() ? "<root>" : path;
  if (json_kind(a) != json_kind(b)) {
    return where + ": " + json_kind(a) + " " + a.dump() + " vs " + json_kind(b) + " " + b.dump();
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return where + ": " + std::to_string(a.size()) + " keys vs " + std::to_string(b.size());
    auto ia = a.begin();
    auto ib = b.begin();
    for (; ia != a.end(); ++ia, ++ib) {
      if (ia.key() != ib.key()) return where + ": key order/name '" + ia.key() + "' vs '" + ib.key() + "'";
      std::string d = strict_diff(ia.value(), ib.value(), path + (path.empty() ? "" : " -> ") + ia.key());
      if (!d.empty()) return d;
    }
    return "";
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return where + ": list of " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      std::string d = strict_diff(a[i], b[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  if (a.is_number_float()) {
    double x = a.get<double>(), y = b.get<double>();
    if (std::memcmp(&x, &y, sizeof x) != 0 && !(x != x && y != y)) {
      return where + ": float " + a.dump() + " vs " + b.dump();
    }
    return "";
  }
  if (a.is_number()) {
    // Compare integers exactly, signed or not.
    bool neg_a = a.is_number_integer() && !a.is_number_unsigned() && a.get<int64_t>() < 0;
    bool neg_b = b.is_number_integer() && !b.is_number_unsigned() && b.get<int64_t>() < 0;
    bool same = neg_a == neg_b &&
                (neg_a ? a.get<int64_t>() == b.get<int64_t>() : a.get<uint64_t>() == b.get<uint64_t>());
    return same ? "" : where + ": " + a.dump() + " vs " + b.dump();
  }
  return a == b ? "" : where + ": " + a.dump() + " vs " + b.dump();
}

}  // namespace trfpipe::testing
