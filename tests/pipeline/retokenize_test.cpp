// Retokenizer.merge (spaCy's tests/doc/test_retokenize_merge.py), token attributes by ID and
// by dict (spacy/attrs.pyx), JSONL lines and [initialize.components] settings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "common/temp_dir.hpp"
#include "error_of.hpp"
#include "trfpipe/attrs.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_lines.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/retokenize.hpp"

using namespace trfpipe;
using trfpipe::testing::error_of;
using trfpipe::testing::TempDir;

namespace {

void set_heads(Doc& doc, const std::vector<size_t>& heads, const std::string& dep = "dep") {
  for (size_t i = 0; i < doc.size(); ++i) {
    doc[i].set_head(heads[i]);
    doc[i].set_dep(dep);
  }
}

std::vector<std::string> words(Doc& doc) {
  std::vector<std::string> out;
  for (size_t i = 0; i < doc.size(); ++i) out.emplace_back(doc[i].text());
  return out;
}

}  // namespace

TEST(Retokenize, MergeTwoSpansWithAttributes) {
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("WKRO played songs by the beach boys all night");
  ASSERT_EQ(doc.size(), 9u);
  Json attrs = {{"tag", "NAMED"}, {"lemma", "LEMMA"}, {"ent_type", "TYPE"}, {"morph", "Number=Plur"}};
  Retokenizer r(doc);
  r.merge(doc.span(4, 7), attrs);
  r.merge(doc.span(7, 9), attrs);
  r.apply();
  ASSERT_EQ(doc.size(), 6u);
  EXPECT_EQ(doc[4].text(), "the beach boys");
  EXPECT_EQ(doc[4].text_with_ws(), "the beach boys ");
  EXPECT_EQ(doc[4].tag_(), "NAMED");
  EXPECT_EQ(doc[4].lemma_(), "LEMMA");
  EXPECT_EQ(doc[4].morph_(), "Number=Plur");
  EXPECT_EQ(doc[5].text(), "all night");
  EXPECT_EQ(doc[5].text_with_ws(), "all night");
  EXPECT_EQ(doc[5].tag_(), "NAMED");
  EXPECT_EQ(doc[5].idx(), 36u);
  EXPECT_EQ(doc.text(), "WKRO played songs by the beach boys all night");
}

TEST(Retokenize, MergeWithoutAttributesAndOrderOfMerges) {
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("through North and South Carolina");
  Retokenizer r(doc);
  r.merge(doc.span(3, 5), {{"lemma", ""}, {"ent_type", "ORG"}});
  r.merge(doc.span(1, 2), {{"lemma", ""}, {"ent_type", "ORG"}});
  r.apply();
  EXPECT_EQ(words(doc), (std::vector<std::string>{"through", "North", "and", "South Carolina"}));
  Doc doc2 = nlp->make_doc("WKRO played songs by the beach boys all night");
  Retokenizer r2(doc2);
  r2.merge(doc2.span(4, 7));
  r2.apply();
  EXPECT_EQ(doc2.size(), 7u);
  EXPECT_EQ(doc2[4].text(), "the beach boys");
  EXPECT_EQ(doc2[4].orth(), nlp->vocab().strings()["the beach boys"]);
}

TEST(Retokenize, AttributesByIdAndStringId) {
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("WKRO played songs by the beach boys all night");
  Retokenizer r(doc);
  r.merge(doc.span(4, 7), {{"LEMMA", "boys"}, {"ENT_TYPE", nlp->vocab().strings().add("ORG")}});
  r.apply();
  EXPECT_EQ(doc[4].lemma_(), "boys");
  EXPECT_EQ(doc[4].ent_type_(), "ORG");
}

TEST(Retokenize, HeadsFollowTheMergedToken) {
  auto vocab = std::make_shared<Vocab>("en");
  Doc doc(vocab, {"Los", "Angeles", "start", "."});
  set_heads(doc, {1, 2, 2, 2});
  Retokenizer r(doc);
  r.merge(doc.span(0, 2), {{"tag", "NNP"}, {"lemma", "Los Angeles"}, {"ent_type", "GPE"}});
  r.apply();
  ASSERT_EQ(doc.size(), 3u);
  EXPECT_EQ(doc[0].text(), "Los Angeles");
  EXPECT_EQ(doc[0].head().text(), "start");
  EXPECT_EQ(doc[0].ent_type_(), "GPE");
  EXPECT_EQ(doc[0].dep_(), "dep");

  Doc doc2(vocab, {"I", "found", "a", "pilates", "class", "near", "work", "."});
  set_heads(doc2, {1, 1, 4, 6, 1, 4, 5, 1});
  Retokenizer r2(doc2);
  r2.merge(doc2.span(3, 5), {{"lemma", "pilates class"}});
  r2.apply();
  ASSERT_EQ(doc2.size(), 7u);
  std::vector<size_t> heads;
  for (size_t i = 0; i < doc2.size(); ++i) heads.push_back(doc2[i].head().i());
  // "pilates class" takes the head of its root "class" (found); "near" and "a" follow it.
  EXPECT_EQ(heads, (std::vector<size_t>{1, 1, 3, 1, 3, 4, 1}));
}

