// Language (spaCy's nlp object): tokenizer, component list, factories, config, training entry
// points. Serialization (to_disk / load / from_config) lives in pipeline/serialize.cpp.
#include "trfpipe/language.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "pipeline/lang/languages.hpp"
#include "pipeline/language_impl.hpp"
#include "tokenization/rule_tokenizer.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/vectors.hpp"

namespace trfpipe {

namespace {

std::string quoted_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", '" : "'") + v[i] + "'";
  return out + "]";
}

struct FactoryTable {
  std::mutex mutex;
  std::map<std::string, FactoryMeta> factories;
};
FactoryTable& factory_table() {
  static FactoryTable t;
  return t;
}

std::string first_promise(const Json& block) {
  if (!block.is_object()) return "";
  for (auto it = block.begin(); it != block.end(); ++it)
    if (!it.key().empty() && it.key()[0] == '@') return it.key();
  return "";
}

size_t count_chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

// ------------------------------------------------------------------------------ factories

void register_factory(FactoryMeta meta) {
  if (meta.name.empty()) throw ValueError("register_factory: a factory needs a name");
  if (!meta.make) throw ValueError("register_factory: factory '" + meta.name + "' has no make");
  std::lock_guard<std::mutex> lock(factory_table().mutex);
  auto& table = factory_table().factories;
  auto it = table.find(meta.name);
  if (it != table.end()) it->second = std::move(meta);  // keeps the node (references stay valid)
  else table.emplace(meta.name, std::move(meta));
}

namespace {

// The factory, or nullptr; a name that is not registered may live in the LibTorch library,
// which is then loaded (once) and asked again.
const FactoryMeta* find_factory(const std::string& name) {
  for (bool loaded = false;; loaded = true) {
    {
      std::lock_guard<std::mutex> lock(factory_table().mutex);
      auto& table = factory_table().factories;
      auto it = table.find(name);
      if (it != table.end()) return &it->second;  // nodes stay valid (std::map)
    }
    if (loaded || !registry::load_torch_library()) return nullptr;
  }
}

}  // namespace

bool has_factory(const std::string& name) { return find_factory(name) != nullptr; }

const FactoryMeta& get_factory(const std::string& name) {
  if (const FactoryMeta* meta = find_factory(name)) return *meta;
  const std::vector<std::string> names = factory_names();
  throw ValueError("[E002] Can't find factory for '" + name +
                   "' for language English (en). This usually happens when a component name "
                   "is not registered (a typo, or a plugin that was not loaded with --code). "
                   "Available factories: " +
                   (names.empty() ? std::string("(none registered)") : pipeline::join_names(names)) +
                   registry::torch_library_note());
}

std::vector<std::string> factory_names() {
  std::lock_guard<std::mutex> lock(factory_table().mutex);
  std::vector<std::string> names;
  for (const auto& kv : factory_table().factories) names.push_back(kv.first);
  return names;
}

namespace pipeline {

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& s : names) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

Json deep_merge_configs(Json config, const Json& defaults) {
  if (!config.is_object()) return config;
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    const std::string& key = it.key();
    const Json& value = it.value();
    if (value.is_object()) {
      if (!config.contains(key)) config[key] = Json::object();
      Json& node = config[key];
      if (!node.is_object()) continue;
      std::string value_promise = first_promise(value);
      std::string node_promise = first_promise(node);
      // Only fill a block from defaults when it refers to the same registered function.
      if (!value_promise.empty() && !node_promise.empty() && node.contains(value_promise) &&
          node[value_promise] != value[value_promise])
        continue;
      if (!node_promise.empty() &&
          (!value.contains(node_promise) || node[node_promise] != value[node_promise]))
        continue;
      node = deep_merge_configs(node, value);
    } else if (!config.contains(key)) {
      config[key] = value;
    }
  }
  return config;
}

}  // namespace pipeline

// ----------------------------------------------------------------------------------- Pipe

void Pipe::operator()(Doc& doc) {
  std::vector<Doc*> docs{&doc};
  set_annotations(docs, predict(docs));
}

void Pipe::pipe(const std::vector<Doc*>& docs, size_t batch_size) {
  if (batch_size == 0) batch_size = docs.size();
  for (size_t i = 0; i < docs.size(); i += batch_size) {
    std::vector<Doc*> batch(docs.begin() + long(i),
                            docs.begin() + long(std::min(docs.size(), i + batch_size)));
    set_annotations(batch, predict(batch));
  }
}

