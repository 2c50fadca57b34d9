// Public entry points of the config area: parse, interpolate, overrides, files.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "config/internal.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t p = s.find('.', start);
    if (p == std::string::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

Json interpolate_named(const Json& raw, const std::string& source_name) {
  // As confection's Config.interpolate(): write the tree, read it back with interpolation.
  return config::parse_cfg_text(write_cfg(raw), source_name, true);
}

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

Json parse_cfg(std::string_view text, const std::string& source_name) {
  return config::parse_cfg_text(text, source_name, false);
}

Json interpolate(const Json& raw) { return interpolate_named(raw, "<interpolated config>"); }

void apply_overrides(Json& raw, const ConfigOverrides& overrides) {
  if (!raw.is_object()) throw ConfigError({}, "overrides need a config tree (a dict of sections)");
  for (const auto& [key, text] : overrides) {
    std::vector<std::string> parts = split_dots(key);
    if (parts.size() < 2) {
      throw ConfigError(parts, "error parsing config overrides: '" + key +
                                   "' is not a section value that can be overwritten (use "
                                   "--section.key value)");
    }
    Json* node = &raw;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!node->is_object() || !node->contains(parts[i]) || !(*node)[parts[i]].is_object()) {
        std::string section = key.substr(0, key.rfind('.'));
        throw ConfigError(parts, "error parsing config overrides: section [" + section +
                                     "] does not exist, so '" + key + "' cannot be overwritten");
      }
      node = &(*node)[parts[i]];
    }
    const std::string& option = parts.back();
    // spaCy reads an override value as JSON, else as the string itself; confection writes it
    // into the parser as JSON text and reads it back as any other value.
    auto parsed = config::ujson_loads(text);
    Json value = config::interpret_cfg_value(config::confection_dump_value(parsed ? *parsed : Json(text)));
    // The tree does not say which dicts were [sections] and which inline values; as the writer
    // does, dicts after the section's last plain value count as sections.
    size_t last_plain = 0, position = 0, index = 0;
    for (auto it = node->begin(); it != node->end(); ++it, ++index) {
      if (!it.value().is_object()) last_plain = index + 1;
      if (it.key() == option) position = index;
    }
    if (node->contains(option)) {
      Json& slot = (*node)[option];
      if (slot.is_object() && position >= last_plain) {
        if (!value.is_object()) {
          throw ConfigError(parts, "error parsing config overrides: '" + key +
                                       "' is a section and cannot be set to a value");
        }
        // confection sets the value, then reads the section into it: section keys win.
        for (auto it = slot.begin(); it != slot.end(); ++it) value[it.key()] = it.value();
      }
      slot = std::move(value);
    } else {
      // A new key joins the section's values, before its subsections (as the reader orders them).
      Json rebuilt = Json::object();
      bool inserted = false;
      size_t i = 0;
      for (auto it = node->begin(); it != node->end(); ++it, ++i) {
        if (i == last_plain && !inserted) {
          rebuilt[option] = value;
          inserted = true;
        }
        rebuilt[it.key()] = it.value();
      }
      if (!inserted) rebuilt[option] = value;
      *node = std::move(rebuilt);
    }
  }
}

Json load_config(std::string_view text, const ConfigOverrides& overrides, bool do_interpolate,
                 const std::string& source_name) {
  if (overrides.empty()) return config::parse_cfg_text(text, source_name, do_interpolate);
  Json raw = config::parse_cfg_text(text, source_name, false);
  apply_overrides(raw, overrides);
  if (!do_interpolate) return raw;
  // As confection: the tree with overrides is written by Config.to_str() and read back.
  return config::parse_cfg_text(config::write_cfg_confection(raw), source_name + " (with overrides)", true);
}

namespace {

Json load_config_file_impl(const std::string& path, const ConfigOverrides& overrides, bool do_interpolate);

}  // namespace

Json load_config_file(const std::string& path, const ConfigOverrides& overrides, bool do_interpolate) {
  try {
    return load_config_file_impl(path, overrides, do_interpolate);
  } catch (const ConfigError& e) {
    // Parse errors name the file already; interpolation and override errors name a key path.
    const std::string name = path == "-" ? "<stdin>" : path;
    if (std::string(e.what()).find(name) != std::string::npos) throw;
    throw ConfigError(e.path(), e.message() + " (in " + name + ")");
  }
}

namespace {

Json load_config_file_impl(const std::string& path, const ConfigOverrides& overrides, bool do_interpolate) {
  if (path == "-") {  // spaCy's load_config: "-" reads the config from stdin
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return load_config(ss.str(), overrides, do_interpolate, "<stdin>");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError({}, "cannot read config file '" + path + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({}, "cannot read config file '" + path + "': no such file or not readable");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError({}, "cannot read config file '" + path + "'");
  std::string text = ss.str();
  if (ends_with_ci(path, ".toml")) {
    Json raw = parse_toml(text, path);
    apply_overrides(raw, overrides);
    return do_interpolate ? interpolate_named(raw, path) : raw;
  }
  return load_config(text, overrides, do_interpolate, path);
}

}  // namespace

}  // namespace trfpipe
