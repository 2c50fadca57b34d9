#include <gtest/gtest.h>

#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;

namespace {
std::shared_ptr<Vocab> vocab() { return std::make_shared<Vocab>("en"); }
}  // namespace

TEST(Doc, TextAndOffsetsFromWordsAndSpaces) {
  Doc doc(vocab(), {"Grüße", ",", "world", "!"}, {false, true, false, false});
  EXPECT_EQ(doc.text(), "Grüße, world!");
  ASSERT_EQ(doc.size(), 4u);
  EXPECT_EQ(doc[0].text(), "Grüße");
  EXPECT_EQ(doc[1].idx(), 5u);        // characters
  EXPECT_EQ(doc[1].idx_bytes(), 7u);  // "ü" and "ß" are two bytes each
  EXPECT_EQ(doc[2].idx(), 7u);
  EXPECT_EQ(doc[0].length(), 5u);
  EXPECT_EQ(doc[1].text_with_ws(), ", ");
  EXPECT_EQ(doc[1].whitespace_(), " ");
  EXPECT_EQ(doc[2].whitespace_(), "");
  EXPECT_EQ(doc[2].lower_(), "world");
  EXPECT_EQ(doc[3].orth(), string_id("!"));
}

TEST(Doc, DefaultSpacesAreAllButTheLast) {
  Doc doc(vocab(), {"a", "b", "c"});
  EXPECT_EQ(doc.text(), "a b c");
}

TEST(Doc, MismatchedSpacesAndEmptyWordsAreValueErrors) {
  EXPECT_THROW(Doc(vocab(), {"a", "b"}, {true}), ValueError);
  EXPECT_THROW(Doc(vocab(), {"a", ""}), ValueError);
  Doc doc(vocab(), {"a"});
  EXPECT_THROW(doc.token(1), ValueError);
  EXPECT_THROW(doc.span(0, 2), ValueError);
}

TEST(Doc, TokenAnnotationsAndNormOverride) {
  Doc doc(vocab(), {"They", "ca", "n't"});
  doc[2].data().norm = doc.vocab().strings().add("not");
  EXPECT_EQ(doc[2].norm_(), "not");
  EXPECT_EQ(doc[1].norm_(), "ca");
  EXPECT_EQ(doc[0].norm_(), "they");
  doc[0].set_tag("PRP");
  doc[0].set_pos("PRON");
  doc[0].set_lemma("they");
  EXPECT_EQ(doc[0].tag_(), "PRP");
  EXPECT_EQ(doc[0].data().pos, symbol_id("PRON"));
  EXPECT_EQ(doc[0].lemma_(), "they");
  EXPECT_EQ(doc[1].tag_(), "");
  doc[0].set_head(2);
  EXPECT_EQ(doc[0].head().i(), 2u);
  EXPECT_EQ(doc[1].head().i(), 1u);  // unset head = itself
  EXPECT_THROW(doc[0].set_head(3), ValueError);
}

TEST(Doc, SpanTextAndCharOffsets) {
  Doc doc(vocab(), {"New", "York", "is", "big"});
  Span s = doc.span(0, 2, "GPE");
  EXPECT_EQ(s.text(), "New York");
  EXPECT_EQ(s.start_char(), 0u);
  EXPECT_EQ(s.end_char(), 8u);
  EXPECT_EQ(s.label_(), "GPE");
  EXPECT_EQ(s[1].text(), "York");
  auto cs = doc.char_span(4, 11);
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->start(), 1u);
  EXPECT_EQ(cs->end(), 3u);
  EXPECT_FALSE(doc.char_span(5, 11).has_value());  // not at a token boundary
  EXPECT_FALSE(doc.char_span(4, 10).has_value());
}

