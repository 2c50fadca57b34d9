// Writing a config tree as .cfg text in confection's layout ([a.b] sections, compact JSON values,
// strings with ${...} written as they are), chosen so that reading it back gives the same tree:
// the reader orders a dict as "own values, then subsections sorted by name", so members are written
// as [sections] only where that order holds; a dict standing before a plain value is written
// inline as JSON.
#include <algorithm>
#include <unordered_map>

#include "config/internal.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::config {
namespace {

bool valid_section_part(const std::string& k) {
  return !k.empty() && k.find_first_of(".\n\r") == std::string::npos && k.find('\0') == std::string::npos;
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.find_first_of("=:\n\r") != std::string::npos) return false;
  if (k.find('\0') != std::string::npos) return false;
  if (py_strip(k).size() != k.size()) return false;
  return k[0] != '#' && k[0] != ';' && k[0] != '[';
}

// A list member that the reader would read as JSON once more (confection 0.0.4 re-reads string
// members of lists) is written as the JSON text of itself, so that the second reading restores it.
bool needs_protection(const std::string& s) {
  auto r = ujson_loads(s);
  return r && !(r->is_string() && has_variable(s));
}

std::string dump_list(const Json& arr) {
  std::string out = "[";
  bool first = true;
  for (const auto& e : arr) {
    if (!first) out += ',';
    first = false;
    if (e.is_string() && needs_protection(e.get_ref<const std::string&>())) {
      out += json_dumps(Json(json_dumps(e, true)));
    } else if (e.is_array()) {
      out += dump_list(e);
    } else {
      out += json_dumps(e);
    }
  }
  return out + "]";
}

std::string leaf_text(const Json& v) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (!has_variable(s)) return json_dumps(v);
    // confection's try_dump_json: a value with a variable is written as it is.
    std::string out;
    for (char c : s) {
      if (c == '\n') out += "\n\t";
      else out += c;
    }
    return out;
  }
  if (v.is_array()) return dump_list(v);
  return json_dumps(v);
}

class Writer {
 public:
  std::string run(const Json& tree) {
    if (!tree.is_object()) throw ConfigError({}, "a config is a dict of sections, not " + std::string(tree.type_name()));
    for (auto it = tree.begin(); it != tree.end(); ++it) {
      if (!it.value().is_object()) {
        throw ConfigError({it.key()}, "found a config value without a top-level section: .cfg "
                                      "values must be inside a [section]");
      }
      if (!valid_section_part(it.key()) || it.key() == "DEFAULT") {
        throw ConfigError({it.key()}, "cannot be written as a .cfg section name");
      }
    }
    std::vector<std::string> path;
    for (auto it = tree.begin(); it != tree.end(); ++it) {
      path.push_back(it.key());
      emit(it.value(), path, header_needed(it.key(), it.value()));
      path.pop_back();
    }
    return out_;
  }

 private:
  std::string out_;
  std::unordered_map<const Json*, size_t> splits_;

  static bool is_star_node(const std::vector<std::string>& path) { return !path.empty() && path.back() == "*"; }

  // A "*" dict holding only positional subsections gets no header of its own (confection writes
  // none); the reader creates it when it meets the first [x.*.name].
  bool header_needed(const std::string& key, const Json& child) {
    if (key != "*") return true;
    return child.empty() || split_of(child, true) > 0;
  }

  // Members [0, split) are written as `key = value`, [split, n) as subsections.
  size_t split_of(const Json& node, bool node_is_star) {
    auto found = splits_.find(&node);
    if (found != splits_.end()) return found->second;
    std::vector<std::pair<std::string, const Json*>> members;
    for (auto it = node.begin(); it != node.end(); ++it) members.emplace_back(it.key(), &it.value());
    size_t n = members.size();
    size_t result = n;
    for (size_t k = 0; k < n; ++k) {
      bool ok = true;
      for (size_t i = k; i < n && ok; ++i) {
        ok = members[i].second->is_object() && valid_section_part(members[i].first);
      }
      if (!ok) continue;
      // The order in which the reader will create these subsections.
      std::vector<size_t> explicit_, implicit_;
      for (size_t i = k; i < n; ++i) {
        (header_needed(members[i].first, *members[i].second) ? explicit_ : implicit_).push_back(i);
      }
      if (!node_is_star) {
        std::stable_sort(explicit_.begin(), explicit_.end(),
                         [&](size_t a, size_t b) { return members[a].first < members[b].first; });
      }
      explicit_.insert(explicit_.end(), implicit_.begin(), implicit_.end());
      bool in_order = true;
      for (size_t i = 0; i < explicit_.size(); ++i) in_order = in_order && explicit_[i] == k + i;
      if (in_order) {
        result = k;
        break;
      }
    }
    splits_[&node] = result;
    return result;
  }

