// trfpipe info [MODEL] [--markdown] [--exclude k1,k2] — spaCy's `spacy info`: about trfpipe, or a
// pipeline's meta.json (without accuracy, performance and speed), as a table or as Markdown for
// bug reports. A pipeline's info reads meta.json only; trfpipe's own loads LibTorch to report the
// backend its inference GEMMs run on (chosen at load: docs/transformer.md).
#include <CLI/CLI.hpp>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/printer.hpp"
#include "config/text_util.hpp"
#include "pipeline/torch_runtime.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct InfoArgs {
  std::string model;
  bool markdown = false;
  std::string exclude;
};

std::string platform() {
  struct utsname u {};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + "-" + u.release + "-" + u.machine;
}

std::string location() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("unknown") : exe.parent_path().string();
}

// A meta value as a table cell: strings as they are, lists as Python writes them, other JSON as
// JSON.
std::string cell(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
      out += (i ? ", " : "") + (v[i].is_string() ? "'" + v[i].get<std::string>() + "'" : v[i].dump());
    return out + "]";
  }
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  return v.dump();
}

int run_info(const InfoArgs& args) {
  std::vector<std::string> exclude;
  for (std::string_view part : split_on(args.exclude, ',')) {
    std::string item(part);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) exclude.push_back(item);
  }
  Json data = Json::object();
  std::string title;
  if (args.model.empty()) {
    title = "Info about trfpipe";
    data["trfpipe version"] = TRFPIPE_VERSION;
    data["spaCy compatibility"] = ">=3.8.0,<3.9.0";
    data["Location"] = location();
    data["Platform"] = platform();
    data["Inference GEMM"] = pipeline::inference_gemm_backend();
  } else {
    title = "Info about pipeline '" + args.model + "'";
    const fs::path meta_path = fs::path(args.model) / "meta.json";
    std::error_code ec;
    if (!fs::exists(args.model, ec)) return fail("Can't find pipeline", args.model);
    if (!fs::is_regular_file(meta_path, ec)) return fail("Can't find pipeline meta.json", meta_path.string());
    Json meta;
    try {
      std::ifstream in(meta_path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      meta = parse_json_limited<Json>(text.str());
    } catch (const std::exception& e) {
      return fail("Can't read pipeline meta.json", meta_path.string() + ": " + e.what());
    }
    if (!meta.is_object()) return fail("Can't read pipeline meta.json", meta_path.string() + ": not an object");
    for (auto it = meta.begin(); it != meta.end(); ++it)
      if (it.key() != "accuracy" && it.key() != "performance" && it.key() != "speed")
        data[it.key()] = it.value();
    data["source"] = fs::absolute(args.model, ec).lexically_normal().string();
  }
  auto excluded = [&](const std::string& key) {
    return std::find(exclude.begin(), exclude.end(), key) != exclude.end();
  };
  if (args.markdown) {
    // spaCy's get_markdown: values that are existing paths are left out.
    std::cout << "\n## " << title << "\n\n";
    for (auto it = data.begin(); it != data.end(); ++it) {
      if (excluded(it.key())) continue;
      std::error_code ec;
      if (it.value().is_string() && !it.value().get<std::string>().empty() &&
          fs::exists(it.value().get<std::string>(), ec))
        continue;
      std::cout << "* **" << it.key() << ":** " << cell(it.value()) << "\n";
    }
    std::cout << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (auto it = data.begin(); it != data.end(); ++it)
    if (!excluded(it.key())) rows.push_back({it.key(), cell(it.value())});
  table(title, rows, {}, {'l', 'l'});
  return 0;
}

CommandRunner info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  app.add_option("MODEL", args->model, "a pipeline directory (none: info about trfpipe)");
  app.add_flag("-m,--markdown", args->markdown, "Generate Markdown for GitHub issues");
  app.add_option("-e,--exclude", args->exclude,
                 "Comma-separated keys to exclude from the print-out")
      ->default_str("labels");
  args->exclude = "labels";
  return [args] { return run_info(*args); };
}

}  // namespace

TRFPIPE_COMMAND("info", "Print info about trfpipe or a pipeline (spacy info)", info_command);

}  // namespace trfpipe::cli