TEST(Doc, SetEntsSetsIobAndTypes) {
  Doc doc(vocab(), {"Mr", "Ann", "Lee", "visited", "Paris"});
  doc.set_ents({doc.span(1, 3, "PERSON"), doc.span(4, 5, "GPE")});
  EXPECT_EQ(doc[0].ent_iob_(), "O");
  EXPECT_EQ(doc[1].ent_iob_(), "B");
  EXPECT_EQ(doc[2].ent_iob_(), "I");
  EXPECT_EQ(doc[2].ent_type_(), "PERSON");
  EXPECT_EQ(doc[4].ent_iob(), 3);
  auto ents = doc.ents();
  ASSERT_EQ(ents.size(), 2u);
  EXPECT_EQ(ents[0].text(), "Ann Lee");
  EXPECT_EQ(ents[1].label_(), "GPE");
}

TEST(Doc, SetEntsOverlapIsValueError) {
  Doc doc(vocab(), {"a", "b", "c"});
  EXPECT_THROW(doc.set_ents({doc.span(0, 2, "X"), doc.span(1, 3, "Y")}), ValueError);
  try {
    doc.set_ents({doc.span(0, 2, "X"), doc.span(1, 3, "Y")});
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("token 1"), std::string::npos) << e.what();
  }
}

TEST(Doc, SetEntsMissingAndUnlabelled) {
  Doc doc(vocab(), {"a", "b", "c", "d"});
  EXPECT_FALSE(doc.has_annotation("ENT_IOB"));
  doc.set_ents({doc.span(0, 1, "X"), doc.span(1, 2)}, {}, {doc.span(3, 4)}, {});
  EXPECT_EQ(doc[0].ent_iob_(), "B");
  EXPECT_EQ(doc[1].ent_iob_(), "O");  // unlabelled span ignored, default outside
  EXPECT_EQ(doc[3].ent_iob_(), "");
  doc.set_ents({}, {}, {}, {}, Doc::EntsDefault::Missing);
  EXPECT_EQ(doc[0].ent_iob_(), "");
}

TEST(Doc, EntsWithIWithoutBIsValueError) {
  Doc doc(vocab(), {"a", "b"});
  doc[1].data().ent_iob = 1;
  doc[1].data().ent_type = doc.vocab().strings().add("X");
  EXPECT_THROW(doc.ents(), ValueError);
}

TEST(Doc, SentsWithoutBoundariesIsE030) {
  Doc doc(vocab(), {"a", "b", "c"});
  EXPECT_FALSE(doc.has_sents());
  EXPECT_EQ(doc[0].is_sent_start(), std::optional<bool>(true));  // spaCy sets token 0
  EXPECT_EQ(doc[1].is_sent_start(), std::nullopt);
  try {
    doc.sents();
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("E030"), std::string::npos);
  }
}

TEST(Doc, SentsFromIsSentStart) {
  Doc doc(vocab(), {"Hi", ".", "Bye", "."});
  doc[1].set_is_sent_start(false);
  doc[2].set_is_sent_start(true);
  auto sents = doc.sents();
  ASSERT_EQ(sents.size(), 2u);
  EXPECT_EQ(sents[0].text(), "Hi .");
  EXPECT_EQ(sents[1].text(), "Bye .");
  EXPECT_EQ(doc[1].is_sent_end(), std::optional<bool>(true));
  EXPECT_EQ(doc[3].is_sent_end(), std::optional<bool>(true));
  Doc one(vocab(), {"Hi"});
  EXPECT_EQ(one.sents().size(), 1u);  // a one-token Doc always has boundaries
}

TEST(Doc, SettingSentStartOnParsedDocIsValueError) {
  Doc doc(vocab(), {"a", "b"});
  doc[0].set_dep("ROOT");
  EXPECT_THROW(doc[1].set_is_sent_start(true), ValueError);
}

TEST(Doc, HasAnnotationUnknownAttrIsValueError) {
  Doc doc(vocab(), {"a"});
  EXPECT_THROW(doc.has_annotation("NOPE"), ValueError);
  Doc empty(vocab(), std::vector<std::string>{});
  EXPECT_TRUE(empty.has_annotation("TAG"));
}

