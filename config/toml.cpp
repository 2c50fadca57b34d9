// The config tree as TOML. Written by hand so that key order is kept (toml++ tables are sorted
// maps); read with toml++, restoring order from each key's source position.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <toml++/toml.h>

#include "config/internal.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::config {
namespace {

const char* kNullKey = "__null__";

// TOML basic strings escape as JSON strings do.
std::string toml_string(std::string_view s) { return json_dumps(Json(std::string(s))); }

std::string toml_key(const std::string& k) {
  bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  return bare ? k : toml_string(k);
}

std::string toml_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, d);
    if (std::strtod(buf, nullptr) == d || p == 17) break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string toml_value(const Json& v, const std::vector<std::string>& path) {
  switch (v.type()) {
    case Json::value_t::null: return std::string("{ ") + kNullKey + " = true }";
    case Json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(v.get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) {
        throw ConfigError(path, "integer " + std::to_string(u) + " is beyond TOML's 64-bit signed range");
      }
      return std::to_string(u);
    }
    case Json::value_t::number_float: return toml_float(v.get<double>());
    case Json::value_t::string: return toml_string(v.get_ref<const std::string&>());
    case Json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ", ";
        first = false;
        out += toml_value(e, path);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      if (v.empty()) return "{}";
      std::string out = "{ ";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += toml_key(it.key()) + " = " + toml_value(it.value(), path);
      }
      return out + " }";
    }
    default: throw ConfigError(path, "value has no TOML form");
  }
}

void emit_table(std::string& out, const Json& node, std::vector<std::string>& path) {
  // Members after the last plain value become [tables]; dicts before it stay inline, in place.
  size_t n = node.size(), split = 0, i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    if (!it.value().is_object()) split = i + 1;
  }
  i = 0;
  for (auto it = node.begin(); it != node.end() && i < split; ++it, ++i) {
    path.push_back(it.key());
    out += toml_key(it.key()) + " = " + toml_value(it.value(), path) + "\n";
    path.pop_back();
  }
  i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    if (i < split) continue;
    path.push_back(it.key());
    if (!out.empty()) out += "\n";
    out += "[";
    for (size_t k = 0; k < path.size(); ++k) out += (k ? "." : "") + toml_key(path[k]);
    out += "]\n";
    emit_table(out, it.value(), path);
    path.pop_back();
  }
  (void)n;
}

Json from_toml(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    if (t->size() == 1) {
      const toml::node* marker = t->get(kNullKey);
      if (marker && marker->is_boolean() && marker->as_boolean()->get()) return Json(nullptr);
    }
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [k, v] : *t) entries.emplace_back(&k, &v);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.first->source().begin < b.first->source().begin;
    });
    Json out = Json::object();
    for (const auto& [k, v] : entries) out[std::string(k->str())] = from_toml(*v);
    return out;
  }
  if (const auto* a = node.as_array()) {
    Json out = Json::array();
    for (const auto& e : *a) out.push_back(from_toml(e));
    return out;
  }
  if (const auto* s = node.as_string()) return Json(s->get());
  if (const auto* i = node.as_integer()) return Json(i->get());
  if (const auto* f = node.as_floating_point()) return Json(f->get());
  if (const auto* b = node.as_boolean()) return Json(b->get());
  std::ostringstream os;
  if (const auto* d = node.as_date()) os << d->get();
  else if (const auto* tm = node.as_time()) os << tm->get();
  else if (const auto* dt = node.as_date_time()) os << dt->get();
  return Json(os.str());
}

}  // namespace
}  // namespace trfpipe::config

namespace trfpipe {

std::string write_toml(const Json& tree) {
  if (!tree.is_object()) throw ConfigError({}, "a config is a dict of sections, not " + std::string(tree.type_name()));
  std::string out;
  std::vector<std::string> path;
  config::emit_table(out, tree, path);
  return out;
}

Json parse_toml(std::string_view text, const std::string& source_name) {
  config::check_utf8(text, source_name);
  try {
    toml::table table = toml::parse(text, std::string_view(source_name));
    return config::from_toml(table);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigError({}, source_name + ", line " + std::to_string(where.line) + ", column " +
                              std::to_string(where.column) + ": " + std::string(e.description()));
  }
}

}  // namespace trfpipe