// ------------------------------------------------------------------------------- Language

namespace {
// spacy-experimental's CharPretokenizer: Doc(vocab, words=list(text), spaces=[False] * n), one
// token per code point, whitespace included. `text` is valid UTF-8.
Doc char_tokens_doc(const std::shared_ptr<Vocab>& vocab, std::string_view text) {
  std::vector<std::string> words;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    words.emplace_back(text.substr(i, n));
    i += n;
  }
  return Doc(vocab, words, std::vector<bool>(words.size(), false));
}
}  // namespace

Language::Language(std::string lang) : impl_(std::make_unique<Impl>()) {
  // The registered languages (built in: en, xx; plugins add more); E048 lists them.
  tokenization::TokenizerRules rules = language_tokenizer_rules(lang);
  impl_->lang = lang;
  impl_->vocab = std::make_shared<Vocab>(lang);
  impl_->tokenizer = std::make_unique<tokenization::RuleTokenizer>(std::move(rules));
}

Language::~Language() = default;

std::unique_ptr<Language> Language::blank(const std::string& lang) {
  return std::make_unique<Language>(lang);
}

const std::string& Language::lang() const { return impl_->lang; }
Vocab& Language::vocab() const { return *impl_->vocab; }
std::shared_ptr<Vocab> Language::vocab_ptr() const { return impl_->vocab; }

Doc Language::make_doc(std::string_view text) const {
  tokenization::validate_utf8(text);
  size_t n_chars = count_chars(text);
  if (n_chars > max_length)
    throw ValueError("[E088] Text of length " + std::to_string(n_chars) +
                     " exceeds maximum of " + std::to_string(max_length) +
                     ". The limit is in number of characters (nlp.max_length); longer texts "
                     "need more memory in the components. Split the text, or raise "
                     "`max_length` if your components can handle it.");
  if (impl_->char_tokenizer) return char_tokens_doc(impl_->vocab, text);
  std::vector<tokenization::RuleToken> toks = impl_->tokenizer->tokenize(text);
  std::vector<std::string> words;
  std::vector<bool> spaces;
  words.reserve(toks.size());
  spaces.reserve(toks.size());
  for (const auto& t : toks) {
    words.emplace_back(text.substr(t.start, t.end - t.start));
    spaces.push_back(t.space_after);
  }
  Doc doc(impl_->vocab, words, spaces);
  for (size_t i = 0; i < toks.size(); ++i)
    if (!toks[i].norm.empty()) doc.tokens()[i].norm = impl_->vocab->strings().add(toks[i].norm);
  if (doc.text() != text)
    throw Error("internal error: the tokenizer's tokens do not rebuild the input text");
  return doc;
}

Doc Language::operator()(std::string_view text) {
  Doc doc = make_doc(text);
  for (Pipe* p : pipeline()) (*p)(doc);
  return doc;
}

std::vector<Doc> Language::pipe(const std::vector<std::string>& texts, size_t batch_size_) {
  std::vector<Doc> out;
  out.reserve(texts.size());
  size_t next = 0;
  pipe([&]() -> std::optional<std::string> {
         if (next == texts.size()) return std::nullopt;
         return texts[next++];
       },
       [&](Doc&& doc) { out.push_back(std::move(doc)); }, PipeOptions{batch_size_, 1});
  return out;
}

void Language::pipe_docs(const std::vector<Doc*>& docs, size_t batch_size_) {
  const size_t bs = batch_size_ ? batch_size_ : (batch_size ? batch_size : 1000);
  for (Pipe* p : pipeline()) p->pipe(docs, bs);
}

// ------------------------------------------------------------------------------ streaming

