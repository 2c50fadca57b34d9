#include "registry/types.hpp"

#include <vector>

namespace trfpipe::registry::types {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// "float|Schedule" -> {"float", "Schedule"}; "|" inside brackets does not split.
std::vector<std::string> alternatives(const std::string& type) {
  std::vector<std::string> out;
  int depth = 0;
  std::string current;
  for (char c : type) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == '|' && depth == 0) {
      out.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(trim(current));
  return out;
}

// "list[T]" -> "T"; empty when t is not of that form.
std::string list_element_type(const std::string& t) {
  if (t.size() > 6 && t.compare(0, 5, "list[") == 0 && t.back() == ']') return t.substr(5, t.size() - 6);
  return "";
}

bool alternative_accepts(const std::string& t, const Value& v) {
  if (t.empty() || t == "any") return true;
  if (t == "int") return v.is_json() && v.json().is_number_integer();
  if (t == "float") return v.is_json() && v.json().is_number();
  if (t == "bool") return v.is_json() && v.json().is_boolean();
  if (t == "str") return v.is_json() && v.json().is_string();
  if (t == "null") return v.is_null();
  if (t == "dict") return v.is_section();
  if (t == "list") return v.is_list();
  std::string element_type = list_element_type(t);
  if (!element_type.empty()) {
    if (!v.is_list()) return false;
    for (const Value& e : v.elements()) {
      if (!accepts(element_type, e)) return false;
    }
    return true;
  }
  return v.is_object();  // an object kind: "Model", "Callable", ...
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

bool accepts(const std::string& type, const Value& value) {
  for (const std::string& t : alternatives(type)) {
    if (alternative_accepts(t, value)) return true;
  }
  return false;
}

std::string spelling_problem(const std::string& type) {
  for (const std::string& t : alternatives(type)) {
    std::string element_type = list_element_type(t);
    if (!element_type.empty()) {
      std::string inner = spelling_problem(element_type);
      if (!inner.empty()) return inner;
      continue;
    }
    for (const char* python : {"Optional", "Union", "List", "Dict", "Tuple"}) {
      if (t == python || starts_with(t, (std::string(python) + "[").c_str())) {
        return "'" + t + "' is a Python spelling: write \"T|null\" for Optional, \"A|B\" for Union, "
               "\"list\"/\"list[T]\", \"dict\"";
      }
    }
    for (const char* wrong : {"integer", "string", "double", "boolean", "number", "object", "array"}) {
      if (t == wrong) return "'" + t + "' is not a type: use int, float, bool, str, list, dict, any or null";
    }
  }
  return "";
}

}  // namespace trfpipe::registry::types
