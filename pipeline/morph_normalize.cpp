// FEATS normalisation (spaCy's Morphology.normalize_features and MorphAnalysis iteration).
#include "pipeline/morph_normalize.hpp"

#include <algorithm>

#include "trfpipe/error.hpp"

namespace trfpipe::pipeline {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

// spaCy's Morphology.normalize_features: fields sorted, the values of a field sorted; "" is "_".
std::string normalize_morph(std::string_view feats) {
  if (feats.empty() || feats == "_") return "_";
  std::vector<std::string> parts;
  for (std::string_view feat : split(feats, '|')) {
    size_t eq = feat.find('=');
    if (eq == std::string_view::npos || feat.find('=', eq + 1) != std::string_view::npos)
      throw ValueError("Invalid morphological feature '" + std::string(feat) + "' in '" +
                       std::string(feats) + "' (expected Field=Value[,Value]|...)");
    std::vector<std::string> values;
    for (std::string_view v : split(feat.substr(eq + 1), ',')) values.emplace_back(v);
    std::sort(values.begin(), values.end());
    std::string joined(feat.substr(0, eq + 1));
    for (size_t i = 0; i < values.size(); ++i) joined += (i ? "," : "") + values[i];
    parts.push_back(joined);
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "|") + p;
  return out.empty() ? "_" : out;
}

std::vector<std::string> morph_features(std::string_view feats) {
  std::vector<std::string> out;
  if (feats.empty() || feats == "_") return out;
  for (std::string_view feat : split(feats, '|')) {
    size_t eq = feat.find('=');
    if (eq == std::string_view::npos) {
      if (!feat.empty()) out.emplace_back(feat);
      continue;
    }
    for (std::string_view v : split(feat.substr(eq + 1), ','))
      out.push_back(std::string(feat.substr(0, eq)) + "=" + std::string(v));
  }
  return out;
}

}  // namespace trfpipe::pipeline
