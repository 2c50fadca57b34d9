// The `.cfg` config system, matching confection 0.0.4 (the parser spaCy 3.x uses): parsing,
// `${...}` interpolation, `--section.key value` overrides, a writer that round-trips, and the same
// tree as TOML.
//
// Syntax (as Python's configparser with confection's extensions):
//   [section]            sections; [a.b] nests under [a], which must exist ([a.*.b] needs only [a])
//   key = value          or `key: value`; keys are case-sensitive; the first '=' or ':' splits
//   # comment / ; comment full-line comments only (`x = 5 ; no` keeps "5 ; no" as the value)
//     continuation       lines indented deeper than their key continue its value (joined with "\n")
//   values               JSON as confection's JSON reader (srsly/ujson) reads it, else the text
//                        itself: `hello world`, `True` (not JSON) are strings; `1e-8` is a float,
//                        `3.0` stays a float, `0.3` reads as 0.30000000000000004 exactly as ujson
//   ${a.b} / ${a:b}      references, resolved by interpolate(); `$$` is a literal `$`
// Quirks of confection 0.0.4 that are kept because spaCy's results depend on them: in interpolated
// parsing a quoted value is unquoted once before being read as JSON (`x = "5"` gives the int 5,
// `x = "true"` stays the string "true"), string members of lists are read as JSON once more
// (`["1"]` gives [1]), and sections are ordered alphabetically (a section's own keys first, then its
// subsections; `[x.*.name]` positional sections keep file order).
//
// Errors are trfpipe::ConfigError naming the file and line (parse) or the key path (interpolation,
// overrides). Input must be UTF-8; "\r\n" and "\r" line ends read as "\n" (as Python reads files).
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace trfpipe {

// The config tree: JSON with key order kept, as confection keeps it.
using Json = nlohmann::ordered_json;

using ConfigOverrides = std::vector<std::pair<std::string, std::string>>;

// The raw tree of a .cfg text, without interpolation: `${...}` references stay strings, exactly as
// confection's `Config().from_str(text, interpolate=False)` (including its quirk of keeping the
// quotes of a quoted string that holds a reference: `"${a.b}/x"` reads as "\"${a.b}/x\"").
// `source_name` appears in error messages ("config.cfg, line 3: ...").
Json parse_cfg(std::string_view text, const std::string& source_name = "<string>");

// The interpolated tree of a .cfg text: confection's `Config().from_str(text)`. With overrides it is
// `from_str(text, overrides=...)` step for step: each override value is read as JSON (else kept as
// text) and set in the raw tree, the tree is written as confection's Config.to_str() writes it
// (single-key `@` blocks inline, floats rounded to 10 decimals, other dicts as sections, which
// reorders keys as confection does) and read back with interpolation. This is what spaCy sees.
Json load_config(std::string_view text, const ConfigOverrides& overrides = {},
                 bool interpolate = true, const std::string& source_name = "<string>");

// Resolves `${...}` references in a raw tree: a bare reference keeps the referenced value's JSON
// type, a reference inside a longer string is string concatenation, a reference to a section
// inserts the whole section, `$$` becomes `$`. Undefined references, cycles and references to
// sections inside strings are ConfigErrors naming the key path. Works as confection's
// Config.interpolate() (write as .cfg, read back with interpolation), but with write_cfg(), which
// keeps key order and exact floats, so interpolate(parse_cfg(t)) == load_config(t) always (where
// confection's own interpolate() would move inline `@` blocks and round floats).
Json interpolate(const Json& raw);

// Sets `section.key` values in a raw tree before interpolation, like
// `spacy train config.cfg --paths.train x --training.max_steps 10`: each value is read as JSON,
// else kept as the string. The section must exist (ConfigError naming the key otherwise); a
// top-level key (no '.') cannot be overridden; a new key in an existing section is added.
void apply_overrides(Json& raw, const ConfigOverrides& overrides);

// Writes a tree as .cfg text that parse_cfg() reads back to the same tree, key order included, for
// every tree parse_cfg() or load_config() produces (raw or interpolated). Sections follow
// confection's layout: `[a.b]` headers, values as compact JSON, strings holding `${...}` written
// as they are; a dict that sits between plain values is written inline as JSON. Throws ConfigError
// for trees no .cfg can hold (top-level values, keys with '=' / ':' / newlines, section names
// with '.').
std::string write_cfg(const Json& tree);

// The tree with plain values before sub-sections and the sub-sections sorted by name, at every
// level: the order parse_cfg() reads sections in, so that write_cfg() writes every dict as a
// [section], none inline (spaCy's saved layout; an inline dict would also turn its `${...}`
// references into strings when interpolated).
Json sections_last(const Json& tree);

// The same tree as TOML (toml++ reads it). Order is kept. TOML has no null: a JSON null is written
// as the inline table `{ __null__ = true }`, and a table whose only key is `__null__` (= true) reads
// back as null. Integers beyond int64 cannot be written (ConfigError). Other TOML types read as
// JSON: dates and times become their TOML text as strings. A dict that sits between plain values is
// written as an inline table, so order survives the round trip. A TOML tree is a raw tree:
// load_config_file() interpolates it like a .cfg (`${...}`, and `$$` for a literal `$`).
Json parse_toml(std::string_view text, const std::string& source_name = "<string>");
std::string write_toml(const Json& tree);

// Reads a config file: `.toml` as TOML, anything else as .cfg. Overrides are applied to the raw
// tree, then it is interpolated unless `interpolate` is false. A missing or unreadable file is a
// ConfigError naming the path; every error names the file (parse errors with the line).
Json load_config_file(const std::string& path, const ConfigOverrides& overrides = {},
                      bool interpolate = true);

}  // namespace trfpipe