TEST(Doc, ToJsonShape) {
  Doc doc(vocab(), {"Ann", "likes", "Paris", "."}, {true, true, false, false});
  Json plain = doc.to_json();
  EXPECT_EQ(plain["text"], "Ann likes Paris.");
  EXPECT_FALSE(plain.contains("ents"));
  EXPECT_FALSE(plain.contains("sents"));
  EXPECT_FALSE(plain.contains("cats"));
  EXPECT_EQ(plain["tokens"][3], (Json{{"id", 3}, {"start", 15}, {"end", 16}}));

  doc.set_ents({doc.span(2, 3, "GPE")});
  for (size_t i = 1; i < doc.size(); ++i) doc[i].set_is_sent_start(false);
  doc.cats()["POS"] = 0.75;
  doc[0].set_tag("NNP");
  doc[0].set_dep("nsubj");
  doc[0].set_head(1);
  Json j = doc.to_json();
  EXPECT_EQ(j["ents"], Json::parse(R"([{"start":10,"end":15,"label":"GPE"}])"));
  EXPECT_EQ(j["sents"], Json::parse(R"([{"start":0,"end":16}])"));
  EXPECT_EQ(j["cats"]["POS"], 0.75);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"text", "ents", "sents", "cats", "tokens"}));
  EXPECT_EQ(j["tokens"][0].dump(),
            R"({"id":0,"start":0,"end":3,"tag":"NNP","dep":"nsubj","head":1})");
  EXPECT_EQ(j["tokens"][1].dump(), R"({"id":1,"start":4,"end":9,"tag":"","dep":"","head":1})");
}

TEST(Doc, ExtensionsDefaultsAndErrors) {
  Doc::set_extension("test_score", std::any(0.5), true);
  Doc::set_token_extension("test_flag", std::any(false), true);
  Doc::set_span_extension("test_note", std::any(std::string("none")), true);
  Doc doc(vocab(), {"a", "b"});
  EXPECT_TRUE(Doc::has_extension("test_score"));
  EXPECT_FALSE(doc.has_ext_value("test_score"));
  EXPECT_EQ(std::any_cast<double>(doc.get_ext("test_score")), 0.5);
  doc.ext_as<double>("test_score") = 2.0;
  EXPECT_TRUE(doc.has_ext_value("test_score"));
  EXPECT_EQ(doc.ext_as<double>("test_score"), 2.0);
  doc[1].ext_as<bool>("test_flag") = true;
  EXPECT_FALSE(doc[0].ext_as<bool>("test_flag"));
  EXPECT_TRUE(doc[1].ext_as<bool>("test_flag"));
  Span s = doc.span(0, 2);
  EXPECT_EQ(std::any_cast<std::string>(s.ext("test_note")), "none");
  EXPECT_THROW(doc.ext("never_registered"), ValueError);
  EXPECT_THROW(doc[0].ext("never_registered"), ValueError);
  EXPECT_THROW(s.ext("never_registered"), ValueError);
  EXPECT_THROW(Doc::set_extension("test_score", std::any(1)), ValueError);  // exists, no force
  Json j = doc.to_json({"test_score", "test_flag"});
  EXPECT_EQ(j["_"]["test_score"], 2.0);
  EXPECT_EQ(j["underscore_token"]["test_flag"].size(), 2u);
  Doc::set_extension("test_opaque", std::any(std::vector<char>{}), true);
  EXPECT_THROW(doc.to_json({"test_opaque"}), ValueError);
  Doc::remove_extension("test_opaque");
  EXPECT_FALSE(Doc::has_extension("test_opaque"));
  EXPECT_THROW(Doc::remove_extension("test_opaque"), ValueError);
}

