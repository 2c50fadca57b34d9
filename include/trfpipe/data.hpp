// spaCy's training data formats: the binary `.spacy` DocBin (byte-compatible with spaCy), and the
// converters behind `spacy convert` (CoNLL-U, CoNLL-2003 / IOB columns, sentence-per-line IOB,
// the v2 JSON training format), JSONL text and GoEmotions TSV. Torch-free.
//
// Every problem in input data is a trfpipe::DataError naming the file and the line (text
// formats) or the doc index (DocBin).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trfpipe/attrs.hpp"  // spaCy attribute IDs (attrs::ORTH ...) used by the DocBin
#include "trfpipe/doc.hpp"
#include "trfpipe/vocab.hpp"

namespace trfpipe {

// spaCy's DOCBIN_ALL_ATTRS, sorted (ORTH first).
const std::vector<uint64_t>& docbin_all_attrs();

// spaCy's doc.has_unknown_spaces: the Doc was built from words alone (every space assumed). Kept
// in the Doc extension "has_unknown_spaces" (registered on first use); false when never set.
bool has_unknown_spaces(const Doc& doc);
void set_has_unknown_spaces(Doc& doc, bool value);

// spaCy's DocBin: many Docs packed as zlib(msgpack({version, attrs, tokens, spaces, lengths,
// strings, cats, flags, span_groups[, user_data]})). Span groups (doc.spans) round-trip as
// spaCy 3.8 writes them: msgpack [] when a doc has none, else {SpanGroup bytes: [keys]} with
// SpanGroup bytes = msgpack {"name", "attrs", "spans": [struct ">QQQllll" (id, kb_id, label,
// start, end, start_char, end_char)]}; reading also takes b"" and the older list of group
// bytes. Bytes read are written back unchanged. user_data is written as an empty msgpack map per
// doc when store_user_data is set (spaCy's `convert` does this) and is not restored.
class DocBin {
 public:
  // `attrs`: attribute IDs to store; ORTH is always stored first, SPACY never (spaces are a
  // separate array). Unknown IDs are a ValueError.
  explicit DocBin(const std::vector<uint64_t>& attrs = docbin_all_attrs(),
                  bool store_user_data = false);

  void add(const Doc& doc);
  size_t size() const { return lengths_.size(); }
  const std::vector<uint64_t>& attrs() const { return attrs_; }
  std::vector<std::string> strings() const;  // sorted
  size_t n_tokens() const { return spaces_.size(); }

  // The docs, with their strings added to `vocab`.
  std::vector<Doc> get_docs(const std::shared_ptr<Vocab>& vocab) const;

  std::string to_bytes() const;    // zlib-compressed msgpack, as spaCy's DocBin.to_bytes()
  std::string to_msgpack() const;  // the uncompressed msgpack message
  // Replaces the content. `source` names the data in errors (a file path or "<bytes>").
  void from_bytes(std::string_view data, const std::string& source = "<bytes>");
  void to_disk(const std::string& path) const;
  static DocBin from_disk(const std::string& path);

