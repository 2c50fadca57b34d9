// Reading .cfg text as confection 0.0.4 does: Python's configparser (strict, `=`/`:`, full-line
// `#`/`;` comments, indented continuation lines, empty lines kept inside values), confection's
// custom interpolation (`${a.b}`, `${a:b}`, section references, `$$`), then `interpret_config`:
// sections sorted, nested by depth, values read as JSON (srsly/ujson) with string fallback, and
// section references replaced by the sections themselves.
#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "config/internal.hpp"
#include "config/text_util.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::config {

namespace {

const std::string kSectionPrefix = "__SECTION__:";
constexpr int kMaxInterpolationDepth = 10;  // configparser.MAX_INTERPOLATION_DEPTH
constexpr size_t kMaxInterpolatedSize = size_t{64} << 20;

struct Option {
  std::string key;
  std::vector<std::string> lines;  // joined at the end of reading
  std::string value;
  int line = 0;
};

struct Section {
  std::string name;
  int line = 0;
  std::vector<Option> options;
  std::unordered_map<std::string, size_t> index;

  Option* find(const std::string& key) {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &options[it->second];
  }
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  for (std::string_view part : split_on(s, sep)) parts.emplace_back(part);
  return parts;
}

std::string quote(std::string_view s) {
  std::string out = "'";
  out += s;
  out += "'";
  return out;
}

// Python's universal newlines: "\r\n" and "\r" read as "\n".
std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Code points of leading whitespace (Python's `\S` search on the line).
size_t indent_of(std::string_view line) {
  std::string_view rest = py_lstrip(line);
  std::string_view ws = line.substr(0, line.size() - rest.size());
  size_t n = 0;
  for (char c : ws) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Key lookups into the ordered_json objects the parser builds. ordered_json finds keys by a linear
// scan, so inserting n sections into one object took O(n^2) (a 100k-section config took minutes);
// this keeps the position of every key, by the path of the object that holds it. (Not pointers:
// the vector behind an ordered_json object copies its elements when it grows, since a
// pair<const string, Json> cannot be moved without the risk of throwing.) Positions never change,
// as keys are only appended.
class KeyIndex {
 public:
  // The child `key` of `obj`, the object at `path` ("" for the root), or nullptr.
  Json* find(Json& obj, const std::string& path, const std::string& key) {
    index(obj, path);
    auto it = pos_.find(child_path(path, key));
    return it == pos_.end() ? nullptr : &items(obj)[it->second].second;
  }
  // Sets obj[key] = value, appending the key when it is new (the order ordered_json keeps).
  Json& set(Json& obj, const std::string& path, const std::string& key, Json value) {
    const std::string child = child_path(path, key);
    if (Json* existing = find(obj, path, key)) {
      forget(child);  // positions inside the replaced value no longer hold
      return *existing = std::move(value);
    }
    auto& list = items(obj);
    pos_.emplace(child, list.size());
    list.emplace_back(key, std::move(value));  // no lookup: the index said the key is new
    return list.back().second;
  }
  static std::string child_path(const std::string& path, const std::string& key) {
    return path + '\0' + key;
  }

 private:
  using Items = Json::object_t::Container;
  static Items& items(Json& obj) { return obj.get_ref<Json::object_t&>(); }
  // Objects that came from a JSON value (an inline dict) are indexed when first looked into.
  void index(Json& obj, const std::string& path) {
    if (!indexed_.insert(path).second) return;
    const Items& list = items(obj);
    for (size_t i = 0; i < list.size(); ++i) pos_.emplace(child_path(path, list[i].first), i);
  }
  void forget(const std::string& path) {
    const std::string below = path + '\0';
    auto under = [&](const std::string& p) { return p.compare(0, below.size(), below) == 0; };
    for (auto it = indexed_.begin(); it != indexed_.end();) it = *it == path || under(*it) ? indexed_.erase(it) : std::next(it);
    for (auto it = pos_.begin(); it != pos_.end();) it = under(it->first) ? pos_.erase(it) : std::next(it);
  }
  std::unordered_map<std::string, size_t> pos_;  // path of a key -> its position in its object
  std::unordered_set<std::string> indexed_;      // paths of the objects whose keys are in pos_
};

// Sections nest one level per dot; nothing real comes near this, and the tree is walked
// recursively afterwards (section references, filling, writing).
constexpr size_t kMaxSectionDepth = 256;

class Parser {
 public:
  Parser(const std::string& source, bool interpolate) : source_(source), interpolate_(interpolate) {
    defaults_.name = "DEFAULT";
  }

  Json run(std::string_view text) {
    read(text);
    return interpret();
  }

 private:
  std::string source_;
  bool interpolate_;
  std::vector<Section> sections_;
  std::unordered_map<std::string, size_t> section_index_;
  Section defaults_;
  size_t work_ = 0;

  std::string where(int line) const { return source_ + ", line " + std::to_string(line); }

  Section* find_section(const std::string& name) {
    auto it = section_index_.find(name);
    return it == section_index_.end() ? nullptr : &sections_[it->second];
  }

  // --- configparser.RawConfigParser._read --------------------------------------------------
  void read(std::string_view raw_text) {
    std::string text = normalize_newlines(raw_text);
    Section* cursect = nullptr;
    Option* cur_option = nullptr;  // optname
    size_t indent_level = 0;
    std::set<std::pair<std::string, std::string>> options_added;
    int first_error_line = 0;
    std::string first_error_text;
    int lineno = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      std::string_view line = nl == std::string::npos
                                  ? std::string_view(text).substr(pos)
                                  : std::string_view(text).substr(pos, nl - pos);
      pos = nl == std::string::npos ? text.size() : nl + 1;
      ++lineno;
      std::string_view stripped = py_strip(line);
      bool comment = !stripped.empty() && (stripped[0] == '#' || stripped[0] == ';');
      std::string_view value = comment ? std::string_view() : stripped;
      if (value.empty()) {
        // An empty line inside a value is kept (joined as "\n"); a comment line is skipped.
        if (!comment && cursect && cur_option) cur_option->lines.emplace_back();
        continue;
      }
      size_t cur_indent = indent_of(line);
      if (cursect && cur_option && cur_indent > indent_level) {
        cur_option->lines.emplace_back(value);
        continue;
      }
      indent_level = cur_indent;
      size_t close = value.rfind(']');
      if (value[0] == '[' && close != std::string_view::npos && close >= 2) {
        std::string name(value.substr(1, close - 1));
        if (find_section(name)) {
          throw ConfigError(split(name, '.'), where(lineno) + ": section " + quote(name) +
                                                  " already exists (duplicate section)");
        }
        if (name == "DEFAULT") {
          cursect = &defaults_;
          if (defaults_.line == 0) defaults_.line = lineno;
        } else {
          section_index_[name] = sections_.size();
          sections_.push_back(Section{name, lineno, {}, {}});
          cursect = &sections_.back();
        }
        cur_option = nullptr;
        continue;
      }
      if (!cursect) {
        throw ConfigError({}, where(lineno) + ": " + quote(value) +
                                  " is outside any section: a config must start with a [section] "
                                  "header (top-level keys are not allowed)");
      }
      size_t delim = value.find_first_of("=:");
      if (delim == std::string_view::npos) {
        if (!first_error_line) {
          first_error_line = lineno;
          first_error_text = std::string(value);
        }
        continue;  // configparser collects these and fails at the end
      }
      std::string key(py_rstrip(value.substr(0, delim)));
      std::string optval(py_strip(value.substr(delim + 1)));
      if (key.empty() && !first_error_line) {
        first_error_line = lineno;
        first_error_text = std::string(value);
      }
      if (!options_added.insert({cursect->name, key}).second) {
        std::vector<std::string> path = split(cursect->name, '.');
        path.push_back(key);
        throw ConfigError(path, where(lineno) + ": option " + quote(key) + " in section " +
                                    quote(cursect->name) + " already exists (duplicate key)");
      }
      // (A section is only entered once, so the key cannot already be there.)
      cursect->index[key] = cursect->options.size();
      cursect->options.push_back(Option{key, {optval}, {}, lineno});
      cur_option = &cursect->options.back();
    }
    for (Section* sec : all_sections()) {
      for (Option& opt : sec->options) {
        std::string joined;
        for (size_t i = 0; i < opt.lines.size(); ++i) {
          if (i) joined += '\n';
          joined += opt.lines[i];
        }
        opt.value = std::string(py_rstrip(joined));
        opt.lines.clear();
        if (interpolate_) {
          // confection's CustomInterpolation.before_read: a JSON string value is unquoted once.
          auto j = ujson_loads(opt.value);
          if (j && j->is_string()) {
            const std::string& s = j->get_ref<const std::string&>();
            if (s != "true" && s != "false" && s != "null") opt.value = s;
          }
        }
      }
    }
    if (first_error_line) {
      throw ConfigError({}, where(first_error_line) + ": cannot parse " + quote(first_error_text) +
                                ": expected `key = value`, `[section]` or a comment");
    }
  }

  std::vector<Section*> all_sections() {
    std::vector<Section*> out{&defaults_};
    for (auto& s : sections_) out.push_back(&s);
    return out;
  }

  // --- CustomInterpolation.interpolate --------------------------------------------------------
  void interpolate_into(std::string& accum, const Section& section, const std::string& option,
                        std::string_view rest, int depth) {
    if (depth > kMaxInterpolationDepth) {
      throw ConfigError(path_of(section.name, option),
                        "interpolation nested more than 10 deep (is there a reference cycle?)");
    }
    while (!rest.empty()) {
      if (++work_ > 2000000 || accum.size() > kMaxInterpolatedSize) {
        throw ConfigError(path_of(section.name, option), "interpolation grows too large");
      }
      size_t p = rest.find('$');
      if (p == std::string_view::npos) {
        accum += rest;
        return;
      }
      accum += rest.substr(0, p);
      rest = rest.substr(p);
      char c = rest.size() > 1 ? rest[1] : '\0';
      if (c == '$') {
        accum += '$';
        rest = rest.substr(2);
        continue;
      }
      if (c != '{') {
        throw ConfigError(path_of(section.name, option),
                          "'$' must be followed by '$' or '{' (write '$$' for a literal '$'), found: " +
                              quote(rest));
      }
      size_t close = rest.find('}', 2);
      if (close == std::string_view::npos || close == 2) {
        throw ConfigError(path_of(section.name, option),
                          "bad interpolation variable reference " + quote(rest) +
                              " (unterminated or empty ${...})");
      }
      std::string orig_var(rest.substr(2, close - 2));
      rest = rest.substr(close + 1);
      std::string var = orig_var;
      std::replace(var.begin(), var.end(), ':', '.');
      size_t dot = var.rfind('.');
      const Section* sect = &section;
      std::string opt;
      std::string v;
      auto missing = [&]() {
        return ConfigError(path_of(section.name, option),
                           "reference ${" + orig_var + "} is undefined: there is no key or section " +
                               quote(var));
      };
      if (dot == std::string::npos) {
        opt = var;
        if (const Option* o = const_cast<Section&>(section).find(opt)) {
          v = o->value;
        } else if (find_section(var)) {
          v = "\"" + kSectionPrefix + var + "\"";
        } else {
          throw missing();
        }
      } else {
        std::string sect_name = var.substr(0, dot);
        opt = var.substr(dot + 1);
        Section* target = find_section(sect_name);
        const Option* o = target ? target->find(opt) : nullptr;
        if (o) {
          v = o->value;
          sect = target;
        } else if (find_section(var)) {
          v = "\"" + kSectionPrefix + var + "\"";
          if (target) sect = target;
        } else {
          throw missing();
        }
      }
      if (v.find('$') != std::string::npos) {
        interpolate_into(accum, *sect, opt, v, depth + 1);
      } else {
        accum += v;
      }
    }
  }

  static std::vector<std::string> path_of(const std::string& section, const std::string& key) {
    std::vector<std::string> p = split(section, '.');
    p.push_back(key);
    return p;
  }

  // --- Config._interpret_value ----------------------------------------------------------------
  static Json interpret_element(Json e) {
    if (e.is_string()) {
      std::string s = e.get<std::string>();
      auto r = ujson_loads(s);
      if (!r) return e;
      if (r->is_string() && has_variable(s)) return e;
      if (r->is_array()) {
        for (auto& x : *r) x = interpret_element(std::move(x));
      }
      return *r;
    }
    if (e.is_array()) {
      for (auto& x : e) x = interpret_element(std::move(x));
    }
    return e;
  }


 public:
  static Json interpret_value(const std::string& value) {
    auto r = ujson_loads(value);
    if (!r) return Json(value);
    if (r->is_string() && has_variable(value)) return Json(value);
    if (r->is_array()) {
      for (auto& x : *r) x = interpret_element(std::move(x));
    }
    return std::move(*r);
  }

 private:

  // --- Config._sort and interpret_config ------------------------------------------------------
  static std::vector<std::optional<std::string>> masked(const std::string& name) {
    std::vector<std::optional<std::string>> parts;
    for (auto& p : split(name, '.')) parts.emplace_back(std::move(p));
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i - 1] && *parts[i - 1] == "*") parts[i] = std::nullopt;
    }
    return parts;
  }

  static bool masked_less(const std::vector<std::optional<std::string>>& a,
                          const std::vector<std::optional<std::string>>& b) {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      if (a[i] == b[i]) continue;
      if (!a[i] || !b[i]) return !a[i];  // not reached: Python would raise TypeError
      return *a[i] < *b[i];
    }
    return a.size() < b.size();
  }

  Json interpret() {
    if (!defaults_.options.empty()) {
      const Option& o = defaults_.options.front();
      throw ConfigError({o.key}, where(o.line) + ": values without a top-level section ([DEFAULT] "
                                                 "is not a config section)");
    }
    std::vector<size_t> order(sections_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::vector<std::vector<std::optional<std::string>>> keys;
    for (auto& s : sections_) keys.push_back(masked(s.name));
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return masked_less(keys[a], keys[b]); });
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return keys[a].size() < keys[b].size(); });

    Json root = Json::object();
    KeyIndex keys_of;
    for (size_t idx : order) {
      Section& sec = sections_[idx];
      std::vector<std::string> parts = split(sec.name, '.');
      if (parts.size() > kMaxSectionDepth)
        throw ConfigError({}, where(sec.line) + ": section " + quote(sec.name.substr(0, 80) + "...") +
                                  " is nested more than " + std::to_string(kMaxSectionDepth) +
                                  " levels deep");
      Json* node = &root;
      std::string path;
      for (size_t i = 0; i + 1 < parts.size(); ++i) {
        const std::string& part = parts[i];
        if (!node->is_object()) throw conflict(parts, sec);
        Json* child = keys_of.find(*node, path, part);
        if (!child && part == "*") child = &keys_of.set(*node, path, part, Json::object());
        if (!child) {
          throw ConfigError(parts, where(sec.line) + ": section " + quote(part) +
                                       " is not defined (a section's parent must be defined: "
                                       "perhaps a section name is wrong?)");
        }
        node = child;
        path = KeyIndex::child_path(path, part);
      }
      if (!node->is_object()) throw conflict(parts, sec);
      Json* own = keys_of.find(*node, path, parts.back());
      node = own ? own : &keys_of.set(*node, path, parts.back(), Json::object());
      path = KeyIndex::child_path(path, parts.back());
      if (!node->is_object()) throw conflict(parts, sec);
      std::vector<Json> values;
      values.reserve(sec.options.size());
      for (const Option& opt : sec.options) {
        if (interpolate_) {
          std::string accum;
          interpolate_into(accum, sec, opt.key, opt.value, 1);
          values.push_back(interpret_value(accum));
        } else {
          values.push_back(interpret_value(opt.value));
        }
      }
      for (size_t i = 0; i < sec.options.size(); ++i) keys_of.set(*node, path, sec.options[i].key, std::move(values[i]));
    }
    RefState state;
    replace_refs(root, {}, root, state);
    return root;
  }

  ConfigError conflict(const std::vector<std::string>& parts, const Section& sec) const {
    return ConfigError(parts, where(sec.line) + ": found conflicting values: [" + sec.name +
                                  "] is a section, but a value of that name is already defined");
  }

  // --- Config.replace_section_refs --------------------------------------------------------------
  struct RefState {
    std::set<std::vector<std::string>> in_progress;
    std::set<std::vector<std::string>> done;
  };

  void replace_refs(Json& root, const std::vector<std::string>& path, Json& node, RefState& st) {
    if (st.done.count(path)) return;
    if (st.in_progress.count(path)) {
      throw ConfigError(path, "section references form a cycle (a section refers to itself)");
    }
    st.in_progress.insert(path);
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::vector<std::string> child = path;
      child.push_back(it.key());
      Json& v = it.value();
      if (v.is_object()) {
        replace_refs(root, child, v, st);
      } else if (v.is_array()) {
        for (auto& e : v) e = section_ref(root, e, child, st);
      } else {
        v = section_ref(root, v, child, st);
      }
    }
    st.in_progress.erase(path);
    st.done.insert(path);
  }

  Json section_ref(Json& root, const Json& value, const std::vector<std::string>& parent, RefState& st) {
    if (!value.is_string()) return value;
    Json v = value;
    const std::string& s0 = value.get_ref<const std::string&>();
    if (s0.rfind("\"" + kSectionPrefix, 0) == 0) {
      if (auto loaded = ujson_loads(s0)) v = *loaded;
    }
    if (!v.is_string()) return v;
    std::string s = v.get<std::string>();
    if (s.rfind(kSectionPrefix, 0) == 0) {
      std::string name;
      for (size_t p = 0;;) {  // value.replace(SECTION_PREFIX, "")
        size_t q = s.find(kSectionPrefix, p);
        name += s.substr(p, q == std::string::npos ? std::string::npos : q - p);
        if (q == std::string::npos) break;
        p = q + kSectionPrefix.size();
      }
      std::vector<std::string> parts = split(name, '.');
      Json* target = &root;
      for (const auto& item : parts) {
        if (!target->is_object() || !target->contains(item)) {
          throw ConfigError(parts, "section " + quote(name) + " is not defined (referenced from " +
                                       ConfigError::format_path(parent) + ")");
        }
        target = &(*target)[item];
      }
      if (target->is_object()) replace_refs(root, parts, *target, st);
      return *target;
    }
    if (s.find(kSectionPrefix) != std::string::npos) {
      throw ConfigError(parent,
                        "uses a section variable in a string or list: a reference to a whole "
                        "section can only be the entire value (reference a value instead)");
    }
    return v;
  }
};

}  // namespace

Json interpret_cfg_value(const std::string& text) { return Parser::interpret_value(text); }

Json parse_cfg_text(std::string_view text, const std::string& source_name, bool interpolate) {
  check_utf8(text, source_name);
  Parser parser(source_name, interpolate);
  return parser.run(text);
}

}  // namespace trfpipe::config
