// JSONL files as srsly reads and writes them (srsly.read_jsonl / write_jsonl), keeping the line
// each value came from so that later errors can name it, and the readers `srsly.read_jsonl.v1`
// and `srsly.read_json.v1` of the `readers` registry (spaCy's [initialize] blocks use them:
// `[initialize.components.entity_ruler.patterns] @readers = "srsly.read_jsonl.v1"`).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trfpipe {

// The values of a JSONL file in order, with their 1-based line numbers (blank lines skipped).
// What `srsly.read_jsonl.v1` resolves to in a config.
struct JsonLines {
  std::string path;
  std::vector<nlohmann::ordered_json> values;
  std::vector<int64_t> lines;  // lines[k] is the line of values[k]
};

// DataError naming the file (missing, unreadable) or the file and line (invalid JSON, unless
// `skip` is set: then such lines are left out, as srsly's skip=True).
JsonLines read_json_lines(const std::string& path, bool skip = false);
// One compact JSON value per line; Error naming the file when it cannot be written.
void write_json_lines(const std::string& path, const std::vector<nlohmann::ordered_json>& values);

// A JSON file's value with its path, so that a component can name the file when the value is not
// what it expects. What `spacy.read_labels.v1` resolves to.
struct JsonFile {
  std::string path;
  nlohmann::ordered_json value;
};

// Registers `srsly.read_jsonl.v1` (path, skip = false) -> JsonLines, `srsly.read_json.v1`
// (path) -> the JSON value and `spacy.read_labels.v1` (path, require = false) -> JsonFile, or
// null when the file does not exist and is not required (spaCy's read_labels). Idempotent.
void register_json_readers();

}  // namespace trfpipe
