// Sourcing components from trained pipelines (spaCy's `source = "path"` blocks in [components],
// Language.from_config / create_pipe_from_source) and the config side of replace_listeners.
//
//   [components.ner]
//   source = "training/model-best"     # a pipeline folder
//   component = "ner"                   # its name there, when it differs
//   replace_listeners = ["model.tok2vec"]
//
// The sourced component keeps its source's config block and weights; the source's strings are
// added to the new vocab. The saved config holds the full block (spaCy writes the resolved block,
// not `source`), so a trained pipeline never depends on the folder it was sourced from.
#pragma once
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "trfpipe/config.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe::pipeline {

// Whether a [components.X] block is sourced: it has `source` and no `factory`
// (spaCy's get_sourced_components).
bool is_sourced_block(const Json& section);
// The names of the sourced [components] blocks of a config, in config order.
std::vector<std::string> sourced_components(const Json& config);

// The dotted config paths ("model.tok2vec") of the listener blocks in a component block that
// listen to upstream `upstream_name`: an `@architectures` in `listener_architectures` whose
// `upstream` is that name or "*".
std::vector<std::string> listener_paths(const Json& block,
                                        const std::vector<std::string>& listener_architectures,
                                        const std::string& upstream_name);

// A sourced component, ready to be added: its config block ({"factory": ..., settings}) and the
// folder its from_disk reads.
struct SourcedComponent {
  Json block;
  std::string state_dir;
};

// The pipelines named by `source` settings, each loaded once (spaCy's source_nlps cache).
class PipelineSources {
 public:
  PipelineSources() = default;
  ~PipelineSources();
  PipelineSources(const PipelineSources&) = delete;
  PipelineSources& operator=(const PipelineSources&) = delete;

  // Resolves the sourced block of [components.<name>] and adds the source's strings to `vocab`.
  // ConfigErrors name components.<name>.source (not a pipeline folder), .component (no such
  // component there), .replace_listeners (not a listener path) or a key spaCy does not take
  // beside `source`.
  SourcedComponent resolve(const std::string& name, const Json& block, Vocab& vocab);

 private:
  Language& load(const std::string& path, const std::vector<std::string>& config_path);
  std::map<std::string, std::unique_ptr<Language>> loaded_;
  std::vector<std::filesystem::path> temp_dirs_;  // removed by the destructor
};

}  // namespace trfpipe::pipeline