namespace {

// One batch of a stream: its inputs (texts, or docs to annotate), then its finished docs.
struct StreamBatch {
  std::vector<std::string> texts;
  std::vector<Doc> docs;
  std::exception_ptr error;  // processing failed at docs.size() (the docs before it are done)
  bool empty() const { return texts.empty() && docs.empty(); }
};

// Runs the pipeline over a batch. When the batch fails, it is redone doc by doc, so that the docs
// before the failing one are kept and the failing one is known.
void process_batch(const Language& nlp, const std::vector<Pipe*>& pipes, size_t batch_size,
                   StreamBatch& b) {
  const bool from_texts = !b.texts.empty();
  auto run = [&](std::vector<Doc*>& docs) {
    for (Pipe* p : pipes) p->pipe(docs, batch_size);
  };
  try {
    if (from_texts) {
      b.docs.clear();
      b.docs.reserve(b.texts.size());
      for (const std::string& t : b.texts) b.docs.push_back(nlp.make_doc(t));
    }
    std::vector<Doc*> docs;
    for (Doc& d : b.docs) docs.push_back(&d);
    run(docs);
  } catch (...) {
    const size_t n = from_texts ? b.texts.size() : b.docs.size();
    if (from_texts) b.docs.clear();
    for (size_t i = 0; i < n; ++i) {
      try {
        if (from_texts) b.docs.push_back(nlp.make_doc(b.texts[i]));
        std::vector<Doc*> one{&b.docs[i]};
        run(one);
      } catch (...) {
        b.error = std::current_exception();
        b.docs.erase(b.docs.begin() + long(i), b.docs.end());
        break;
      }
    }
  }
  b.texts.clear();
}

// The stream: `fill` reads the next batch (false once the input has ended), the batches are
// processed on the calling thread or by n_threads workers, and `deliver` hands each to the sink
// in order (rethrowing a batch's error after its good docs).
void run_stream(const Language& nlp, const std::function<bool(StreamBatch&)>& fill,
                const DocSink& sink, size_t batch_size, size_t n_threads) {
  const std::vector<Pipe*> pipes = nlp.pipeline();
  auto deliver = [&](StreamBatch& b) {
    for (Doc& d : b.docs) sink(std::move(d));
    if (b.error) std::rethrow_exception(b.error);
  };
  if (n_threads <= 1) {
    for (bool more = true; more;) {
      StreamBatch b;
      more = fill(b);
      if (b.empty()) break;
      process_batch(nlp, pipes, batch_size, b);
      deliver(b);
    }
    return;
  }
  struct Slot {
    StreamBatch batch;
    bool finished = false;
  };
  struct Shared {
    std::mutex mutex;
    std::condition_variable work, finished;
    std::deque<std::shared_ptr<Slot>> queue;
    bool stop = false;
  } shared;
  std::vector<std::thread> workers;
  // Joins the workers however the caller leaves (a doc's error, the sink's exception): batches
  // still queued are dropped, those in progress finish first.
  struct Join {
    Shared& shared;
    std::vector<std::thread>& workers;
    ~Join() {
      {
        std::lock_guard<std::mutex> lock(shared.mutex);
        shared.stop = true;
      }
      shared.work.notify_all();
      for (std::thread& t : workers) t.join();
    }
  } join{shared, workers};
  for (size_t i = 0; i < n_threads; ++i)
    workers.emplace_back([&] {
      for (;;) {
        std::shared_ptr<Slot> slot;
        {
          std::unique_lock<std::mutex> lock(shared.mutex);
          shared.work.wait(lock, [&] { return shared.stop || !shared.queue.empty(); });
          if (shared.stop) return;
          slot = std::move(shared.queue.front());
          shared.queue.pop_front();
        }
        process_batch(nlp, pipes, batch_size, slot->batch);
        {
          std::lock_guard<std::mutex> lock(shared.mutex);
          slot->finished = true;
        }
        shared.finished.notify_all();
      }
    });
  std::deque<std::shared_ptr<Slot>> in_flight;  // in input order
  const size_t max_in_flight = 2 * n_threads;   // workers busy while the sink takes a batch
  for (bool more = true;;) {
    while (more && in_flight.size() < max_in_flight) {
      auto slot = std::make_shared<Slot>();
      more = fill(slot->batch);
      if (slot->batch.empty()) break;
      {
        std::lock_guard<std::mutex> lock(shared.mutex);
        shared.queue.push_back(slot);
      }
      shared.work.notify_one();
      in_flight.push_back(std::move(slot));
    }
    if (in_flight.empty()) return;
    std::shared_ptr<Slot> front = std::move(in_flight.front());
    in_flight.pop_front();
    {
      std::unique_lock<std::mutex> lock(shared.mutex);
      shared.finished.wait(lock, [&] { return front->finished; });
    }
    deliver(front->batch);
  }
}

// Streams from `source` (texts, or docs to annotate: the batch member `inputs` takes them). An
// exception of the source ends the input; it is rethrown once the docs read before it are done.
template <class T>
void stream_from(const Language& nlp, const std::function<std::optional<T>()>& source,
                 std::vector<T> StreamBatch::*inputs, const DocSink& sink,
                 const PipeOptions& options) {
  const size_t bs = options.batch_size ? options.batch_size : nlp.batch_size ? nlp.batch_size : 1000;
  std::exception_ptr source_error;
  auto fill = [&](StreamBatch& b) {
    std::vector<T>& items = b.*inputs;
    try {
      while (items.size() < bs) {
        std::optional<T> item = source();
        if (!item) return false;
        items.push_back(std::move(*item));
      }
      return true;
    } catch (...) {
      source_error = std::current_exception();
      return false;
    }
  };
  run_stream(nlp, fill, sink, bs, options.n_threads);
  if (source_error) std::rethrow_exception(source_error);
}

}  // namespace

