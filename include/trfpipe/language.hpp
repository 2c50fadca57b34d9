// Pipe (component) contract, factories and Language (spaCy's nlp object).
#pragma once
#include <any>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trfpipe/doc.hpp"
#include "trfpipe/example.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

class Language;
// The optimizer is defined where the parameters live (models/, LibTorch); the pipeline only
// passes it through.
class Optimizer;
using Losses = std::map<std::string, double>;
using GetExamples = std::function<std::vector<Example>()>;

// A pipeline component. predict() computes scores for a batch without touching the docs;
// set_annotations() writes them. operator() and pipe() are written once here.
class Pipe {
 public:
  explicit Pipe(std::string name) : name_(std::move(name)) {}
  virtual ~Pipe() = default;
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& factory_name() const { return factory_; }
  void set_factory_name(std::string f) { factory_ = std::move(f); }

  virtual std::any predict(const std::vector<Doc*>& docs) = 0;
  virtual void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) = 0;
  void operator()(Doc& doc);
  // Annotates docs in batches of batch_size (0 = all at once), in order.
  virtual void pipe(const std::vector<Doc*>& docs, size_t batch_size);

  virtual bool is_trainable() const { return false; }
  // Labels (spaCy's pipe.labels); empty for unlabelled components.
  virtual std::vector<std::string> labels() const { return {}; }
  // Called by Language::initialize (spaCy's pipe.initialize(get_examples, nlp=nlp)).
  virtual void initialize(const GetExamples& get_examples, Language& nlp) {}
  // Called by Language::initialize instead when the config has an
  // [initialize.components.<name>] block, with that block resolved (spaCy's keyword arguments
  // of pipe.initialize, e.g. `patterns` of an entity_ruler). The default accepts no settings
  // (a ConfigError names the first one) and calls initialize().
  virtual void initialize_with_settings(const GetExamples& get_examples, Language& nlp,
                                        const registry::Value& settings);
  // Called once the whole pipeline is built or loaded (listeners find their upstream here).
  virtual void on_pipeline_built(Language& nlp) {}
  // The component's folder in a pipeline directory.
  virtual void to_disk(const std::string& dir) const {}
  virtual void from_disk(const std::string& dir) {}

 private:
  std::string name_;
  std::string factory_;
};

class TrainablePipe : public Pipe {
 public:
  using Pipe::Pipe;
  bool is_trainable() const override { return true; }
  // Forward + backward on a batch; adds this component's loss to losses[name()]. Gradients
  // accumulate until finish_update(); `sgd` non-null means step now (spaCy's semantics).
  virtual void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
                      Losses& losses) = 0;
  virtual void finish_update(Optimizer& optimizer) = 0;
  // Adds a label before initialization; returns false if already present.
  virtual bool add_label(const std::string& label) { return false; }
  // Parameters are frozen (in training.frozen_components): update() is not called.
};

// Factory metadata, as spaCy's @Language.factory: default config, what the component assigns,
// default score weights, and the function that makes it.
struct FactoryMeta {
  std::string name;                   // "tagger"
  Json default_config = Json::object();  // {"model": {"@architectures": ...}, "overwrite": false}
  std::vector<std::string> assigns;
  std::vector<std::string> requires_attrs;  // spaCy's `requires` (a keyword in C++20)
  Json default_score_weights = Json::object();  // {"tag_acc": 1.0, "pos_acc": 0.0}
  // `config` is the component's resolved block (defaults filled, promises resolved).
  std::function<std::unique_ptr<Pipe>(Language& nlp, const std::string& name,
                                      const registry::Value& config)>
      make;
  // Upstream factories that components listen to (tok2vec, transformer) fill these three for
  // Language::replace_listeners (spaCy's `replace_listener_cfg` / `replace_listener` model attrs).
  // The architectures of the listeners of this factory ("spacy.Tok2VecListener.v1").
  std::vector<std::string> listener_architectures;
  // The model block that replaces a listener's block: (the upstream's `model`, the listener's).
  std::function<Json(const Json& upstream_model, const Json& listener_model)> replace_listener_cfg;
  // Adds the upstream's state to the saved folder `dir` of a listening component whose listener
  // (parameters under `prefix`, e.g. "tok2vec.") becomes its own copy of the upstream's model.
  std::function<void(Pipe& upstream, const std::string& dir, const std::string& prefix)>
      copy_into_listener_folder;
};
void register_factory(FactoryMeta meta);
bool has_factory(const std::string& name);
const FactoryMeta& get_factory(const std::string& name);  // Error listing available factories
std::vector<std::string> factory_names();

struct AddPipeOptions {
  std::string before, after;  // names of existing pipes
  std::optional<size_t> before_index, after_index;
  bool first = false, last = false;
};

class DisabledPipes;

// nlp.pipe as a stream. Texts (or docs) come from a source one at a time, are processed in
// batches of batch_size and reach the sink in input order as each batch finishes, so memory
// holds at most 2 × n_threads (or, with one thread, 1) batches whatever the input size.
struct PipeOptions {
  size_t batch_size = 0;  // docs per batch; 0 = nlp.batch_size ([nlp] batch_size)
  // Batches processed at once, each by its own thread from start to end (spaCy's n_process, with
  // threads: no fork, nothing pickled). 1 runs everything on the calling thread. The output is
  // the same for any value. With LibTorch components, keep n_threads × get_num_threads() within
  // the cores: `trfpipe apply`/`serve` call set_num_threads(max(1, cores / n_threads)).
  size_t n_threads = 1;
};
// Gives the next input; nullopt at the end. Called on the calling thread only.
using TextSource = std::function<std::optional<std::string>()>;
using DocSource = std::function<std::optional<Doc>()>;
// Receives each finished doc, in input order; called on the calling thread only.
using DocSink = std::function<void(Doc&& doc)>;

