// spaCy's displaCy (spacy/displacy): the `ent` and `dep` visualisations as HTML/SVG markup,
// written from Doc.to_json() objects, so that anything holding the JSON (the `trfpipe serve` page,
// `apply --displacy`, `evaluate --displacy-path`) renders the same markup.
//
//   std::string html = trfpipe::displacy::render({doc.to_json()}, "ent", /*page=*/true);
//
// Options are spaCy's (a JSON object): dep — compact, fine_grained, add_lemma, collapse_punct
// (default true), word_spacing, arrow_spacing, arrow_width, arrow_stroke, distance, offset_x,
// color, bg, font; ent — colors ({"LABEL": "#hex"}), ents (labels to show). Differences from
// spaCy: labels and tags are HTML-escaped too, and the dep style shows the fine-grained tag when
// a doc has no coarse-grained POS (a pipeline with a tagger only), so that tags are visible.
#pragma once
#include <string>
#include <vector>

#include "trfpipe/doc.hpp"

namespace trfpipe::displacy {

// spaCy's parse_deps / parse_ents on a Doc.to_json() object: {"words": [{"text", "tag"[,
// "lemma"]}], "arcs": [{"start", "end", "label", "dir"}]} (arcs only when the doc has heads),
// and {"text", "ents": [{"start", "end", "label"}], "title"}. ValueError when the JSON is not a
// Doc.to_json() object (no "text", offsets outside the text).
Json parse_deps(const Json& doc, const Json& options = Json::object());
Json parse_ents(const Json& doc, const Json& options = Json::object());

// spaCy's displacy.render(docs, style, page, options): the markup of every doc, wrapped in a
// standalone HTML page when `page`. `style` is "ent" or "dep" (ValueError otherwise, spaCy's
// E087). A doc's "title" (ent style) is shown above it.
std::string render(const std::vector<Json>& docs, const std::string& style, bool page = false,
                   const Json& options = Json::object());

// spaCy's escape_html: & < > " as entities.
std::string escape_html(std::string_view text);

}  // namespace trfpipe::displacy
