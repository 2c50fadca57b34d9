// srsly.read_jsonl / write_jsonl and their registered readers.
#include "trfpipe/json_lines.hpp"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "pipeline/file_io.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

JsonLines read_json_lines(const std::string& path, bool skip) {
  std::istringstream in(read_file_bytes(path));
  JsonLines out;
  out.path = path;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    size_t a = line.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) continue;  // srsly strips lines and skips empty ones
    Json value = parse_json_limited_or_discarded<Json>(line);
    if (value.is_discarded()) {
      if (skip) continue;
      std::string shown = line.substr(a, 80);
      throw DataError(path, line_no, "Invalid JSON on line " + std::to_string(line_no) + ": " +
                                         shown + (line.size() - a > 80 ? "..." : ""));
    }
    out.values.push_back(std::move(value));
    out.lines.push_back(line_no);
  }
  return out;
}

void write_json_lines(const std::string& path, const std::vector<Json>& values) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot open " + path + " for writing");
  for (const Json& v : values) out << v.dump() << "\n";
  out.close();
  if (!out) throw Error("could not write " + path);
}

void register_json_readers() {
  static std::once_flag once;
  std::call_once(once, [] {
    using registry::arg;
    registry::Registry& readers = registry::get("readers");
    registry::Function jsonl;
    jsonl.name = "srsly.read_jsonl.v1";
    jsonl.args = {arg("path", "str"), arg("skip", "bool", false)};
    jsonl.returns = "Iterable[Any]";
    jsonl.make = [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
      return read_json_lines(registry::get_str(a, "path"), registry::get_bool(a, "skip"));
    };
    readers.add(std::move(jsonl));
    registry::Function json;
    json.name = "srsly.read_json.v1";
    json.args = {arg("path", "str")};
    json.returns = "Any";
    json.make = [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
      const std::string path = registry::get_str(a, "path");
      std::string text = read_file_bytes(path);
      Json value = parse_json_limited_or_discarded<Json>(text);
      if (value.is_discarded()) throw DataError(path, -1, "invalid JSON");
      return value;
    };
    readers.add(std::move(json));
    registry::Function labels;
    labels.name = "spacy.read_labels.v1";
    labels.args = {arg("path", "str"), arg("require", "bool", false)};
    labels.returns = "Optional[Any]";
    labels.make = [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
      const std::string path = registry::get_str(a, "path");
      std::error_code ec;
      if (!registry::get_bool(a, "require") && !std::filesystem::exists(path, ec))
        return Json();  // spaCy: labels come from the examples instead
      Json value = parse_json_limited_or_discarded<Json>(read_file_bytes(path));
      if (value.is_discarded()) throw DataError(path, -1, "invalid JSON");
      return JsonFile{path, std::move(value)};
    };
    readers.add(std::move(labels));
  });
}

}  // namespace trfpipe
