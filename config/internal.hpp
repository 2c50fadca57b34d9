// Internals of the config area: a reader for JSON that behaves as srsly's bundled ujson (what
// confection uses), Python string helpers, and the configparser emulation.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trfpipe/config.hpp"

namespace trfpipe::config {

// srsly.json_loads(text): ujson 1.35 rules (imprecise float reading `(int + frac * 10^-n) *
// 10^exp`, raw control characters allowed in strings, leading zeros, `1.`/`1e` accepted, ints
// wrap as uint64 as in C). nullopt where srsly raises.
std::optional<Json> ujson_loads(std::string_view text);

// Compact JSON (no spaces) as confection writes values; floats in the shortest form that
// ujson_loads reads back to the same double; UTF-8 kept, control characters escaped. With
// `escape_dollar`, '$' in strings is written as \u0024.
std::string json_dumps(const Json& value, bool escape_dollar = false);
std::string format_float(double value);

// Python's str.isspace() for a code point, strip()/rstrip() on UTF-8.
bool py_isspace(uint32_t cp);
std::string_view py_strip(std::string_view s);
std::string_view py_rstrip(std::string_view s);
std::string_view py_lstrip(std::string_view s);
// Python re `\$\{[\w\.:]+\}` search (non-ASCII letters count as \w).
bool has_variable(std::string_view s);
// Throws ConfigError unless valid UTF-8.
void check_utf8(std::string_view s, const std::string& source_name);

// confection `Config().from_str(text, interpolate=..., overrides=...)` without the overrides.
Json parse_cfg_text(std::string_view text, const std::string& source_name, bool interpolate);
// confection's Config._interpret_value: a value's text read as JSON (string members of lists once
// more), else the text.
Json interpret_cfg_value(const std::string& text);

// What confection itself writes, for the paths where spaCy's result depends on it (a config loaded
// with overrides is written and read back): ujson.dumps (floats rounded to 10 decimals, inf/nan
// refused) and try_dump_json (a string with ${...} as it is; a string of digits quoted twice).
std::string ujson_dumps(const Json& value);
std::string confection_dump_value(const Json& value);
// Config.to_str(): single-key promise dicts inline, every other dict a [section].
std::string write_cfg_confection(const Json& tree);

}  // namespace trfpipe::config