  void emit(const Json& node, std::vector<std::string>& path, bool header) {
    std::string name;
    for (size_t i = 0; i < path.size(); ++i) name += (i ? "." : "") + path[i];
    size_t split = split_of(node, is_star_node(path));
    if (header) out_ += "[" + name + "]\n";
    size_t i = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++i) {
      if (i >= split) break;
      if (!valid_key(it.key())) {
        std::vector<std::string> p = path;
        p.push_back(it.key());
        throw ConfigError(p, "this key cannot be written in .cfg (empty, or has '=', ':', a newline, "
                             "surrounding spaces, or a leading '#', ';' or '[')");
      }
      out_ += it.key() + " = " + leaf_text(it.value()) + "\n";
    }
    if (header) out_ += "\n";
    i = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++i) {
      if (i < split) continue;
      path.push_back(it.key());
      emit(it.value(), path, header_needed(it.key(), it.value()));
      path.pop_back();
    }
  }
};

}  // namespace

std::string write_cfg_confection(const Json& tree) {
  if (!tree.is_object()) throw ConfigError({}, "a config is a dict of sections");
  struct Out {
    std::string name;
    std::string body;
  };
  std::vector<Out> sections;
  std::unordered_map<std::string, size_t> index;
  std::vector<std::pair<std::vector<std::string>, const Json*>> queue{{{}, &tree}};
  for (size_t q = 0; q < queue.size(); ++q) {
    std::vector<std::string> path = queue[q].first;  // copied: the queue grows below
    const Json& node = *queue[q].second;
    std::string name;
    for (size_t i = 0; i < path.size(); ++i) name += (i ? "." : "") + path[i];
    bool is_kwarg = !path.empty() && path.back() != "*";
    if (is_kwarg && !index.count(name)) {
      index[name] = sections.size();
      sections.push_back({name, ""});
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const Json& value = it.value();
      std::string text;
      if (value.is_object()) {
        bool promise = false;
        for (auto jt = value.begin(); jt != value.end(); ++jt) promise = promise || jt.key().rfind('@', 0) == 0;
        if (!(promise && value.size() == 1 && is_kwarg)) {
          std::vector<std::string> child = path;
          child.push_back(it.key());
          queue.emplace_back(std::move(child), &value);
          continue;
        }
      }
      text = confection_dump_value(value);
      auto found = index.find(name);
      if (found == index.end()) {
        std::vector<std::string> p = path;
        p.push_back(it.key());
        throw ConfigError(p, "no section to write this value in");
      }
      std::string line = it.key() + " = ";
      for (char c : text) line += c == '\n' ? std::string("\n\t") : std::string(1, c);
      sections[found->second].body += line + "\n";
    }
  }
  std::string out;
  for (const auto& sec : sections) out += "[" + sec.name + "]\n" + sec.body + "\n";
  return out;
}

}  // namespace trfpipe::config

namespace trfpipe {

Json sections_last(const Json& tree) {
  if (!tree.is_object()) return tree;
  Json out = Json::object();
  for (auto it = tree.begin(); it != tree.end(); ++it)
    if (!it.value().is_object()) out[it.key()] = it.value();
  std::vector<std::string> subs;
  for (auto it = tree.begin(); it != tree.end(); ++it)
    if (it.value().is_object()) subs.push_back(it.key());
  std::sort(subs.begin(), subs.end());
  for (const auto& k : subs) out[k] = sections_last(tree[k]);
  return out;
}

std::string write_cfg(const Json& tree) {
  config::Writer writer;
  std::string out = writer.run(tree);
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

}  // namespace trfpipe
