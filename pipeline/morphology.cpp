// spaCy's Morphology helpers and MorphAnalysis (spacy/morphology.pyx, tokens/morphanalysis.pyx).
#include "trfpipe/morphology.hpp"

#include <algorithm>
#include <cctype>

#include "config/text_util.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {
namespace morphology {
namespace {

std::string sorted_values(std::string_view values) {
  std::vector<std::string_view> parts = split_on(values, kValueSep);
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += kValueSep;
    out += parts[i];
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool is_universal_pos(std::string_view s) {
  static const char* names[] = {"",     "ADJ",   "ADP",   "ADV",   "AUX",  "CONJ", "CCONJ",
                                "DET",  "INTJ",  "NOUN",  "NUM",   "PART", "PRON", "PROPN",
                                "PUNCT", "SCONJ", "SYM",  "VERB",  "X",    "EOL",  "SPACE"};
  for (const char* n : names)
    if (s == n) return true;
  return false;
}

FeatsDict feats_to_dict(std::string_view feats) {
  FeatsDict out;
  if (feats.empty() || feats == kEmptyMorph) return out;
  for (std::string_view feat : split_on(feats, kFeatureSep)) {
    std::vector<std::string_view> fv = split_on(feat, kFieldSep);
    if (fv.size() != 2)
      throw ValueError("Invalid morphological feature '" + std::string(feat) + "' in '" +
                       std::string(feats) + "' (expected Field=Value[,Value] joined by '|')");
    out[std::string(fv[0])] = sorted_values(fv[1]);
  }
  return out;
}

std::string dict_to_feats(const FeatsDict& feats) {
  std::vector<std::string> parts;
  for (const auto& [field, values] : feats)
    parts.push_back(field + kFieldSep + sorted_values(values));
  // Sorted as whole "Field=Values" strings, as spaCy's sorted() of the joined pairs.
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += kFeatureSep;
    out += parts[i];
  }
  return out;
}

std::string normalize_features(const FeatsDict& feats) {
  FeatsDict attrs;
  for (const auto& [field, values] : feats) {
    if (upper(field) == "POS") {
      std::string v = upper(values);
      attrs["POS"] = is_universal_pos(v) ? v : values;
    } else {
      attrs[field] = values;
    }
  }
  std::string out = dict_to_feats(attrs);
  return out.empty() ? std::string(kEmptyMorph) : out;
}

std::string normalize_features(std::string_view feats) {
  return normalize_features(feats_to_dict(feats));
}

}  // namespace morphology

MorphAnalysis::MorphAnalysis() : key_(string_id(morphology::kEmptyMorph)), norm_(morphology::kEmptyMorph) {}

MorphAnalysis::MorphAnalysis(std::string_view feats)
    : MorphAnalysis(morphology::feats_to_dict(feats)) {}

MorphAnalysis::MorphAnalysis(const FeatsDict& feats) : key_(0) {
  norm_ = morphology::normalize_features(feats);
  key_ = string_id(norm_);
}

MorphAnalysis MorphAnalysis::from_id(const StringStore& strings, hash_t key) {
  if (key == 0) return MorphAnalysis(0, std::string());
  if (!strings.contains(key))
    throw ValueError("[E018] Can't retrieve string for hash '" + std::to_string(key) +
                     "': it is not a morphological analysis in the StringStore");
  return MorphAnalysis(key, strings[key]);
}

std::string MorphAnalysis::to_string() const { return empty() ? std::string() : norm_; }

FeatsDict MorphAnalysis::to_dict() const { return morphology::feats_to_dict(to_string()); }

std::vector<std::string> MorphAnalysis::get(std::string_view field,
                                            const std::vector<std::string>& default_value) const {
  FeatsDict d = to_dict();
  auto it = d.find(std::string(field));
  if (it == d.end()) return default_value;
  std::vector<std::string> out;
  for (std::string_view v : split_on(it->second, morphology::kValueSep)) out.emplace_back(v);
  return out;
}

std::vector<std::string> MorphAnalysis::features() const {
  std::vector<std::string> out;
  for (const auto& [field, values] : to_dict())
    for (std::string_view v : split_on(values, morphology::kValueSep))
      out.push_back(field + morphology::kFieldSep + std::string(v));
  return out;
}

bool MorphAnalysis::contains(std::string_view feature) const {
  for (const std::string& f : features())
    if (f == feature) return true;
  return false;
}

}  // namespace trfpipe
