// displaCy's ent and dep markup from Doc.to_json() objects, checked against what spaCy's
// renderers (spacy/displacy/render.py, templates.py) write for the same input: the numbers below
// are spaCy's formulas worked by hand (distance 175, offset_x 50, arrow_spacing 20 ...).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "trfpipe/displacy.hpp"
#include "trfpipe/error.hpp"

using trfpipe::Json;
using trfpipe::ValueError;
namespace displacy = trfpipe::displacy;

namespace {

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// "Apple is in Café <b>x</b>": tokens with tags/pos, Apple an ORG, Café a GPE (characters).
Json sample_doc() {
  return Json::parse(R"({
    "text": "Apple is in Café <b>",
    "ents": [{"start": 0, "end": 5, "label": "ORG"}, {"start": 12, "end": 16, "label": "GPE"}],
    "tokens": [
      {"id": 0, "start": 0, "end": 5, "tag": "NNP", "pos": "PROPN", "dep": "nsubj", "head": 1},
      {"id": 1, "start": 6, "end": 8, "tag": "VBZ", "pos": "AUX", "dep": "ROOT", "head": 1},
      {"id": 2, "start": 9, "end": 11, "tag": "IN", "pos": "ADP", "dep": "prep", "head": 1},
      {"id": 3, "start": 12, "end": 16, "tag": "NNP", "pos": "PROPN", "dep": "pobj", "head": 2},
      {"id": 4, "start": 17, "end": 20, "tag": "XX", "pos": "X", "dep": "punct", "head": 1}
    ]})");
}

// The same with a last token that is punctuation (spaCy's is_punct: every character in a Unicode
// P* category; "<b>" is not, '"' and '&' are), for collapse_punct.
Json punct_doc() {
  Json doc = sample_doc();
  doc["text"] = "Apple is in Café \"&\"";
  return doc;
}

}  // namespace

