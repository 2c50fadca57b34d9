// JSON as confection reads it: srsly.json_loads is srsly's bundled ujson 1.35 decoder, whose float
// reading is imprecise ((int + frac * 10^-n) * 10^exp) and whose integers wrap like C's. Configs
// depend on this (`0.3` is 0.30000000000000004 in spaCy), so it is reproduced step for step.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "config/internal.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::config {

namespace {

constexpr int kMaxDecimals = 15;  // JSON_DOUBLE_MAX_DECIMALS
constexpr int kMaxDepth = 1024;   // JSON_MAX_OBJECT_DEPTH

const double kPow10Neg[] = {1.0,     0.1,      0.01,      0.001,      0.0001,      0.00001,
                            0.000001, 0.0000001, 0.00000001, 0.000000001, 0.0000000001,
                            0.00000000001, 0.000000000001, 0.0000000000001, 0.00000000000001,
                            0.000000000000001};

std::string ujson_double(double value);

void append_utf8(std::string& out, uint32_t cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
  if (cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The decoder walks a NUL-terminated copy, as ujson walks Python's UTF-8 buffer.
class Decoder {
 public:
  Decoder(const char* begin, const char* end) : p_(begin), end_(end) {}

  bool decode_document(Json& out) {
    if (!decode_any(out)) return false;
    if (p_ < end_) skip_ws();
    return p_ == end_;
  }

 private:
  const char* p_;
  const char* end_;
  int depth_ = 0;
  bool last_string_ = false;

  void skip_ws() {
    while (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n') ++p_;
  }

  bool decode_any(Json& out) {
    for (;;) {
      switch (*p_) {
        case '"': return decode_string(out);
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        case '8': case '9': case '-':
          return decode_numeric(out);
        case '[': return decode_array(out);
        case '{': return decode_object(out);
        case 't': last_string_ = false; return literal("true", Json(true), out);
        case 'f': last_string_ = false; return literal("false", Json(false), out);
        case 'n': last_string_ = false; return literal("null", Json(nullptr), out);
        case ' ': case '\t': case '\r': case '\n': ++p_; break;
        default: return false;
      }
    }
  }

  bool literal(const char* word, Json value, Json& out) {
    const char* q = p_;
    for (const char* w = word; *w; ++w, ++q) {
      if (*q != *w) return false;
    }
    p_ = q;
    out = std::move(value);
    return true;
  }

  bool decode_numeric(Json& out) {
    last_string_ = false;
    const char* q = p_;
    int int_neg = 1;
    uint64_t overflow_limit = static_cast<uint64_t>(INT64_MAX);
    if (*q == '-') {
      ++q;
      int_neg = -1;
      overflow_limit = static_cast<uint64_t>(INT64_MIN);
    }
    uint64_t int_value = 0;
    int decimal_count = 0;
    double frc_value = 0.0;
    bool is_float = false;
    bool has_exp = false;
    for (;;) {
      char c = *q;
      if (c >= '0' && c <= '9') {
        uint64_t prev = int_value;
        int_value = int_value * 10ULL + static_cast<uint64_t>(c - '0');
        if (int_neg == 1 && prev > int_value) return false;                // "Value is too big!"
        if (int_neg == -1 && int_value > overflow_limit) return false;     // "Value is too small"
        ++q;
      } else if (c == '.') {
        ++q;
        is_float = true;
        for (;;) {
          char d = *q;
          if (d >= '0' && d <= '9') {
            if (decimal_count < kMaxDecimals) {
              frc_value = frc_value * 10.0 + static_cast<double>(d - '0');
              ++decimal_count;
            }
            ++q;
          } else if (d == 'e' || d == 'E') {
            ++q;
            has_exp = true;
            break;
          } else {
            break;
          }
        }
        break;
      } else if (c == 'e' || c == 'E') {
        ++q;
        is_float = true;
        has_exp = true;
        break;
      } else {
        break;
      }
    }
    if (!is_float) {
      p_ = q;
      if (int_neg == 1) {
        if (int_value & 0x8000000000000000ULL) {
          out = Json(static_cast<uint64_t>(int_value));
        } else {
          out = Json(static_cast<int64_t>(int_value));
        }
      } else {
        out = Json(static_cast<int64_t>(0ULL - int_value));
      }
      return true;
    }
    // createDouble(intNeg, intValue, frcValue, decimalCount), each step rounded as in C.
    volatile double frac_part = frc_value * kPow10Neg[decimal_count];
    volatile double sum = static_cast<double>(int_value) + frac_part;
    volatile double value = sum * static_cast<double>(int_neg);
    if (has_exp) {
      double exp_neg = 1.0;
      if (*q == '-') {
        exp_neg = -1.0;
        ++q;
      } else if (*q == '+') {
        ++q;
      }
      double exp_value = 0.0;
      while (*q >= '0' && *q <= '9') {
        exp_value = exp_value * 10.0 + static_cast<double>(*q - '0');
        ++q;
      }
      volatile double scale = std::pow(10.0, exp_value * exp_neg);
      value = value * scale;
    }
    p_ = q;
    out = Json(static_cast<double>(value));
    return true;
  }

  bool decode_string(Json& out) {
    last_string_ = false;
    ++p_;
    std::vector<uint32_t> cps;
    const unsigned char* in = reinterpret_cast<const unsigned char*>(p_);
    const unsigned char* last_high = nullptr;
    for (;;) {
      unsigned char c = *in;
      if (c == 0) return false;  // unmatched '"' (or an embedded NUL)
      if (c == '"') {
        ++in;
        break;
      }
      if (c == '\\') {
        ++in;
        switch (*in) {
          case '\\': cps.push_back('\\'); ++in; continue;
          case '"': cps.push_back('"'); ++in; continue;
          case '/': cps.push_back('/'); ++in; continue;
          case 'b': cps.push_back('\b'); ++in; continue;
          case 'f': cps.push_back('\f'); ++in; continue;
          case 'n': cps.push_back('\n'); ++in; continue;
          case 'r': cps.push_back('\r'); ++in; continue;
          case 't': cps.push_back('\t'); ++in; continue;
          case 'u': {
            ++in;
            uint16_t ch = 0;
            for (int i = 0; i < 4; ++i) {
              unsigned char h = *in;
              if (h >= '0' && h <= '9') ch = static_cast<uint16_t>((ch << 4) + (h - '0'));
              else if (h >= 'a' && h <= 'f') ch = static_cast<uint16_t>((ch << 4) + 10 + (h - 'a'));
              else if (h >= 'A' && h <= 'F') ch = static_cast<uint16_t>((ch << 4) + 10 + (h - 'A'));
              else return false;
              ++in;
            }
            if ((ch & 0xFC00) == 0xDC00 && last_high != nullptr && last_high == in - 6 && !cps.empty()) {
              cps.back() = (((cps.back() - 0xD800) << 10) | (ch - 0xDC00u)) + 0x10000;
            } else {
              cps.push_back(ch);
            }
            if ((ch & 0xFC00) == 0xD800) last_high = in;
            continue;
          }
          default: return false;
        }
      }
      if (c < 0x80 || (c >= 0x80 && c < 0xC0)) {
        cps.push_back(c);
        ++in;
        continue;
      }
      int extra;
      uint32_t ucs;
      if (c < 0xE0) { extra = 1; ucs = c & 0x1F; }
      else if (c < 0xF0) { extra = 2; ucs = c & 0x0F; }
      else if (c < 0xF8) { extra = 3; ucs = c & 0x07; }
      else return false;
      ++in;
      for (int i = 0; i < extra; ++i) {
        unsigned char o = *in;
        if ((o & 0x80) != 0x80) return false;
        ucs = (ucs << 6) | (o & 0x3F);
        ++in;
      }
      static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
      if (ucs < kMin[extra]) return false;
      cps.push_back(ucs);
    }
    p_ = reinterpret_cast<const char*>(in);
    std::string s;
    s.reserve(cps.size());
    for (uint32_t cp : cps) append_utf8(s, cp);
    out = Json(std::move(s));
    last_string_ = true;
    return true;
  }

  // Before a member: `closer` here ends an empty container (1) or is an error after a ',' (-1).
  int before_member(char closer, size_t len) {
    skip_ws();
    if (*p_ != closer) return 0;
    --depth_;
    if (len != 0) return -1;
    ++p_;
    last_string_ = false;
    return 1;
  }

  // After a member: ',' goes on (0), `closer` ends the container (1), anything else fails (-1).
  int after_member(char closer) {
    skip_ws();
    char c = *p_++;
    if (c == closer) {
      --depth_;
      last_string_ = false;
      return 1;
    }
    return c == ',' ? 0 : -1;
  }

  bool decode_array(Json& out) {
    last_string_ = false;
    if (++depth_ > kMaxDepth) return false;
    out = Json::array();
    ++p_;
    for (size_t len = 0;; ++len) {
      if (int r = before_member(']', len)) return r > 0;
      Json item;
      if (!decode_any(item)) return false;
      out.push_back(std::move(item));
      if (int r = after_member(']')) return r > 0;
    }
  }

  bool decode_object(Json& out) {
    last_string_ = false;
    if (++depth_ > kMaxDepth) return false;
    out = Json::object();
    ++p_;
    for (size_t len = 0;; ++len) {
      if (int r = before_member('}', len)) return r > 0;
      last_string_ = false;
      Json name;
      if (!decode_any(name)) return false;
      if (!last_string_ || !name.is_string()) return false;
      skip_ws();
      if (*p_++ != ':') return false;
      skip_ws();
      Json value;
      if (!decode_any(value)) return false;
      out[name.get<std::string>()] = std::move(value);  // a repeated key keeps its place, last wins
      if (int r = after_member('}')) return r > 0;
    }
  }
};

uint32_t decode_cp(std::string_view s, size_t i, size_t& len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    len = 1;
    return c;
  }
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + static_cast<size_t>(extra) >= s.size()) {
    len = 1;
    return c;
  }
  uint32_t cp = c & (extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  len = static_cast<size_t>(extra) + 1;
  return cp;
}

void escape_json_string(std::string& out, std::string_view s, bool escape_dollar) {
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7F || (escape_dollar && c == '$')) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

using FloatFormat = std::string (*)(double);

void dump_into(std::string& out, const Json& v, bool escape_dollar, FloatFormat fmt) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<uint64_t>()); break;
    case Json::value_t::number_float: out += fmt(v.get<double>()); break;
    case Json::value_t::string: escape_json_string(out, v.get_ref<const std::string&>(), escape_dollar); break;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        dump_into(out, e, escape_dollar, fmt);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) out += ',';
        first = false;
        escape_json_string(out, k, escape_dollar);
        out += ':';
        dump_into(out, e, escape_dollar, fmt);
      }
      out += '}';
      break;
    }
    default: out += "null"; break;  // binary / discarded: not part of a config tree
  }
}

}  // namespace

