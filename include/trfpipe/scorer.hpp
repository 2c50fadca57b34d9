// spaCy's Scorer (spacy/scorer.py): precision/recall/F, ROC AUC, and the metric functions behind
// the built-in components' scorers, with spaCy's metric names and definitions. Torch-free.
//
// Metrics are returned as JSON objects (`Json`), keys exactly as spaCy's (token_acc, tag_acc,
// ents_p, ents_per_type, cats_score, ...); a metric that cannot be computed is JSON null (None).
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trfpipe/example.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

class Language;

// spaCy's PRFScore (denominators get + 1e-100 as spaCy's).
struct PRFScore {
  size_t tp = 0, fp = 0, fn = 0;
  size_t size() const { return tp + fp + fn; }
  double precision() const;
  double recall() const;
  double fscore() const;
  Json to_dict() const;  // {"p", "r", "f"}
  PRFScore& operator+=(const PRFScore& o);
};

// spaCy's ROCAUCScore: collects (candidate score, gold value) pairs.
struct ROCAUCScore {
  std::vector<double> cands, golds;
  void score_set(double cand, double gold) {
    cands.push_back(cand);
    golds.push_back(gold);
  }
  bool is_binary() const;  // exactly two distinct gold values
  double score() const;    // ValueError (spaCy's E165) unless is_binary()
};

// spaCy's _roc_auc_score (sklearn's binary ROC AUC: positive = gold == 1.0, ties in the score
// form one threshold, trapezoid area). ValueError unless y_true has exactly two distinct values.
double roc_auc_score(const std::vector<double>& y_true, const std::vector<double>& y_score);

namespace scorer {

// Scorer.score_tokenization: token_acc, token_p, token_r, token_f (null without examples whose
// reference has known spaces).
Json score_tokenization(const std::vector<Example>& examples);
// Scorer.score_token_attr for "tag", "pos", "lemma", "dep" or "morph": {"<attr>_acc": F or null}.
// "morph" compares analyses by key, as spaCy's morphologizer scorer: the empty analysis ("_")
// is a value, only an unset one is missing.
Json score_token_attr(const std::vector<Example>& examples, const std::string& attr);
// Scorer.score_token_attr_per_feat(examples, "morph"): morph_micro_p/r/f over "Field=Values"
// features and morph_per_feat {field: {p, r, f}} (fields in order of first appearance; null
// when nothing was counted). Reference tokens with an unset or empty analysis are not scored.
Json score_morph_per_feat(const std::vector<Example>& examples);
// get_ner_prf: ents_p, ents_r, ents_f, ents_per_type (null when nothing to count).
Json score_ents(const std::vector<Example>& examples);
// Scorer.score_spans: <attr>_p, _r, _f and (labeled) <attr>_per_type ({label: {p, r, f}}), all
// null when nothing was counted. Spans are compared as (label, start, end); examples whose
// reference fails has_annotation are skipped, predictions are read only where the predicted doc
// passes it; predicted spans are aligned to the reference (get_aligned_spans_x2y with
// allow_overlap).
using SpanGetter = std::function<std::vector<Span>(Doc&)>;
Json score_spans(const std::vector<Example>& examples, const std::string& attr,
                 const SpanGetter& getter,
                 const std::function<bool(const Doc&)>& has_annotation = {}, bool labeled = true,
                 bool allow_overlap = false);
// score_spans over the span group `key` (getter doc.spans[key], has_annotation = the doc has the
// group): spans_<key>_p/_r/_f and, when labeled, spans_<key>_per_type.
Json score_span_group(const std::vector<Example>& examples, const std::string& key, bool labeled = true,
                      bool allow_overlap = false);
// Scorer.score_spans(examples, "sents", has_annotation=SENT_START) without sents_per_type.
Json score_sents(const std::vector<Example>& examples);
// Scorer.score_deps(examples, "dep", ...): dep_uas, dep_las (F-scores over (token, head) and
// (token, head, label) sets of the aligned tokens), dep_las_per_type {label: {p, r, f}}; null
// when nothing was counted. Labels in `ignore_labels` (compared after `lowercase`) are not
// scored; reference tokens without a dep label are missing (spaCy keeps them missing for the
// later examples of the batch too).
Json score_deps(const std::vector<Example>& examples,
                const std::vector<std::string>& ignore_labels = {}, bool lowercase = false);
// spaCy's parser_score (spacy.parser_scorer.v1): score_sents plus score_deps with lowercased
// labels and "p" / "punct" ignored.
Json score_parser(const std::vector<Example>& examples);

struct CatsOptions {
  std::vector<std::string> labels;
  bool multi_label = true;
  std::optional<std::string> positive_label;
  std::optional<double> threshold;  // default 0.5 (multi-label); forced to 0.0 when exclusive
};
// Scorer.score_cats(examples, attr): <attr>_score, _score_desc, _micro_p/r/f, _macro_p/r/f,
// _macro_auc, _f_per_type, _auc_per_type. Exclusive classes compare the first highest-scoring
// predicted and gold labels (argmax, first wins ties); multi-label counts pred >= threshold as
// positive; a label missing from a reference's cats is not scored (multi-label) or counts as 0.0
// (exclusive). A positive_label that is not a label is a ValueError.
Json score_cats(const std::vector<Example>& examples, const std::string& attr,
                const CatsOptions& options);

// A component's scorer: examples + the component's settings ({"labels": [...], "threshold": ...,
// "positive_label": ...}) -> scores.
using ScorerFn = std::function<Json(const std::vector<Example>&, const Json& settings)>;

// The built-in scorers by registered name ("spacy.tagger_scorer.v1", "spacy.ner_scorer.v1",
// "spacy.textcat_scorer.v2", "spacy.textcat_multilabel_scorer.v2", "spacy.senter_scorer.v1",
// "spacy.parser_scorer.v1", "spacy.morphologizer_scorer.v1", "spacy.lemmatizer_scorer.v1",
// "spacy.entity_ruler_scorer.v1", "spacy.attribute_ruler_scorer.v1",
// "spacy.overlapping_labeled_spans_scorer.v1", "spacy.spancat_scorer.v1"; the last two are
// score_span_group over doc.spans[settings "spans_key"] with allow_overlap).
// Error listing the names when unknown.
const ScorerFn& get(const std::string& name);
bool has(const std::string& name);

// Adds the scorers to registry "scorers" (each resolves to a ScorerFn). Idempotent; later
// registrations replace earlier placeholders of the same name.
void register_scorers();

}  // namespace scorer

// spaCy's nlp.evaluate(examples): copies the predicted docs, times make_doc over the reference
// texts plus the pipeline over the predicted docs, then scores tokenization and every enabled
// component that has a scorer ([components.<name>] scorer = {"@scorers": ...}). Adds "speed"
// (words per second). Keys in spaCy's order. With per_component (spaCy's evaluate
// per_component=True) the scores are grouped: {"tokenizer": {...}, "<component>": {...}, "speed"}.
Json evaluate(Language& nlp, const std::vector<Example>& examples, size_t batch_size = 0,
              bool per_component = false);

}  // namespace trfpipe
