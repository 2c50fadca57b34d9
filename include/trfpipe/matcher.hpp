// Rule-based matching with spaCy 3.8's semantics (spacy/matcher/matcher.pyx, phrasematcher.pyx,
// dependencymatcher.pyx, levenshtein.pyx): the token-pattern Matcher, the PhraseMatcher for large
// terminology lists and the DependencyMatcher over the parse. Torch-free.
//
// Patterns are spaCy's JSON/dict form, e.g.
//   [{"LOWER": "hello"}, {"IS_PUNCT": true, "OP": "?"}, {"LOWER": {"IN": ["world", "earth"]}}]
// Every error is a ValueError naming the rule key, the pattern index, the token index and the
// key of the token spec; with `validate` a MatchPatternError lists every problem of every pattern
// as spaCy's validation does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/vocab.hpp"

namespace trfpipe {

// spaCy's MatchPatternError: "Invalid token patterns for matcher rule '<key>'" followed by the
// problems of each pattern index.
class MatchPatternError : public ValueError {
 public:
  MatchPatternError(std::string key, std::map<size_t, std::vector<std::string>> errors);
  const std::string& key() const { return key_; }
  const std::map<size_t, std::vector<std::string>>& errors() const { return errors_; }

 private:
  std::string key_;
  std::map<size_t, std::vector<std::string>> errors_;
};

// spaCy's validate_token_pattern: the problems of one token pattern (a list of token specs)
// against spaCy's TokenPattern schema, as "[pattern -> 0 -> XX] Extra inputs are not permitted";
// empty when valid.
std::vector<std::string> validate_token_pattern(const nlohmann::ordered_json& pattern);

// Levenshtein distance between two UTF-8 strings in code points; with k >= 0 any distance
// above k is reported as k + 1 (polyleven's bound, which spaCy uses).
int64_t levenshtein(std::string_view a, std::string_view b, int64_t k = -1);
// spaCy's levenshtein_compare, the default of FUZZY: fuzzy >= 0 allows that many edits, -1
// allows max(2, round(0.3 * len(pattern))) (Python's round half to even).
bool levenshtein_compare(std::string_view input, std::string_view pattern, int fuzzy = -1);
using FuzzyCompare = std::function<bool(std::string_view input, std::string_view pattern, int fuzzy)>;

// One match: the rule's key as a StringStore ID (vocab.strings()[id] is the key) and tokens
// [start, end). For a Span the offsets are those of the Matcher (relative to the span, as spaCy's
// tuples) or of the PhraseMatcher (in the Doc, as spaCy's). With `with_alignments`, alignments[k]
// is the index of the token spec in the pattern that matched token start + k.
struct Match {
  hash_t id = 0;
  size_t start = 0, end = 0;
  std::vector<int32_t> alignments;
  bool operator==(const Match& o) const {
    return id == o.id && start == o.start && end == o.end && alignments == o.alignments;
  }
};

// Options of a Matcher call (spaCy's keyword arguments of Matcher.__call__).
struct MatchOptions {
  bool with_alignments = false;  // fill Match::alignments
  bool allow_missing = false;    // skip the check that TAG/POS/MORPH/LEMMA/DEP are annotated
};

class Matcher {
 public:
  // spaCy's on_match(matcher, doc, i, matches): called once per final match, after filtering.
  using OnMatch = std::function<void(Matcher&, Doc&, size_t i, const std::vector<Match>&)>;
  using Options = MatchOptions;

  // `validate`: check patterns against spaCy's schema when added (MatchPatternError); without
  // it, problems are still ValueErrors, found while compiling (spaCy's default is true).
  explicit Matcher(std::shared_ptr<Vocab> vocab, bool validate = true,
                   FuzzyCompare fuzzy_compare = levenshtein_compare);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;

  // spaCy's Matcher.add: `patterns` is a JSON list of patterns (each a list of token specs).
  // Adding to an existing key appends the patterns and replaces the callback and `greedy`
  // ("FIRST", "LONGEST" or empty: keep every match).
  void add(const std::string& key, const nlohmann::ordered_json& patterns, OnMatch on_match = {},
           const std::string& greedy = "");
  // ValueError (spaCy's E175) when the key has no rule.
  void remove(const std::string& key);
  bool contains(const std::string& key) const;
  size_t size() const;  // the number of rules (keys), not of patterns
  // The patterns of a rule as added (spaCy's get(key)[1]); nullopt when absent.
  std::optional<nlohmann::ordered_json> get(const std::string& key) const;
  bool validate() const;
  Vocab& vocab() const;