void Language::pipe(const TextSource& source, const DocSink& sink, const PipeOptions& options) {
  stream_from(*this, source, &StreamBatch::texts, sink, options);
}

void Language::pipe(const DocSource& source, const DocSink& sink, const PipeOptions& options) {
  stream_from(*this, source, &StreamBatch::docs, sink, options);
}

// ------------------------------------------------------------------------ pipeline editing

size_t Language::Impl::index_of(const std::string& name) const {
  for (size_t i = 0; i < pipes.size(); ++i)
    if (pipes[i].pipe->name() == name) return i;
  return npos;
}

std::vector<std::string> Language::Impl::names() const {
  std::vector<std::string> out;
  for (const auto& e : pipes) out.push_back(e.pipe->name());
  return out;
}

size_t Language::Impl::checked_index(const std::string& name) const {
  size_t i = index_of(name);
  if (i == npos)
    throw ValueError("[E001] No component '" + name +
                     "' found in pipeline. Available names: " + quoted_list(names()));
  return i;
}

size_t Language::Impl::insert_position(const AddPipeOptions& where) const {
  int given = int(!where.before.empty()) + int(!where.after.empty()) +
              int(where.before_index.has_value()) + int(where.after_index.has_value()) +
              int(where.first) + int(where.last);
  if (given > 1)
    throw ValueError("[E006] Invalid constraints for adding pipeline component. You can only set "
                     "one of the following: before (component name or index), after (component "
                     "name or index), first (True) or last (True). Existing components: " +
                     quoted_list(names()));
  if (where.first) return 0;
  if (!where.before.empty()) return checked_index(where.before);
  if (!where.after.empty()) return checked_index(where.after) + 1;
  auto check = [&](size_t i) {
    if (i >= pipes.size())
      throw ValueError("[E959] Can't insert component at index " + std::to_string(i) +
                       ": the pipeline has " + std::to_string(pipes.size()) +
                       " components. Existing components: " + quoted_list(names()));
    return i;
  };
  if (where.before_index) return check(*where.before_index);
  if (where.after_index) return check(*where.after_index) + 1;
  return pipes.size();
}

Pipe& Language::add_pipe(const std::string& factory, std::string name, const Json& config,
                         const AddPipeOptions& where) {
  if (name.empty()) name = factory;
  if (impl_->index_of(name) != Impl::npos)
    throw ValueError("[E007] '" + name + "' already exists in pipeline. Existing names: " +
                     quoted_list(impl_->names()));
  if (!config.is_null() && !config.is_object())
    throw ValueError("add_pipe: the config of '" + name + "' must be a JSON object");
  size_t pos = impl_->insert_position(where);
  impl_->pipes.insert(impl_->pipes.begin() + long(pos),
                      Impl::make_entry(*this, factory, name, config));
  link_components();  // as spaCy's add_pipe
  return *impl_->pipes[pos].pipe;
}

Language::Impl::Entry Language::Impl::make_entry(Language& nlp, const std::string& factory,
                                                 const std::string& name, const Json& config) {
  const FactoryMeta& meta = get_factory(factory);
  Json given = config.is_null() ? Json::object() : config;
  given.erase("factory");
  Json merged = pipeline::deep_merge_configs(given, meta.default_config);
  std::vector<std::string> path{"components", name};
  Json filled = registry::fill_defaults(merged, path);
  registry::Value resolved = registry::resolve(filled, path);
  std::unique_ptr<Pipe> pipe = meta.make(nlp, name, resolved);
  if (!pipe) throw Error("factory '" + factory + "' returned no component");
  pipe->set_name(name);
  pipe->set_factory_name(factory);
  Json block = Json::object();
  block["factory"] = factory;
  for (auto it = filled.begin(); it != filled.end(); ++it) block[it.key()] = it.value();
  Entry e;
  e.pipe = std::move(pipe);
  e.block = std::move(block);
  return e;
}

