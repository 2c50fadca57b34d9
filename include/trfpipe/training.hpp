// spaCy's training machinery: corpus readers (spacy.Corpus.v1, spacy.JsonlCorpus.v1), batchers
// (spacy.batch_by_words.v1, batch_by_padded.v1, batch_by_sequence.v1), the default training
// config, init_nlp and the training loop (spacy/training/loop.py) with the console logger.
// Torch-free header; the loop itself lives in training/ with LibTorch.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/distributed.hpp"
#include "trfpipe/example.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe {

// A batch size: a fixed number or a schedule (value per batch: 0, 1, 2 ...); the same type as a
// trfpipe::Schedule.
using SizeSchedule = std::function<double(int64_t)>;

// spacy.Corpus.v1: a .spacy file or a directory searched recursively for .spacy files (sorted
// paths). Empty docs are skipped; `limit` > 0 keeps the first `limit` docs. Without gold_preproc,
// a doc of max_length or more tokens (max_length > 0) is split into its sentences when it has
// sentence boundaries (sentences still too long are dropped), else skipped. gold_preproc makes
// one example per sentence with the reference's words. The predicted side is nlp.make_doc(text),
// or the reference's words when it has unknown spaces.
struct CorpusOptions {
  std::string path;
  bool gold_preproc = false;
  int64_t max_length = 0;
  int64_t limit = 0;
  bool shuffle = false;
};
class Corpus {
 public:
  // A null/empty path is a ConfigError naming `config_path` (spaCy's E913); a missing path is a
  // DataError.
  explicit Corpus(CorpusOptions options, std::vector<std::string> config_path = {});
  std::vector<Example> operator()(Language& nlp) const;
  // The reference docs as read (no splitting), for `debug data`.
  std::vector<Doc> read_docs(Language& nlp) const;
  const CorpusOptions& options() const { return options_; }
  std::vector<std::string> files() const;  // the .spacy files read (DataError when none)

 private:
  CorpusOptions options_;
};

// spacy.JsonlCorpus.v1: {"text": ...} per line; docs shorter than min_length or longer than
// max_length tokens (when > 0) are skipped; reference = predicted = make_doc(text).
struct JsonlCorpusOptions {
  std::string path;
  int64_t min_length = 5, max_length = 500, limit = 0;
};
std::vector<Example> read_jsonl_corpus(const JsonlCorpusOptions& options, Language& nlp);

// A reader as resolved from [corpora.*]: examples for a pipeline.
using Reader = std::function<std::vector<Example>(Language& nlp)>;

// Batchers (spaCy semantics; lengths are len(example.predicted)).
using Batch = std::vector<Example>;
using Batcher = std::function<std::vector<Batch>(const std::vector<Example>&)>;
// minibatch_by_words: batches of about `size` words, a tolerance margin, oversize examples alone
// (or dropped with discard_oversize). A schedule size is read once per batch.
Batcher batch_by_words(SizeSchedule size, double tolerance = 0.2, bool discard_oversize = false);
// minibatch_by_padded_size: buffers of `buffer` examples sorted by length into batches whose
// padded size (longest * count) stays within `size`.
Batcher batch_by_padded(SizeSchedule size, int64_t buffer = 256, bool discard_oversize = false);
// minibatch: `size` examples per batch.
Batcher batch_by_sequence(SizeSchedule size);
SizeSchedule constant_size(double size);

// spaCy's default_config.cfg (paths, system, nlp, components, corpora, training, pretraining,
// initialize) as a raw tree.
Json default_training_config();
// spaCy's auto-fill: the default config under `config` (config wins), factory defaults in every
// component block and registry defaults in every promise (registry::fill_defaults).
Json fill_config(const Json& config);

// spaCy's combine_score_weights: each component's default_score_weights (null kept, not
// normalised), normalised so that the non-null weights sum to 1 (rounded to 2 digits), with
// `overrides` ([training.score_weights]) taking precedence.
Json combine_score_weights(const std::vector<Json>& weights, const Json& overrides = Json::object());

// The resolved [training] section.
struct TrainingSettings;

struct TrainOptions {
  std::string output_path;  // "" = do not save
  std::ostream* out = nullptr;  // the table and messages (stdout when null)
  std::ostream* err = nullptr;  // the progress indicator (stderr when null)
  bool progress = true;         // a progress line on `err` between evaluations when it is a TTY
  bool verbose = false;         // spaCy's -V: the [INFO] lines of init_nlp on `err`
  // Data-parallel training (docs/distributed.md) when world_size > 1: this process joins the
  // group, trains on its shard of the corpus (the batch size is per worker), sums gradients over
  // the workers before each optimizer step; only rank 0 evaluates, prints and saves.
  DistributedSettings distributed;
};

// spaCy's init_nlp: seeds, builds the pipeline from the (raw, auto-filled) config, resolves the
// corpora and initializes the components with the training examples. ConfigErrors name the path.
// With `log`, spaCy's logger lines ("[time] [INFO] Pipeline: [...]") are written to it.
std::unique_ptr<Language> init_nlp(const Json& config, std::ostream* log = nullptr);

// Everything `train` checks in a filled, interpolated config before it reads any data: the
// pipeline builds, [training] resolves (types and ranges such as eval_frequency >= 1, dropout a
// number, accumulate_gradient >= 1; optimizer, batcher, logger, corpora), frozen and annotating
// components exist. Returns the (uninitialized) pipeline. init_nlp and `debug config` both call
// it, so `debug config` accepts exactly what `train` accepts.
std::unique_ptr<Language> validate_training_config(const Json& config);

// spaCy's train(): the loop with [training] semantics, console table, model-last/model-best
// (each written atomically). Returns the path of model-last ("" when not saved).
std::string train(Language& nlp, const TrainOptions& options);

// `trfpipe train` as a library call: loads `config_path` with overrides, prints spaCy's messages.
std::string train_from_config_file(const std::string& config_path,
                                   const std::vector<std::pair<std::string, std::string>>& overrides,
                                   const TrainOptions& options);

// spaCy's quickstart template (CPU) for `init config`: tok2vec (efficiency: width 96, depth 4;
// accuracy: 256, 8) or a transformer named `transformer_name` (a local HF folder) with
// TransformerListener.v1 listeners, and the components tagger, ner, textcat, textcat_multilabel,
// spancat, spancat_singlelabel. Not filled: pass it to fill_config(). ValueError for other components.
Json quickstart_config(const std::string& lang, const std::vector<std::string>& pipeline,
                       bool accuracy, const std::string& transformer_name = "");

// `debug data` counts per corpus ("train", "dev"): docs, words, tags, missing_tags, entities
// (per label, counted at their first token), missing_entity_tokens, cats (positive docs per label),
// unique_words, ws_ents / punct_ents (entities starting with a space / punctuation token),
// boundary_cross_ents (entities crossing a sentence start), docs_without_entity_label (per label:
// docs with entity annotation but none of that label).
Json debug_data_counts(Language& nlp, const Reader& train, const Reader& dev);

// The readers named by [training] train_corpus / dev_corpus of an interpolated config.
std::pair<Reader, Reader> resolve_corpora(const Json& config);

// Registers the readers, batchers, loggers and scorers. Idempotent; run by register_all().
void register_training();

}  // namespace trfpipe