std::optional<Json> ujson_loads(std::string_view text) {
  if (text == "-") return std::nullopt;  // srsly refuses "-" (ujson would read it as 0)
  std::string buf(text);                 // NUL-terminated, as ujson's input buffer
  Json out;
  Decoder d(buf.c_str(), buf.c_str() + buf.size());
  if (!d.decode_document(out)) return std::nullopt;
  return out;
}

std::string format_float(double value) {
  if (std::isnan(value)) return "0e999";  // 0 * 10^999 = 0 * inf: the only text ujson reads as NaN
  if (std::isinf(value)) return value > 0 ? "1e999" : "-1e999";
  char buf[64];
  std::string fallback;
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    std::string s = buf;
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    if (precision == 17) fallback = s;
    auto back = ujson_loads(s);
    if (back && back->is_number_float()) {
      double d = back->get<double>();
      if (std::memcmp(&d, &value, sizeof d) == 0) return s;
    }
  }
  return fallback;
}

std::string json_dumps(const Json& value, bool escape_dollar) {
  std::string out;
  dump_into(out, value, escape_dollar, format_float);
  return out;
}

namespace {

// ujson 1.35 Buffer_AppendDoubleUnchecked with double_precision 10 (srsly's default).
std::string ujson_double(double value) {
  if (std::isinf(value) || std::isnan(value)) {
    throw ConfigError({}, "couldn't serialize config value " + std::string(std::isnan(value) ? "nan" : "inf") +
                              ": not JSON-serializable");
  }
  const double thres_max = 1e16 - 1;
  bool neg = value < 0;
  if (neg) value = -value;
  if (value > thres_max) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15e", neg ? -value : value);
    return buf;
  }
  const double pow10 = 10000000000.0;
  unsigned long long whole = static_cast<unsigned long long>(value);
  double tmp = (value - static_cast<double>(whole)) * pow10;
  unsigned long long frac = static_cast<unsigned long long>(tmp);
  double diff = tmp - static_cast<double>(frac);
  if (diff > 0.5) {
    ++frac;
    if (static_cast<double>(frac) >= pow10) {
      frac = 0;
      ++whole;
    }
  } else if (diff == 0.5 && (frac == 0 || (frac & 1))) {
    ++frac;
  }
  std::string fraction;
  if (frac) {
    int count = 10;
    while (!(frac % 10)) {
      --count;
      frac /= 10;
    }
    std::string digits = std::to_string(frac);
    count -= static_cast<int>(digits.size());
    fraction = std::string(count > 0 ? static_cast<size_t>(count) : 0, '0') + digits;
  } else {
    fraction = "0";
  }
  return (neg ? "-" : "") + std::to_string(whole) + "." + fraction;
}

}  // namespace