TEST(Retokenize, DefaultsComeFromTheSpanRoot) {
  auto vocab = std::make_shared<Vocab>("en");
  auto make = [&] {
    Doc doc(vocab, {"The", "players", "start", "."});
    const char* tags[] = {"DT", "NN", "VBZ", "."};
    const char* pos[] = {"DET", "NOUN", "VERB", "PUNCT"};
    set_heads(doc, {1, 2, 2, 2});
    for (size_t i = 0; i < 4; ++i) {
      doc[i].set_tag(tags[i]);
      doc[i].set_pos(pos[i]);
      std::string lower(doc[i].text());
      for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
      doc[i].set_lemma(lower);
    }
    return doc;
  };
  Doc doc = make();
  Retokenizer r(doc);
  r.merge(doc.span(0, 2));
  r.apply();
  EXPECT_EQ(doc[0].text(), "The players");
  EXPECT_EQ(doc[0].tag_(), "NN");
  EXPECT_EQ(doc[0].pos_(), "NOUN");
  EXPECT_EQ(doc[0].lemma_(), "the players");
  Doc doc2 = make();
  Retokenizer r2(doc2);
  r2.merge(doc2.span(0, 2));
  r2.merge(doc2.span(2, 4));
  r2.apply();
  ASSERT_EQ(doc2.size(), 2u);
  EXPECT_EQ(doc2[1].text(), "start .");
  EXPECT_EQ(doc2[1].tag_(), "VBZ");
  EXPECT_EQ(doc2[1].lemma_(), "start .");
  // Sentence starts are recomputed from the heads of a parsed Doc.
  EXPECT_EQ(doc2[0].is_sent_start(), std::optional<bool>(true));
}

TEST(Retokenize, ErrorsForOverlapsEmptySpansAndBadAttributes) {
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("Los Angeles start.");
  Retokenizer r(doc);
  r.merge(doc.span(0, 2));
  EXPECT_THAT(error_of([&] { r.merge(doc.span(0, 1)); }), ::testing::HasSubstr("[E102]"));
  EXPECT_NO_THROW(r.merge(doc.span(0, 2)));  // the same span again is ignored
  EXPECT_THAT(error_of([&] { r.merge(doc.span(2, 2)); }), ::testing::HasSubstr("[E199]"));
  EXPECT_THAT(error_of([&] { r.merge(doc.span(2, 3), {{"XYZ", "a"}}); }),
              ::testing::HasSubstr("unknown token attribute 'XYZ'"));
  EXPECT_THAT(error_of([&] { r.merge(doc.span(2, 3), {{"IS_STOP", true}}); }),
              ::testing::HasSubstr("'IS_STOP' cannot be set per token"));
  EXPECT_THAT(error_of([&] { r.merge(doc.span(2, 3), {{"ENT_IOB", "X"}}); }), ::testing::HasSubstr("[E1025]"));
  EXPECT_THAT(error_of([&] { r.merge(doc.span(2, 3), {{"_", {{"unregistered_ext", 1}}}}); }),
              ::testing::HasSubstr("[E118]"));
  EXPECT_EQ(r.size(), 1u);
  r.apply();
  EXPECT_EQ(doc.size(), 3u);
}

TEST(Retokenize, EntitiesTensorAndSpanGroupsFollow) {
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("I live in New York City now");
  doc.set_ents({doc.span(3, 6, "GPE")});
  doc.tensor() = Matrix(int64_t(doc.size()), 2);
  for (int64_t i = 0; i < doc.tensor().rows; ++i) doc.tensor().row(i)[0] = float(i);
  doc.spans().set("places", {doc.span(3, 6, "GPE"), doc.span(6, 7, "TIME"), doc.span(0, 2)});
  Doc::set_token_extension("flag", std::any(false), /*force=*/true);
  Retokenizer r(doc);
  r.merge(doc.span(3, 6), {{"_", {{"flag", true}}}});
  r.apply();
  ASSERT_EQ(doc.size(), 5u);
  auto ents = doc.ents();
  ASSERT_EQ(ents.size(), 1u);
  EXPECT_EQ(ents[0].text(), "New York City");
  EXPECT_EQ(doc[3].ent_iob_(), "B");
  ASSERT_EQ(doc.tensor().rows, 5);
  EXPECT_EQ(doc.tensor().row(3)[0], 5.f);  // the last row of the merged span
  EXPECT_EQ(doc.tensor().row(4)[0], 6.f);
  auto group = doc.spans().get("places");
  ASSERT_EQ(group.size(), 3u);
  EXPECT_EQ(group[0].text(), "New York City");
  EXPECT_EQ(group[1].text(), "now");
  EXPECT_EQ(group[2].text(), "I live");
  EXPECT_EQ(std::any_cast<bool>(doc[3].ext("flag")), true);
}