  // All matches in spaCy's order: by where they end, then as the patterns produced them;
  // filtered rules (greedy) after the unfiltered ones.
  std::vector<Match> operator()(Doc& doc, const Options& options = {});
  std::vector<Match> operator()(const Span& span, const Options& options = {});
  // spaCy's as_spans=True: spans labelled with the rule key, in the Doc.
  std::vector<Span> match_spans(Doc& doc, const Options& options = {});
  std::vector<Span> match_spans(const Span& span, const Options& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class PhraseMatcher {
 public:
  using OnMatch = std::function<void(PhraseMatcher&, Doc&, size_t i, const std::vector<Match>&)>;

  // `attr`: the token attribute to compare ("ORTH" default, "TEXT", "LOWER", "NORM", "POS" ...,
  // any attribute of spaCy's token patterns); ValueError (spaCy's E152) otherwise.
  explicit PhraseMatcher(std::shared_ptr<Vocab> vocab, const std::string& attr = "ORTH",
                         bool validate = false);
  ~PhraseMatcher();
  PhraseMatcher(PhraseMatcher&&) noexcept;
  PhraseMatcher& operator=(PhraseMatcher&&) noexcept;

  // spaCy's PhraseMatcher.add: each Doc is a phrase (empty ones are skipped). A Doc without the
  // annotation the attribute needs (TAG, POS, MORPH, LEMMA, DEP) is a ValueError (E155).
  void add(const std::string& key, const std::vector<const Doc*>& phrases, OnMatch on_match = {});
  void add(const std::string& key, const std::vector<Doc>& phrases, OnMatch on_match = {});
  // Phrases already converted to attribute values (spaCy accepts such sequences too).
  void add_sequences(const std::string& key, const std::vector<std::vector<uint64_t>>& phrases,
                     OnMatch on_match = {});
  // ValueError when the key has no rule (spaCy raises KeyError).
  void remove(const std::string& key);
  bool contains(const std::string& key) const;
  size_t size() const;  // the number of rules
  uint64_t attr() const;
  Vocab& vocab() const;

  // Every phrase occurrence (overlapping ones too): by start, then shorter first; rules with
  // the same phrase in the order they were first added.
  std::vector<Match> operator()(Doc& doc);
  std::vector<Match> operator()(const Span& span);  // offsets in the Doc, as spaCy
  std::vector<Span> match_spans(Doc& doc);
  std::vector<Span> match_spans(const Span& span);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A DependencyMatcher match: the rule key and, per node of the pattern (in pattern order), the
// index of the token it matched (in the Doc, or in the Span when matching a Span, as spaCy).
struct DependencyMatch {
  hash_t id = 0;
  std::vector<size_t> tokens;
  bool operator==(const DependencyMatch& o) const { return id == o.id && tokens == o.tokens; }
};

class DependencyMatcher {
 public:
  using OnMatch =
      std::function<void(DependencyMatcher&, Doc&, size_t i, const std::vector<DependencyMatch>&)>;

  // The heads are read from the tokens (TokenData::head); `validate` is passed to the Matcher
  // that matches the nodes' RIGHT_ATTRS.
  explicit DependencyMatcher(std::shared_ptr<Vocab> vocab, bool validate = false);
  ~DependencyMatcher();
  DependencyMatcher(DependencyMatcher&&) noexcept;
  DependencyMatcher& operator=(DependencyMatcher&&) noexcept;

  // spaCy's DependencyMatcher.add: each pattern a list of nodes {"RIGHT_ID", "RIGHT_ATTRS"} (the
  // anchor first) and {"LEFT_ID", "REL_OP", "RIGHT_ID", "RIGHT_ATTRS"}, REL_OP one of spaCy's
  // semgrex operators < > << >> . .* ; ;* $+ $- $++ $-- >+ >- >++ >-- <+ <- <++ <--.
  // ValueErrors as spaCy's E098-E101, E1007, E1008, E1016 naming the key and pattern.
  void add(const std::string& key, const nlohmann::ordered_json& patterns, OnMatch on_match = {});
  void remove(const std::string& key);  // ValueError (E175) when absent
  bool contains(const std::string& key) const;
  size_t size() const;
  std::optional<nlohmann::ordered_json> get(const std::string& key) const;

  std::vector<DependencyMatch> operator()(Doc& doc);
  // As spaCy's span.as_doc(): heads leaving the span are rewired inside it.
  std::vector<DependencyMatch> operator()(const Span& span);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// spaCy's util.filter_spans: the longest spans first (the earlier of equally long ones), each
// kept when it overlaps none kept before; returned sorted by start.
std::vector<Span> filter_spans(const std::vector<Span>& spans);

}  // namespace trfpipe
