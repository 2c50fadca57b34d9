#include "components/doc_cleaner/doc_cleaner.hpp"

#include <filesystem>
#include <iostream>

#include "components/common/registration.hpp"
#include "pipeline/file_io.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/json_lines.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

DocCleaner::DocCleaner(std::string name, Json attrs, bool silent)
    : Pipe(std::move(name)), attrs_(std::move(attrs)), silent_(silent) {
  set_factory_name("doc_cleaner");
}

void DocCleaner::set_annotations(const std::vector<Doc*>& docs, const std::any&) {
  for (Doc* doc : docs) {
    for (auto it = attrs_.begin(); it != attrs_.end(); ++it) {
      const std::string& attr = it.key();
      const Json& value = it.value();
      bool done = false;
      if (attr == "tensor" && (value.is_null() || (value.is_array() && value.empty()))) {
        doc->tensor() = Matrix();
        done = true;
      } else if (attr == "cats" && (value.is_null() || value.is_object())) {
        doc->cats().clear();
        if (value.is_object())
          for (auto c = value.begin(); c != value.end(); ++c)
            if (c.value().is_number()) doc->cats()[c.key()] = c.value().get<double>();
        done = true;
      } else if (attr.rfind("_.", 0) == 0 && Doc::has_extension(attr.substr(2))) {
        if (value.is_null()) doc->unset_ext(attr.substr(2));
        else doc->set_ext(attr.substr(2), std::any(value));
        done = true;
      }
      if (!done && !silent_)
        std::cerr << "[W116] Unable to clean attribute '" << attr << "'.\n";
    }
  }
}

void DocCleaner::to_disk(const std::string& dir) const {
  fs::create_directories(dir);
  write_json_lines((fs::path(dir) / "cfg").string(), {Json{{"attrs", attrs_}, {"silent", silent_}}});
}

void DocCleaner::from_disk(const std::string& dir) {
  const std::string path = (fs::path(dir) / "cfg").string();
  if (!fs::exists(path)) return;  // spaCy's cfg.update: nothing saved, nothing changed
  Json cfg = parse_json_limited_or_discarded<Json>(read_file_bytes(path));
  if (!cfg.is_object()) throw DataError(path, -1, "expected a JSON object");
  if (cfg.contains("attrs")) {
    if (!cfg["attrs"].is_object()) throw DataError(path, -1, "'attrs' must be a dict");
    attrs_ = cfg["attrs"];
  }
  if (cfg.contains("silent")) {
    if (!cfg["silent"].is_boolean()) throw DataError(path, -1, "'silent' must be true or false");
    silent_ = cfg["silent"].get<bool>();
  }
}

void register_doc_cleaner() {
  FactoryMeta m;
  m.name = "doc_cleaner";
  m.default_config = Json{{"attrs", Json{{"tensor", nullptr}, {"_.trf_data", nullptr}}}, {"silent", true}};
  m.make = [](Language&, const std::string& name, const registry::Value& config) {
    check_settings(config, name, "doc_cleaner", {"attrs", "silent"});
    const registry::Value& attrs = config.at("attrs");
    if (!attrs.is_section() && !(attrs.is_json() && attrs.json().is_object()))
      throw ConfigError({"components", name, "attrs"}, "expected a dict of attributes, got " + attrs.describe());
    return std::unique_ptr<Pipe>(
        std::make_unique<DocCleaner>(name, attrs.json(), bool_setting(config, name, "silent")));
  };
  register_factory(std::move(m));
}

}  // namespace trfpipe