Pipe& Language::add_pipe(std::unique_ptr<Pipe> pipe, const AddPipeOptions& where) {
  if (!pipe) throw ValueError("add_pipe: null component");
  const std::string name = pipe->name();
  if (name.empty()) throw ValueError("add_pipe: the component has no name");
  if (impl_->index_of(name) != Impl::npos)
    throw ValueError("[E007] '" + name + "' already exists in pipeline. Existing names: " +
                     quoted_list(impl_->names()));
  size_t pos = impl_->insert_position(where);
  Impl::Entry e;
  e.block = Json::object();
  e.block["factory"] = pipe->factory_name().empty() ? name : pipe->factory_name();
  e.pipe = std::move(pipe);
  impl_->pipes.insert(impl_->pipes.begin() + long(pos), std::move(e));
  link_components();  // as spaCy's add_pipe
  return *impl_->pipes[pos].pipe;
}

void Language::remove_pipe(const std::string& name) {
  size_t i = impl_->checked_index(name);
  impl_->pipes.erase(impl_->pipes.begin() + long(i));
  link_components();
}

void Language::rename_pipe(const std::string& old_name, const std::string& new_name) {
  size_t i = impl_->checked_index(old_name);
  if (new_name.empty()) throw ValueError("rename_pipe: the new name is empty");
  if (old_name == new_name) return;
  if (impl_->index_of(new_name) != Impl::npos)
    throw ValueError("[E007] '" + new_name + "' already exists in pipeline. Existing names: " +
                     quoted_list(impl_->names()));
  impl_->pipes[i].pipe->set_name(new_name);
  link_components();
}

Pipe& Language::get_pipe(const std::string& name) const {
  return *impl_->pipes[impl_->checked_index(name)].pipe;
}

bool Language::has_pipe(const std::string& name) const {
  return impl_->index_of(name) != Impl::npos;
}

std::vector<std::string> Language::pipe_names() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->pipes)
    if (e.enabled) out.push_back(e.pipe->name());
  return out;
}

std::vector<std::string> Language::component_names() const { return impl_->names(); }

std::vector<std::string> Language::disabled() const {
  std::vector<std::string> out;
  for (const auto& e : impl_->pipes)
    if (!e.enabled) out.push_back(e.pipe->name());
  return out;
}

std::vector<Pipe*> Language::pipeline() const {
  std::vector<Pipe*> out;
  for (const auto& e : impl_->pipes)
    if (e.enabled) out.push_back(e.pipe.get());
  return out;
}

void Language::disable_pipe(const std::string& name) {
  impl_->pipes[impl_->checked_index(name)].enabled = false;
}

void Language::enable_pipe(const std::string& name) {
  impl_->pipes[impl_->checked_index(name)].enabled = true;
}

DisabledPipes Language::select_pipes(const std::vector<std::string>& disable,
                                     const std::vector<std::string>& enable) {
  std::vector<std::string> to_disable = disable;
  if (!enable.empty()) {
    for (const auto& n : enable) impl_->checked_index(n);
    std::vector<std::string> computed;
    for (const auto& n : pipe_names())
      if (std::find(enable.begin(), enable.end(), n) == enable.end()) computed.push_back(n);
    if (!disable.empty() && disable != computed)
      throw ValueError("[E992] The `enable` and `disable` arguments of select_pipes are "
                       "inconsistent: enable=" + quoted_list(enable) + ", disable=" +
                       quoted_list(disable) + ", pipeline=" + quoted_list(pipe_names()));
    to_disable = computed;
  }
  for (const auto& n : to_disable) impl_->checked_index(n);
  std::vector<std::string> already = disabled();
  std::vector<std::string> names;
  for (const auto& n : to_disable)
    if (std::find(already.begin(), already.end(), n) == already.end() &&
        std::find(names.begin(), names.end(), n) == names.end())
      names.push_back(n);
  return DisabledPipes(*this, names);
}