 private:
  std::vector<uint64_t> attrs_;
  bool store_user_data_ = false;
  std::vector<uint64_t> tokens_;  // row-major (n_tokens, attrs_.size())
  std::vector<uint8_t> spaces_;   // one per token
  std::vector<int32_t> lengths_;  // tokens per doc
  std::set<std::string> strings_;
  std::vector<std::vector<std::pair<std::string, double>>> cats_;
  std::vector<bool> unknown_spaces_;
  std::vector<std::string> span_groups_;  // msgpack bytes per doc
  std::string source_ = "<bytes>";
};

// Convenience: read a .spacy file into Docs over `vocab`; write Docs as a .spacy file.
std::vector<Doc> read_docbin(const std::string& path, std::shared_ptr<Vocab> vocab);
void write_docbin(const std::string& path, const std::vector<const Doc*>& docs,
                  bool store_user_data = false);
void write_docbin(const std::string& path, const std::vector<Doc>& docs,
                  bool store_user_data = false);

// A tokenizer for the text formats (JSONL, GoEmotions): usually Language::make_doc.
using MakeDoc = std::function<Doc(std::string_view text)>;

// ---- Converters (spaCy's spacy/training/converters). `n_sents`: sentences per Doc; 0 puts every
// sentence of the input into one Doc. The *_string forms take the text itself and name it
// `source` in errors.

// CoNLL-U (conllu_to_docs): multiword ranges (1-2) and empty nodes (1.1) are skipped; words and
// SpaceAfter=No give the spaces; UPOS -> pos, XPOS -> tag (UPOS when XPOS is "_"), LEMMA,
// FEATS -> morph, HEAD/DEPREL (root -> ROOT), one sentence start per sentence; NER from MISC
// (`NE=`/`name=` + B/I/L/U tags) when any token in the input has one. `append_morphology`
// (spaCy's --morphology) makes tags TAG__FEATS. `merge_subtokens` (spaCy's --merge-subtokens)
// makes each multiword range one token instead: its words joined, lemmas joined by " ", tags by
// "_", the features merged, POS, head and dependency of the range's root.
std::vector<Doc> read_conllu(const std::string& path, const std::shared_ptr<Vocab>& vocab,
                             int n_sents = 10, bool append_morphology = false,
                             bool merge_subtokens = false);
std::vector<Doc> parse_conllu(std::string_view text, const std::string& source,
                              const std::shared_ptr<Vocab>& vocab, int n_sents = 10,
                              bool append_morphology = false, bool merge_subtokens = false);

// CoNLL-2003-style columns (conll_ner_to_docs): first column the word, last column the IOB tag
// (IOB1, IOB2 or BILUO), a middle column the tag (else the tag is "-" as in spaCy). Blank or
// whitespace-only lines separate sentences; `-DOCSTART-` lines separate documents (and then
// n_sents is ignored, as in spaCy). Files whose token lines start with a running index and
// carry `#` comment lines (Universal NER .iob2) use column 2 as the word and the rightmost
// column of IOB tags as the tag column. Words are joined by spaces (has_unknown_spaces).
std::vector<Doc> read_conll_ner(const std::string& path, const std::shared_ptr<Vocab>& vocab,
                                int n_sents = 10);
std::vector<Doc> parse_conll_ner(std::string_view text, const std::string& source,
                                 const std::shared_ptr<Vocab>& vocab, int n_sents = 10);

// spaCy's sentence-per-line IOB (iob_to_docs): `word|tag|IOB` or `word|IOB` tokens.
std::vector<Doc> read_iob(const std::string& path, const std::shared_ptr<Vocab>& vocab,
                          int n_sents = 10);
std::vector<Doc> parse_iob(std::string_view text, const std::string& source,
                           const std::shared_ptr<Vocab>& vocab, int n_sents = 10);

// spaCy's v2 JSON training format: one Doc per paragraph.
std::vector<Doc> read_json_v2(const std::string& path, const std::shared_ptr<Vocab>& vocab);
std::vector<Doc> parse_json_v2(std::string_view text, const std::string& source,
                               const std::shared_ptr<Vocab>& vocab);
// spaCy's docs_to_json: {"id", "paragraphs": [one per Doc]}.
Json docs_to_json(const std::vector<const Doc*>& docs, int doc_id = 0);

// JSONL: one {"text": ...} object per line (blank lines skipped); an optional "cats" object
// ({label: score}) is kept, and optional "spans" become doc.spans: {key: [[start_char, end_char,
// label, kb_id?], ...]} (spaCy's Example.from_dict form) or {key: [{"start", "end", "label",
// "kb_id"?}, ...]} (Doc.to_json's form, as `trfpipe apply` writes it).
std::vector<Doc> read_jsonl(const std::string& path, const MakeDoc& make_doc,
                            const std::string& text_key = "text");

// GoEmotions TSV: `text<TAB>label ids (comma-separated)<TAB>id` with labels.txt (one label per
// line, the line number is the id). Each Doc's cats hold every label, 1.0 if present else 0.0.
std::vector<std::string> read_labels(const std::string& path);
std::vector<Doc> read_goemotions(const std::string& path, const std::vector<std::string>& labels,
                                 const MakeDoc& make_doc);

// BILUO / IOB helpers (spaCy's iob_to_biluo + tags_to_entities): entity spans
// [start, end, label] from per-token tags; "-" or "" marks a missing tag. Invalid tags are a
// ValueError naming the tag.
struct EntitySpan {
  size_t start = 0, end = 0;
  std::string label;
  bool operator==(const EntitySpan& o) const {
    return start == o.start && end == o.end && label == o.label;
  }
};
std::vector<EntitySpan> tags_to_spans(const std::vector<std::string>& tags);
// Writes entities to the tokens (ent_iob/ent_type): tokens in `missing` get ent_iob 0 ("").
void set_entities(Doc& doc, const std::vector<EntitySpan>& ents,
                  const std::vector<bool>& missing = {});

// ---- `trfpipe convert`
struct ConvertOptions {
  std::string converter = "auto";  // auto|conllu|conllubio|conll|ner|iob|json|jsonl|goemotions
  int n_sents = 1;                 // spaCy's convert default
  bool append_morphology = false;
  bool merge_subtokens = false;    // conllu: multiword ranges as one token
  std::string labels_path;         // goemotions
  std::string text_key = "text";   // jsonl
  std::string spans_key;           // non-empty: copy_ents_to_spans(doc, spans_key) on every doc
};
// The converter `auto` picks for `path` (by extension and, for .conll/.iob/.ner, by content:
// token-per-line columns -> "ner", sentence-per-line `w|tag|IOB` -> "iob").
std::string detect_converter(const std::string& path, const ConvertOptions& options);
// What spaCy users write as `doc.spans[key] = list(doc.ents)` to train a spancat on NER data:
// the entities (label, kb_id, id) become span group `key`, an empty group for a doc without
// entities, replacing a group of that name. ValueError for an empty key.
void copy_ents_to_spans(Doc& doc, const std::string& key);
// Converts one file. `make_doc` is needed for jsonl and goemotions.
std::vector<Doc> convert_file(const std::string& path, const ConvertOptions& options,
                              const std::shared_ptr<Vocab>& vocab, const MakeDoc& make_doc = {});

}  // namespace trfpipe