// Thread-safety contract of Language (spaCy has none; this is trfpipe's):
//  - Processing calls may run concurrently on one Language from any number of threads:
//    operator(), make_doc, pipe (all forms), pipe_docs, and the read-only queries (pipe_names,
//    get_pipe, has_pipe, config, vocab ...). Each call works on its own Docs; the shared state
//    they touch (the StringStore and Vocab, extension and factory registrations, the registries,
//    the tokenizer's cache) is locked inside, LibTorch's grad mode is off in every prediction and
//    is per thread anyway. Results do not depend on the number of threads.
//  - Everything that changes the pipeline or its weights must run alone, with no other call on
//    that Language in flight: add_pipe, remove_pipe, rename_pipe, enable/disable_pipe,
//    select_pipes, initialize, update, set_config, meta(), to_disk/load, link_components, and
//    setting max_length / batch_size.
//  - A Doc is not thread-safe: one thread at a time per Doc (the pipe functions hand each doc to
//    one thread). Docs of different calls share only the Vocab.
//  - Per thread: LibTorch's grad mode and autograd state; nothing of trfpipe's.

class Language {
 public:
  explicit Language(std::string lang = "en");
  ~Language();
  // spacy.blank("en"). Unknown languages are a ValueError.
  static std::unique_ptr<Language> blank(const std::string& lang);
  // Builds from a full config tree ([nlp] + [components], interpolated); components are created
  // in [nlp] pipeline order; ConfigErrors name the path.
  static std::unique_ptr<Language> from_config(const Json& config);
  // Loads a pipeline directory written by to_disk (config.cfg, meta.json, vocab/, components),
  // or "blank:en".
  static std::unique_ptr<Language> load(const std::string& path,
                                        const std::vector<std::pair<std::string, std::string>>&
                                            overrides = {});

  const std::string& lang() const;
  Vocab& vocab() const;
  std::shared_ptr<Vocab> vocab_ptr() const;

  size_t max_length = 1000000;  // characters; longer texts are a ValueError (spaCy's E088)
  size_t batch_size = 1000;     // [nlp] batch_size

  Doc make_doc(std::string_view text) const;  // tokenizer only
  Doc operator()(std::string_view text);
  // Processes texts in order through every enabled component, batch_size per batch (0 = default).
  std::vector<Doc> pipe(const std::vector<std::string>& texts, size_t batch_size = 0);
  void pipe_docs(const std::vector<Doc*>& docs, size_t batch_size = 0);
  // The stream forms (see PipeOptions): texts tokenized with make_doc, or docs (tokenized, e.g.
  // read from a DocBin) annotated by the pipeline. When a doc fails (a text too long, invalid
  // UTF-8, a component's error), every doc before it has reached the sink and the exception is
  // rethrown: the failing input is the one after the last delivered. An exception of the source
  // ends the input: the docs read before it are processed and delivered, then it is rethrown. An
  // exception of the sink is rethrown at once.
  void pipe(const TextSource& source, const DocSink& sink, const PipeOptions& options = {});
  void pipe(const DocSource& source, const DocSink& sink, const PipeOptions& options = {});

  Pipe& add_pipe(const std::string& factory, std::string name = "", const Json& config = {},
                 const AddPipeOptions& where = {});
  Pipe& add_pipe(std::unique_ptr<Pipe> pipe, const AddPipeOptions& where = {});
  void remove_pipe(const std::string& name);  // unknown name: ValueError listing the pipes
  void rename_pipe(const std::string& old_name, const std::string& new_name);
  Pipe& get_pipe(const std::string& name) const;
  bool has_pipe(const std::string& name) const;
  std::vector<std::string> pipe_names() const;       // enabled, in order
  std::vector<std::string> component_names() const;  // all, in order
  std::vector<std::string> disabled() const;
  std::vector<Pipe*> pipeline() const;               // enabled
  void disable_pipe(const std::string& name);
  void enable_pipe(const std::string& name);
  // select_pipes(disable=...) / (enable=...): restorable with DisabledPipes::restore() or RAII.
  DisabledPipes select_pipes(const std::vector<std::string>& disable,
                             const std::vector<std::string>& enable = {});

  // Training entry points (spaCy's nlp.initialize / nlp.update).
  void initialize(const GetExamples& get_examples);
  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd, Losses& losses,
              const std::vector<std::string>& exclude = {},
              const std::vector<std::string>& annotates = {});

  // The full config (nlp + components) and meta.json content.
  Json config() const;
  void set_config(Json config);
  Json& meta();
  void to_disk(const std::string& path) const;

  // Called after the pipeline changes (listeners find their upstream).
  void link_components();

  // spaCy's nlp.replace_listeners(tok2vec_name, pipe_name, listeners): the listeners of
  // `pipe_name` at the config paths `listeners` ("model.tok2vec") get their own copy of the
  // upstream `tok2vec_name`'s model (weights included); the component's config block says so.
  // ValueError (spaCy's E886-E889) for an unknown component, path or upstream.
  void replace_listeners(const std::string& tok2vec_name, const std::string& pipe_name,
                         const std::vector<std::string>& listeners);
  // The components built from `source = ...` blocks (spaCy's sourced components).
  std::vector<std::string> sourced_components() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class DisabledPipes {
 public:
  DisabledPipes(Language& nlp, std::vector<std::string> names);
  DisabledPipes(DisabledPipes&&) noexcept;
  ~DisabledPipes();  // restores
  void restore();
  const std::vector<std::string>& names() const { return names_; }

 private:
  Language* nlp_;
  std::vector<std::string> names_;
};

}  // namespace trfpipe