TEST(Doc, VectorsFromTensorAndCosineSimilarity) {
  Doc a(vocab(), {"x", "y"});
  Doc b(vocab(), {"z", "w"});
  EXPECT_TRUE(a.vector().empty());
  EXPECT_EQ(a.similarity(b), 0.0);  // no vectors: 0, as spaCy (with a warning there)
  a.tensor() = Matrix(2, 2);
  a.tensor().data = {1, 0, 3, 0};
  b.tensor() = Matrix(2, 2);
  b.tensor().data = {0, 1, 1, 1};
  EXPECT_EQ(a.vector(), (std::vector<float>{2, 0}));
  EXPECT_EQ(a[1].vector(), (std::vector<float>{3, 0}));
  EXPECT_DOUBLE_EQ(a.vector_norm(), 2.0);
  // b.vector() = (0.5, 1) -> cos = 0.5 / |(0.5,1)|
  EXPECT_NEAR(a.similarity(b), 0.5 / std::sqrt(1.25), 1e-6);
  EXPECT_NEAR(a[0].similarity(b[1]), 1 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(a.span(0, 2).similarity(b.span(0, 2)), 0.5 / std::sqrt(1.25), 1e-6);
  Doc same(vocab(), {"x", "y"});
  EXPECT_EQ(a.similarity(same), 1.0);  // identical words: 1.0 without vectors
  EXPECT_EQ(a[0].similarity(same[0]), 1.0);
}

TEST(Doc, UserHooksOverrideDefaults) {
  Doc a(vocab(), {"x"});
  Doc b(vocab(), {"y"});
  a.user_hooks().similarity = [](const Doc&, const Doc&) { return 0.25; };
  a.user_hooks().vector = [](const Doc&) { return std::vector<float>{7.f}; };
  a.user_token_hooks().vector = [](const Token&) { return std::vector<float>{1.f, 2.f}; };
  a.user_span_hooks().similarity = [](const Span&, const Span&) { return -1.0; };
  EXPECT_EQ(a.similarity(b), 0.25);
  EXPECT_EQ(a.vector(), std::vector<float>{7.f});
  EXPECT_EQ(a[0].vector(), (std::vector<float>{1.f, 2.f}));
  EXPECT_EQ(a.span(0, 1).vector(), (std::vector<float>{1.f, 2.f}));  // mean of token hook
  EXPECT_EQ(a.span(0, 1).similarity(b.span(0, 1)), -1.0);
  EXPECT_EQ(b.similarity(a), 0.0);  // hooks belong to `a` only
}

TEST(Doc, CopyIsDeepAndMoveKeepsData) {
  Doc a(vocab(), {"x", "y"});
  a[0].set_tag("T");
  Doc c = a.copy();
  c[0].set_tag("U");
  EXPECT_EQ(a[0].tag_(), "T");
  EXPECT_EQ(c[0].tag_(), "U");
  Doc m = std::move(c);
  EXPECT_EQ(m[0].tag_(), "U");
  EXPECT_EQ(m.text(), "x y");
}

TEST(Doc, MorphIsNormalizedAsSpacy) {
  Doc doc(vocab(), {"a", "b", "c"});
  doc[0].set_morph("Number=Sing|Case=Nom,Acc");
  EXPECT_EQ(doc[0].morph_(), "Case=Acc,Nom|Number=Sing");
  EXPECT_EQ(doc[1].morph_(), "");
  EXPECT_FALSE(doc.has_annotation("MORPH") && doc[1].data().morph != 0);
  doc[1].set_morph("");  // spaCy stores its empty analysis "_" (symbol 456): set, but empty
  EXPECT_EQ(doc[1].data().morph, symbol_id("_"));
  EXPECT_EQ(doc[1].morph_(), "");
  EXPECT_EQ(doc.to_json()["tokens"][1]["morph"], "");
  EXPECT_EQ(doc.to_json()["tokens"][2]["morph"], "");
  EXPECT_THROW(doc[2].set_morph("NoValue"), ValueError);
}