DisabledPipes::DisabledPipes(Language& nlp, std::vector<std::string> names)
    : nlp_(&nlp), names_(std::move(names)) {
  for (const auto& n : names_) nlp_->disable_pipe(n);
}

DisabledPipes::DisabledPipes(DisabledPipes&& o) noexcept : nlp_(o.nlp_), names_(std::move(o.names_)) {
  o.nlp_ = nullptr;
  o.names_.clear();
}

DisabledPipes::~DisabledPipes() {
  if (!nlp_) return;
  for (const auto& n : names_)
    if (nlp_->has_pipe(n)) nlp_->enable_pipe(n);  // a destructor must not throw
}

void DisabledPipes::restore() {
  if (!nlp_) return;
  for (const auto& n : names_) {
    if (!nlp_->has_pipe(n))
      throw ValueError("[E008] Can't restore disabled pipeline component '" + n +
                       "' because it doesn't exist in the pipeline anymore.");
  }
  for (const auto& n : names_) nlp_->enable_pipe(n);
  nlp_ = nullptr;
}

// ------------------------------------------------------------------------------- training

void Pipe::initialize_with_settings(const GetExamples& get_examples, Language& nlp,
                                    const registry::Value& settings) {
  if (settings.is_section() && !settings.items().empty())
    throw ConfigError({"initialize", "components", name(), settings.items().front().first},
                      "unexpected initialization setting: the " +
                          (factory_name().empty() ? std::string("component") : "'" + factory_name() + "' component") +
                          " takes no settings in [initialize.components." + name() + "]");
  initialize(get_examples, nlp);
}

namespace {
// spaCy's init_vocab puts [initialize] lookups (spacy.LookupsDataLoader.v1: tables of the
// spacy-lookups-data package) into the vocab. That package is Python data trfpipe does not have,
// so the config validates but initializing refuses, naming the tables (spaCy's E955).
[[noreturn]] void refuse_lookups(const Json& lookups) {
  std::string tables, lang;
  if (lookups.is_object() && lookups.contains("tables") && lookups["tables"].is_array())
    for (const Json& t : lookups["tables"])
      tables += (tables.empty() ? "" : ", ") + (t.is_string() ? t.get<std::string>() : t.dump());
  if (lookups.is_object() && lookups.contains("lang") && lookups["lang"].is_string())
    lang = lookups["lang"].get<std::string>();
  throw ConfigError({"initialize", "lookups"},
                    "[E955] Can't find table(s) " + (tables.empty() ? "(none named)" : tables) +
                        (lang.empty() ? "" : " for language '" + lang + "'") +
                        " in spacy-lookups-data: trfpipe has no lookups tables (the "
                        "spacy-lookups-data package is Python data). Set [initialize] lookups = "
                        "null to initialize without them");
}
}  // namespace

void Language::initialize(const GetExamples& get_examples) {
  // spaCy's nlp.initialize: each pipe gets its [initialize.components.<name>] settings.
  const Json cfg = config();
  if (cfg.contains("initialize") && cfg["initialize"].is_object() &&
      cfg["initialize"].contains("lookups") && !cfg["initialize"]["lookups"].is_null())
    refuse_lookups(cfg["initialize"]["lookups"]);
  // init_vocab first: the components size their static-vectors layers by the table.
  if (cfg.contains("initialize") && cfg["initialize"].is_object() &&
      cfg["initialize"].contains("vectors") && !cfg["initialize"]["vectors"].is_null()) {
    const Json& v = cfg["initialize"]["vectors"];
    if (!v.is_string())
      throw ConfigError({"initialize", "vectors"},
                        "expected the path of a pipeline folder with vectors, got " + v.dump());
    pipeline::load_vectors_into_vocab(*impl_->vocab, v.get<std::string>());
    link_components();
  }
  Json settings = Json::object();
  if (cfg.contains("initialize") && cfg["initialize"].is_object() &&
      cfg["initialize"].contains("components")) {
    settings = cfg["initialize"]["components"];
    if (!settings.is_object())
      throw ConfigError({"initialize", "components"}, "expected a section of component blocks");
  }
  for (Pipe* p : pipeline()) {
    if (!settings.contains(p->name())) {
      p->initialize(get_examples, *this);
      continue;
    }
    const std::vector<std::string> path{"initialize", "components", p->name()};
    const Json& block = settings[p->name()];
    if (!block.is_object()) throw ConfigError(path, "expected a section, got " + block.dump());
    registry::Value resolved = registry::resolve(block, path);
    p->initialize_with_settings(get_examples, *this, resolved);
  }
  link_components();
}