std::string ujson_dumps(const Json& value) {
  std::string out;
  dump_into(out, value, false, ujson_double);
  return out;
}

std::string confection_dump_value(const Json& value) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (has_variable(s)) return s;
    // `value.replace(".", "", 1).isdigit()`: a string of digits is quoted once more.
    std::string t = s;
    size_t dot = t.find('.');
    if (dot != std::string::npos) t.erase(dot, 1);
    if (!t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return ujson_dumps(Json("\"" + s + "\""));
    }
  }
  return ujson_dumps(value);
}

bool py_isspace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string_view py_lstrip(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t len;
    uint32_t cp = decode_cp(s, i, len);
    if (!py_isspace(cp)) break;
    i += len;
  }
  return s.substr(i);
}

std::string_view py_rstrip(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    // Find the start of the last code point.
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && end - start < 4) --start;
    size_t len;
    uint32_t cp = decode_cp(s, start, len);
    if (start + len != end) {  // not a whole code point: treat the last byte alone
      start = end - 1;
      cp = static_cast<unsigned char>(s[start]);
    }
    if (!py_isspace(cp)) break;
    end = start;
  }
  return s.substr(0, end);
}

std::string_view py_strip(std::string_view s) { return py_rstrip(py_lstrip(s)); }

bool has_variable(std::string_view s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '$' || s[i + 1] != '{') continue;
    size_t j = i + 2;
    while (j < s.size()) {
      unsigned char c = static_cast<unsigned char>(s[j]);
      if (c < 0x80) {
        if (std::isalnum(c) || c == '_' || c == '.' || c == ':') {
          ++j;
          continue;
        }
        break;
      }
      size_t len;
      uint32_t cp = decode_cp(s, j, len);
      if (py_isspace(cp)) break;
      j += len;  // non-ASCII letters and digits are \w in Python; punctuation is rare in keys
    }
    if (j > i + 2 && j < s.size() && s[j] == '}') return true;
  }
  return false;
}

void check_utf8(std::string_view s, const std::string& source_name) {
  size_t i = 0;
  int line = 1;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') ++line;
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    bool ok = extra > 0 && i + static_cast<size_t>(extra) < s.size();
    uint32_t cp = 0;
    if (ok) {
      cp = c & (extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07);
      for (int k = 1; k <= extra; ++k) {
        unsigned char o = static_cast<unsigned char>(s[i + k]);
        if ((o & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (o & 0x3F);
      }
      static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
      if (ok && (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    }
    if (!ok) {
      throw ConfigError({}, source_name + ", line " + std::to_string(line) +
                                ": not valid UTF-8 (byte " + std::to_string(i) + ")");
    }
    i += static_cast<size_t>(extra) + 1;
  }
}

}  // namespace trfpipe::config