TEST(DisplacyEnt, MarksEachEntityWithItsLabelAndSpacyColors) {
  const std::string html = displacy::render({sample_doc()}, "ent");
  EXPECT_EQ(html.rfind("<div class=\"entities\" style=\"line-height: 2.5; direction: ltr\">", 0), 0u) << html;
  EXPECT_EQ(count(html, "<mark class=\"entity\""), 2u);
  EXPECT_NE(html.find("background: #7aecec; padding: 0.45em 0.6em;"), std::string::npos);  // ORG
  EXPECT_NE(html.find("background: #feca74;"), std::string::npos);                          // GPE
  EXPECT_NE(html.find("\n    Apple\n    <span style=\"font-size: 0.8em; font-weight: bold; line-height: 1; "
                      "border-radius: 0.35em; vertical-align: middle; margin-left: 0.5rem\">ORG</span>\n</mark>\n"),
            std::string::npos) << html;
  EXPECT_NE(html.find("\n    Café\n"), std::string::npos);  // character offsets, UTF-8 text
  EXPECT_NE(html.find(" is in "), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;"), std::string::npos);  // the text is escaped
  EXPECT_EQ(html.find("<b>"), std::string::npos);
}

TEST(DisplacyEnt, OptionsColorsEntsTitleNewlinesAndPage) {
  Json doc = sample_doc();
  doc["title"] = "my model";
  doc["text"] = "Apple is\nin Café <b>";
  const std::string html = displacy::render(
      {doc}, "ent", false, {{"colors", {{"org", "#123456"}}}, {"ents", {"ORG"}}});
  EXPECT_NE(html.find("background: #123456;"), std::string::npos);
  EXPECT_EQ(count(html, "<mark"), 1u);  // GPE not listed in "ents": plain text
  EXPECT_NE(html.find("is<br>in Café"), std::string::npos) << html;
  EXPECT_EQ(html.rfind("<h2 style=\"margin: 0\">my model</h2>", 0), 0u) << html;
  // Unknown labels get the default color.
  Json other = sample_doc();
  other["ents"] = Json::parse(R"([{"start": 0, "end": 5, "label": "B-PRODUCT-X"}])");
  EXPECT_NE(displacy::render({other}, "ent").find("background: #ddd;"), std::string::npos);
  const std::string page = displacy::render({sample_doc(), sample_doc()}, "ent", true);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_EQ(count(page, "<figure style=\"margin-bottom: 6rem\">"), 2u);
  EXPECT_EQ(page.substr(page.size() - 7), "</html>");
}

TEST(DisplacyDep, ParseDepsCollapsesPunctuationAndMakesSpacysArcs) {
  Json parsed = displacy::parse_deps(punct_doc());
  // '"&"' is punctuation: merged into 'Café "&"', which keeps Café's tag and arc.
  ASSERT_EQ(parsed["words"].size(), 4u);
  EXPECT_EQ(parsed["words"][0], Json::parse(R"({"text": "Apple", "tag": "PROPN", "lemma": null})"));
  EXPECT_EQ(parsed["words"][3]["text"], "Café \"&\"");
  // "<b>" is not punctuation: it stays a word of its own.
  EXPECT_EQ(displacy::parse_deps(sample_doc())["words"].size(), 5u);
  EXPECT_EQ(parsed["arcs"], Json::parse(R"([
      {"start": 0, "end": 1, "label": "nsubj", "dir": "left"},
      {"start": 1, "end": 2, "label": "prep", "dir": "right"},
      {"start": 2, "end": 3, "label": "pobj", "dir": "right"}])"));
  Json fine = displacy::parse_deps(sample_doc(), {{"fine_grained", true}, {"collapse_punct", false}});
  ASSERT_EQ(fine["words"].size(), 5u);
  EXPECT_EQ(fine["words"][0]["tag"], "NNP");
  EXPECT_EQ(fine["arcs"].size(), 4u);
}

TEST(DisplacyDep, SvgFollowsSpacysGeometry) {
  const std::string svg = displacy::render({punct_doc()}, "dep");
  // 4 words: width = 50 + 4 * 175; every arc spans one word, so one level: offset_y = 175 / 2 +
  // 2 = 89.5, height = 89.5 + 3 * 45.
  EXPECT_NE(svg.find("class=\"displacy\" width=\"750\" height=\"224.5\" direction=\"ltr\""),
            std::string::npos) << svg.substr(0, 400);
  EXPECT_NE(svg.find("<tspan class=\"displacy-word\" fill=\"currentColor\" x=\"50\">Apple</tspan>"),
            std::string::npos);
  EXPECT_NE(svg.find("<tspan class=\"displacy-tag\" dy=\"2em\" fill=\"currentColor\" x=\"225\">AUX</tspan>"),
            std::string::npos);
  EXPECT_NE(svg.find("x=\"575\">Café &quot;&amp;&quot;</tspan>"), std::string::npos);
  EXPECT_EQ(count(svg, "<g class=\"displacy-arrow\">"), 3u);
  // nsubj 0 -> 1, level 1: x_start 50 + 20, x_end 50 + 175 - 20 * (1 - 1) / 4, y_curve 89.5 - 87.5.
  EXPECT_NE(svg.find("d=\"M70,89.5 C70,2.0 225.0,2.0 225.0,89.5\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("d=\"M70,91.5 L62,79.5 78,79.5\""), std::string::npos);  // left arrowhead
  EXPECT_NE(svg.find(">nsubj</textPath>"), std::string::npos);
  std::smatch id;
  ASSERT_TRUE(std::regex_search(svg, id, std::regex("id=\"([0-9a-f]{32})-0\" class=\"displacy\"")));
  EXPECT_NE(svg.find("id=\"arrow-" + id[1].str() + "-0-0\""), std::string::npos);
}

// No heads (a tagger-only pipeline): the words with their tags, no arcs; the fine-grained tag
// when there is no coarse POS.
TEST(DisplacyDep, WithoutHeadsShowsTagsOnly) {
  Json doc = Json::parse(R"({"text": "Hi there", "tokens": [
      {"id": 0, "start": 0, "end": 2, "tag": "UH"}, {"id": 1, "start": 3, "end": 8, "tag": "RB"}]})");
  const std::string svg = displacy::render({doc}, "dep", false, {{"compact", true}});
  EXPECT_EQ(count(svg, "displacy-arrow"), 0u);
  EXPECT_NE(svg.find(">UH</tspan>"), std::string::npos);
  EXPECT_NE(svg.find(">RB</tspan>"), std::string::npos);
  EXPECT_NE(svg.find("width=\"350\" height=\"137.0\""), std::string::npos) << svg;  // compact: 150
}

TEST(Displacy, BadInputIsAValueError) {
  EXPECT_THROW(displacy::render({sample_doc()}, "span"), ValueError);
  EXPECT_THROW(displacy::render({Json::parse(R"({"tokens": []})")}, "ent"), ValueError);
  Json outside = sample_doc();
  outside["ents"][0]["end"] = 99;
  EXPECT_THROW(displacy::render({outside}, "ent"), ValueError);
  EXPECT_EQ(displacy::escape_html("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
}