void Language::update(const std::vector<Example>& examples_in, double drop, Optimizer* sgd,
                      Losses& losses, const std::vector<std::string>& exclude,
                      const std::vector<std::string>& annotates) {
  if (examples_in.empty()) return;
  // spaCy copies the examples (and their predicted docs) so that annotating them leaves the
  // caller's examples untouched.
  std::vector<Example> examples;
  examples.reserve(examples_in.size());
  for (const auto& eg : examples_in) examples.push_back(eg.copy_predicted());
  auto in = [](const std::vector<std::string>& v, const std::string& n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  for (Pipe* p : pipeline()) {
    const std::string name = p->name();
    if (!in(exclude, name) && p->is_trainable()) {
      auto* tp = static_cast<TrainablePipe*>(p);
      tp->update(examples, drop, nullptr, losses);
      if (sgd) tp->finish_update(*sgd);
    }
    if (in(annotates, name)) {
      std::vector<Doc*> docs;
      for (auto& eg : examples) docs.push_back(&eg.predicted());
      p->pipe(docs, batch_size);
    }
  }
}

void Language::link_components() {
  for (auto& e : impl_->pipes) e.pipe->on_pipeline_built(*this);
}

// --------------------------------------------------------------------------------- config

Json Language::config() const {
  Json out = impl_->base_config.is_object() ? impl_->base_config : Json::object();
  Json nlp = Json::object();
  nlp["lang"] = impl_->lang;
  nlp["pipeline"] = component_names();
  nlp["disabled"] = disabled();
  nlp["before_creation"] = nullptr;
  nlp["after_creation"] = nullptr;
  nlp["after_pipeline_creation"] = nullptr;
  nlp["batch_size"] = batch_size;
  nlp["tokenizer"] = {{"@tokenizers", impl_->char_tokenizer ? kCharPretokenizerName : kRuleTokenizerName}};
  nlp["vectors"] = {{"@vectors", "spacy.Vectors.v1"}};
  Json components = Json::object();
  for (const auto& e : impl_->pipes) components[e.pipe->name()] = e.block;
  if (!out.contains("nlp")) {
    // Keep spaCy's section order: [paths] [system] [nlp] [components] ...
    Json ordered = Json::object();
    for (auto it = out.begin(); it != out.end(); ++it)
      if (it.key() == "paths" || it.key() == "system") ordered[it.key()] = it.value();
    ordered["nlp"] = nlp;
    ordered["components"] = components;
    for (auto it = out.begin(); it != out.end(); ++it)
      if (!ordered.contains(it.key())) ordered[it.key()] = it.value();
    return ordered;
  }
  out["nlp"] = nlp;
  out["components"] = components;
  return out;
}

void Language::set_config(Json config) {
  if (!config.is_object()) throw ValueError("set_config: the config must be a JSON object");
  impl_->base_config = std::move(config);
}

Json& Language::meta() {
  Json& m = impl_->meta;
  if (!m.is_object()) m = Json::object();
  m["lang"] = impl_->lang;
  const std::pair<const char*, Json> defaults[] = {
      {"name", "pipeline"},          {"version", "0.0.0"},
      {"spacy_version", ">=3.8.0,<3.9.0"}, {"description", ""},
      {"author", ""},                {"email", ""},
      {"url", ""},                   {"license", ""},
  };
  for (const auto& [k, v] : defaults)
    if (!m.contains(k)) m[k] = v;
  m["trfpipe_version"] = "0.1.0";
  const Vectors& vectors = impl_->vocab->vectors();
  m["vectors"] = {{"width", vectors.cols()},
                  {"vectors", vectors.rows()},
                  {"keys", vectors.n_keys()},
                  {"name", vectors.name().empty() ? Json(nullptr) : Json(vectors.name())},
                  {"mode", vectors.mode()}};
  Json labels = Json::object();
  for (const auto& e : impl_->pipes) {
    auto l = e.pipe->labels();
    if (!l.empty()) labels[e.pipe->name()] = l;
  }
  m["labels"] = labels;
  m["pipeline"] = pipe_names();
  m["components"] = component_names();
  m["disabled"] = disabled();
  return m;
}

}  // namespace trfpipe