TEST(Retokenize, SpanRootIsTheHighestToken) {
  auto vocab = std::make_shared<Vocab>("en");
  Doc doc(vocab, {"displaCy", "is", "a", "parse", "tool", "built", "with", "Javascript"});
  set_heads(doc, {1, 1, 4, 4, 1, 4, 5, 6});
  EXPECT_EQ(span_root(doc, 2, 5), 4u);
  EXPECT_EQ(span_root(doc, 0, 8), 1u);
  EXPECT_EQ(span_root(doc, 5, 8), 5u);
  Retokenizer r(doc);
  r.merge(doc.span(2, 5), {{"tag", "NP"}, {"lemma", "tool"}});
  r.apply();
  EXPECT_EQ(doc[2].head().i(), 1u);
  EXPECT_EQ(doc[3].head().i(), 2u);  // "built" attached to the merged "a parse tool"
  EXPECT_THROW(span_root(doc, 2, 2), ValueError);
}

// --------------------------------------------------------------------------- attributes

TEST(TokenAttrs, IdsAndNamesAreSpacys) {
  EXPECT_EQ(attr_id("ORTH"), std::optional<uint64_t>(65));
  EXPECT_EQ(attr_id("lower"), std::optional<uint64_t>(attrs::LOWER));
  EXPECT_EQ(attr_id("ENT_KB_ID"), std::optional<uint64_t>(452));
  EXPECT_EQ(attr_id("FLAG19"), std::optional<uint64_t>(19));
  EXPECT_FALSE(attr_id("TEXT").has_value());
  EXPECT_EQ(attr_name(attrs::MORPH), "MORPH");
  EXPECT_EQ(attr_name(999), "attribute 999");
  EXPECT_TRUE(is_string_attr(attrs::TAG));
  EXPECT_FALSE(is_string_attr(attrs::LENGTH));
}

TEST(TokenAttrs, ReadsEveryKindOfAttribute) {
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("Hello, 42 worlds!");
  doc[0].set_tag("UH");
  doc[3].set_head(0);
  EXPECT_EQ(token_attr(doc, 0, attrs::ORTH), nlp->vocab().strings()["Hello"]);
  EXPECT_EQ(token_attr(doc, 0, attrs::LOWER), nlp->vocab().strings()["hello"]);
  EXPECT_EQ(token_attr(doc, 0, attrs::SHAPE), nlp->vocab().strings()["Xxxxx"]);
  EXPECT_EQ(token_attr(doc, 0, attrs::TAG), nlp->vocab().strings()["UH"]);
  EXPECT_EQ(token_attr(doc, 0, attrs::IS_TITLE), 1u);
  EXPECT_EQ(token_attr(doc, 1, attrs::IS_PUNCT), 1u);
  EXPECT_EQ(token_attr(doc, 2, attrs::LIKE_NUM), 1u);
  EXPECT_EQ(token_attr(doc, 3, attrs::LENGTH), 6u);
  EXPECT_EQ(int64_t(token_attr(doc, 3, attrs::HEAD)), -3);
  EXPECT_EQ(token_attr(doc, 0, attrs::SPACY), 0u);
  EXPECT_EQ(token_attr(doc, 1, attrs::SPACY), 1u);
  EXPECT_EQ(token_attr(doc, 3, attrs::IDX), 10u);
  EXPECT_THROW(token_attr(doc, 0, 999), ValueError);
}

TEST(TokenAttrs, NormalizeAndSet) {
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("a b");
  TokenAttrValues v = normalize_token_attrs(nlp->vocab(), {{"TAG", "NN"}, {"morph", "Number=Sing|Case=Nom"},
                                                           {"ENT_IOB", "B"}, {"sent_start", false}});
  set_token_attrs(doc[1], v);
  EXPECT_EQ(doc[1].tag_(), "NN");
  EXPECT_EQ(doc[1].morph_(), "Case=Nom|Number=Sing");
  EXPECT_EQ(doc[1].ent_iob_(), "B");
  EXPECT_EQ(doc[1].is_sent_start(), std::optional<bool>(false));
  EXPECT_THAT(error_of([&] { normalize_token_attrs(nlp->vocab(), {{"TAG", 1.5}}); }),
              ::testing::HasSubstr("'TAG': expected a string"));
  EXPECT_THAT(error_of([&] { normalize_token_attrs(nlp->vocab(), Json::array()); }),
              ::testing::HasSubstr("must be a dict"));
  Doc::set_token_extension("computed", TokenGetter([](const Token&) -> std::any { return 1; }), true);
  EXPECT_THAT(error_of([&] { normalize_token_attrs(nlp->vocab(), {{"_", {{"computed", 2}}}}); }),
              ::testing::HasSubstr("[E119]"));
}

