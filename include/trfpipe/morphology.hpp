// spaCy's morphology (spacy/morphology.pyx) and MorphAnalysis (spacy/tokens/morphanalysis.pyx):
// UD FEATS strings ("Case=Acc,Nom|Number=Sing"), their normalized form and token.morph.
//
// A token stores its analysis as the StringStore ID of the normalized FEATS string: fields
// sorted as "Field=Values" strings, the values of a field sorted, joined with "|", "=" and ",".
// 0 means unset; the empty analysis is spaCy's placeholder "_" (symbol 456), so "set but empty"
// differs from "unset" exactly as in spaCy.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "trfpipe/strings.hpp"

namespace trfpipe {

// Field -> values ("dat,gen"): spaCy's feats dict (Morphology.feats_to_dict).
using FeatsDict = std::map<std::string, std::string>;

namespace morphology {

inline constexpr char kFeatureSep = '|';
inline constexpr char kFieldSep = '=';
inline constexpr char kValueSep = ',';
// The key string of the empty analysis (Morphology.EMPTY_MORPH).
inline constexpr const char* kEmptyMorph = "_";

// Morphology.feats_to_dict: {} for "" and "_"; the values of a field sorted; a field given twice
// keeps its last values (a Python dict). ValueError naming the entry when one is not exactly
// "Field=Values" (no "=", or more than one).
FeatsDict feats_to_dict(std::string_view feats);
// Morphology.dict_to_feats: the normalized FEATS string, "" for an empty dict.
std::string dict_to_feats(const FeatsDict& feats);
// Morphology.normalize_features: the normalized string, "_" for the empty analysis. A field
// spelled "POS" in any case becomes "POS" and a Universal POS value is upper-cased, as spaCy's
// normalize_attrs does.
std::string normalize_features(std::string_view feats);
std::string normalize_features(const FeatsDict& feats);

// A name in spaCy's parts_of_speech.IDS ("NOUN", "PROPN", ... and "" for none).
bool is_universal_pos(std::string_view name);

}  // namespace morphology

// spaCy's MorphAnalysis: an immutable view of one analysis. Equality compares keys (the
// StringStore IDs of the normalized strings), as spaCy's __eq__.
class MorphAnalysis {
 public:
  MorphAnalysis();  // the empty analysis ("_")
  explicit MorphAnalysis(std::string_view feats);   // ValueError for malformed FEATS
  explicit MorphAnalysis(const FeatsDict& feats);
  // The analysis a token holds: key 0 is the unset analysis (str "", no features). ValueError
  // when the key is not in `strings`.
  static MorphAnalysis from_id(const StringStore& strings, hash_t key);

  hash_t key() const { return key_; }
  // UD FEATS string ("" for the empty and the unset analysis): str(morph), morph.to_json().
  std::string to_string() const;
  std::string to_json() const { return to_string(); }
  FeatsDict to_dict() const;
  // The values of `field` (["Acc", "Nom"]); `default_value` when the field is absent.
  std::vector<std::string> get(std::string_view field,
                               const std::vector<std::string>& default_value = {}) const;
  // "Field=Value" features in order (__iter__), their count (__len__), membership (__contains__).
  std::vector<std::string> features() const;
  size_t size() const { return features().size(); }
  bool empty() const { return norm_.empty() || norm_ == morphology::kEmptyMorph; }
  bool contains(std::string_view feature) const;
  // The normalized key string ("_" for the empty analysis, "" when unset).
  const std::string& key_string() const { return norm_; }

  bool operator==(const MorphAnalysis& o) const { return key_ == o.key_; }
  bool operator!=(const MorphAnalysis& o) const { return key_ != o.key_; }

 private:
  MorphAnalysis(hash_t key, std::string norm) : key_(key), norm_(std::move(norm)) {}
  hash_t key_;
  std::string norm_;
};

}  // namespace trfpipe
