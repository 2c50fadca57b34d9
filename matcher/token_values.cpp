#include "matcher/token_values.hpp"

#include <cmath>

#include "trfpipe/attrs.hpp"

namespace trfpipe::matcher {

using Json = nlohmann::ordered_json;

ExtValue ext_value_from_json(const Json& v) {
  ExtValue out;
  if (v.is_boolean()) {
    out.kind = ExtValue::Kind::Int;
    out.i = v.get<bool>() ? 1 : 0;
  } else if (v.is_number_integer()) {
    out.kind = ExtValue::Kind::Int;
    out.i = v.is_number_unsigned() ? int64_t(v.get<uint64_t>()) : v.get<int64_t>();
  } else if (v.is_number_float()) {
    out.kind = ExtValue::Kind::Float;
    out.f = v.get<double>();
  } else if (v.is_string()) {
    out.kind = ExtValue::Kind::String;
    out.s = v.get<std::string>();
  } else if (v.is_array()) {
    out.kind = ExtValue::Kind::List;
    for (const Json& e : v) out.items.push_back(ext_value_from_json(e));
  } else if (v.is_null()) {
    out.kind = ExtValue::Kind::Missing;
  } else {
    out.kind = ExtValue::Kind::Other;
  }
  return out;
}

ExtValue ext_value_from_any(const std::any& v) {
  ExtValue out;
  auto as_int = [&](int64_t i) {
    out.kind = ExtValue::Kind::Int;
    out.i = i;
  };
  if (!v.has_value()) return out;
  if (auto p = std::any_cast<bool>(&v)) as_int(*p ? 1 : 0);
  else if (auto p = std::any_cast<int>(&v)) as_int(*p);
  else if (auto p = std::any_cast<long>(&v)) as_int(*p);
  else if (auto p = std::any_cast<long long>(&v)) as_int(*p);
  else if (auto p = std::any_cast<unsigned>(&v)) as_int(*p);
  else if (auto p = std::any_cast<unsigned long>(&v)) as_int(int64_t(*p));
  else if (auto p = std::any_cast<unsigned long long>(&v)) as_int(int64_t(*p));
  else if (auto p = std::any_cast<double>(&v)) out.kind = ExtValue::Kind::Float, out.f = *p;
  else if (auto p = std::any_cast<float>(&v)) out.kind = ExtValue::Kind::Float, out.f = *p;
  else if (auto p = std::any_cast<std::string>(&v)) out.kind = ExtValue::Kind::String, out.s = *p;
  else if (auto p = std::any_cast<const char*>(&v)) out.kind = ExtValue::Kind::String, out.s = *p;
  else if (auto p = std::any_cast<Json>(&v)) out = ext_value_from_json(*p);
  else if (auto p = std::any_cast<nlohmann::json>(&v)) out = ext_value_from_json(Json(*p));
  else if (auto p = std::any_cast<std::vector<std::string>>(&v)) {
    out.kind = ExtValue::Kind::List;
    for (const auto& s : *p) out.items.push_back(ext_value_from_json(Json(s)));
  } else if (auto p = std::any_cast<std::vector<int64_t>>(&v)) {
    out.kind = ExtValue::Kind::List;
    for (int64_t x : *p) out.items.push_back(ext_value_from_json(Json(x)));
  } else if (auto p = std::any_cast<std::vector<int>>(&v)) {
    out.kind = ExtValue::Kind::List;
    for (int x : *p) out.items.push_back(ext_value_from_json(Json(x)));
  } else if (std::any_cast<std::nullptr_t>(&v)) {
    out.kind = ExtValue::Kind::Missing;
  } else {
    out.kind = ExtValue::Kind::Other;
  }
  return out;
}

std::optional<uint64_t> string_id_of(const ExtValue& v) {
  if (v.kind == ExtValue::Kind::String) return string_id(v.s);
  if (v.kind == ExtValue::Kind::Int) return uint64_t(v.i);
  return std::nullopt;
}

std::optional<uint64_t> exact_key(const ExtValue& v) {
  if (v.kind == ExtValue::Kind::Float && std::isfinite(v.f) && v.f == std::floor(v.f))
    return uint64_t(int64_t(v.f));
  return string_id_of(v);
}

uint64_t matcher_token_attr(const Doc& doc, const TokenData& t, const Lexeme& lex, uint64_t attr) {
  if (attr == attrs::SENT_START) return t.sent_start == 1 ? 1 : 0;
  return token_attr(doc, t, lex, attr);
}

}  // namespace trfpipe::matcher