TEST(TokenAttrs, ExtensionGettersAreComputedNotStored) {
  Doc::set_token_extension("upper_text", TokenGetter([](const Token& t) -> std::any {
                             std::string s(t.text());
                             for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
                             return s;
                           }),
                           /*force=*/true);
  Doc::set_token_extension("plain", std::any(std::string("default")), /*force=*/true);
  auto nlp = Language::blank("en");
  Doc doc = nlp->make_doc("ab cd");
  EXPECT_EQ(std::any_cast<std::string>(doc[1].ext_value("upper_text")), "CD");
  EXPECT_EQ(std::any_cast<std::string>(doc[1].ext_value("plain")), "default");
  doc[1].ext("plain") = std::string("set");
  EXPECT_EQ(std::any_cast<std::string>(doc[1].ext_value("plain")), "set");
  EXPECT_EQ(std::any_cast<std::string>(doc[0].ext_value("plain")), "default");
  EXPECT_TRUE(Doc::has_token_getter("upper_text"));
  EXPECT_FALSE(Doc::has_token_getter("plain"));
  EXPECT_THROW(doc[0].ext_value("never_registered"), ValueError);
}

// ---------------------------------------------------------------------------- JSONL

TEST(JsonLines, ReadsValuesWithTheirLines) {
  TempDir tmp;
  std::string path = tmp.file("p.jsonl", "{\"a\": 1}\n\n  [2, 3]  \n\"x\"\n");
  JsonLines lines = read_json_lines(path);
  ASSERT_EQ(lines.values.size(), 3u);
  EXPECT_EQ(lines.lines, (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(lines.values[1], Json::parse("[2, 3]"));
  std::string bad = tmp.file("bad.jsonl", "{\"a\": 1}\n{oops\n");
  try {
    read_json_lines(bad);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.file(), bad);
  }
  EXPECT_EQ(read_json_lines(bad, /*skip=*/true).values.size(), 1u);
  EXPECT_THROW(read_json_lines(tmp / "missing.jsonl"), DataError);
  write_json_lines(tmp / "out.jsonl", lines.values);
  EXPECT_EQ(read_json_lines(tmp / "out.jsonl").values, lines.values);
}

TEST(JsonLines, RegisteredReaderResolves) {
  register_json_readers();
  TempDir tmp;
  std::string path = tmp.file("p.jsonl", "{\"label\": \"X\"}\n");
  registry::Value v = registry::resolve(Json{{"patterns", {{"@readers", "srsly.read_jsonl.v1"}, {"path", path}}}});
  const auto& lines = v.at("patterns").as<JsonLines>();
  ASSERT_EQ(lines.values.size(), 1u);
  EXPECT_EQ(lines.values[0]["label"], "X");
  EXPECT_THROW(registry::resolve(Json{{"p", {{"@readers", "srsly.read_jsonl.v1"}, {"path", std::string(tmp / "no")}}}}),
               Error);
}

// ------------------------------------------------------------- [initialize.components]

namespace {

class RecordingPipe : public Pipe {
 public:
  using Pipe::Pipe;
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  void set_annotations(const std::vector<Doc*>&, const std::any&) override {}
  void initialize_with_settings(const GetExamples&, Language&, const registry::Value& settings) override {
    received = settings.json();
  }
  Json received;
};

}  // namespace

TEST(InitializeSettings, PipesGetTheirBlockAndOthersRefuseSettings) {
  auto nlp = Language::blank("en");
  auto pipe = std::make_unique<RecordingPipe>("rec");
  RecordingPipe* rec = pipe.get();
  nlp->add_pipe(std::move(pipe));
  Json cfg = nlp->config();
  cfg["initialize"] = {{"components", {{"rec", {{"value", 3}, {"words", {"a", "b"}}}}}}};
  nlp->set_config(cfg);
  nlp->initialize(nullptr);
  EXPECT_EQ(rec->received, (Json{{"value", 3}, {"words", {"a", "b"}}}));

  struct Plain : Pipe {
    using Pipe::Pipe;
    std::any predict(const std::vector<Doc*>&) override { return {}; }
    void set_annotations(const std::vector<Doc*>&, const std::any&) override {}
  };
  auto nlp2 = Language::blank("en");
  nlp2->add_pipe(std::make_unique<Plain>("plain"));
  Json cfg2 = nlp2->config();
  cfg2["initialize"] = {{"components", {{"plain", {{"patterns", 1}}}}}};
  nlp2->set_config(cfg2);
  try {
    nlp2->initialize(nullptr);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), (std::vector<std::string>{"initialize", "components", "plain", "patterns"}));
  }
}
