// MorphAnalysis and the Morphology helpers, tables after spaCy's tests/morphology/
// (test_morph_features, test_morph_converters) and tests/doc/test_morphanalysis.py.
#include <gtest/gtest.h>

#include <memory>

#include "tests/pipeline/error_of.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/morphology.hpp"

using namespace trfpipe;
using trfpipe::testing::error_of;

TEST(Morphology, FeatsConvertersAsSpacy) {
  const std::string feats = "Case=dat,gen|Number=sing";
  const FeatsDict dict{{"Case", "dat,gen"}, {"Number", "sing"}};
  EXPECT_EQ(morphology::dict_to_feats(dict), feats);
  EXPECT_EQ(morphology::feats_to_dict(feats), dict);
  EXPECT_EQ(morphology::dict_to_feats(morphology::feats_to_dict(feats)), feats);
  EXPECT_EQ(morphology::feats_to_dict(morphology::dict_to_feats(dict)), dict);
  // Unsorted input is normalized.
  EXPECT_EQ(morphology::feats_to_dict("Number=sing|Case=gen,dat"), dict);
  EXPECT_EQ(morphology::dict_to_feats(FeatsDict{{"Case", "gen,dat"}, {"Number", "sing"}}), feats);
}

TEST(Morphology, NormalizeTable) {
  struct Row {
    const char* in;
    const char* out;
  };
  const Row rows[] = {
      {"", "_"},
      {"_", "_"},
      {"Number=Sing", "Number=Sing"},
      {"Number=Sing|Case=Nom,Acc", "Case=Acc,Nom|Number=Sing"},
      // Whole "Field=Values" strings are sorted: "Case2=X" < "Case=Y" ('2' < '=').
      {"Case=Y|Case2=X", "Case2=X|Case=Y"},
      // "POS" sorts between "Number" and "Person" ('O' < 'e').
      {"Person=3|POS=NOUN|Number=Sing", "Number=Sing|POS=NOUN|Person=3"},
      // The later of two values of one field wins, as a Python dict.
      {"Case=Nom|Case=Acc", "Case=Acc"},
      {"pos=noun", "POS=NOUN"},
      {"Pos=Foo", "POS=Foo"},
      {"Empty=", "Empty="},
      {"=Value", "=Value"},
  };
  for (const Row& r : rows) EXPECT_EQ(morphology::normalize_features(r.in), r.out) << r.in;
}

TEST(Morphology, MalformedFeatsAreValueErrorsNamingTheEntry) {
  for (const char* bad : {"NoValue", "A=B=C", "Case=Nom|", "|Case=Nom", "Case=Nom||Number=Sing"}) {
    EXPECT_THROW(morphology::feats_to_dict(bad), ValueError) << bad;
    EXPECT_THROW(MorphAnalysis{std::string_view(bad)}, ValueError) << bad;
  }
  EXPECT_NE(error_of([] { morphology::normalize_features("Case=Nom|A=B=C"); }).find("'A=B=C'"),
            std::string::npos);
}

TEST(Morphology, TagsHashIndependentOfOrderAndDistinctly) {
  MorphAnalysis a(FeatsDict{{"Case", "gen"}, {"Number", "sing"}});
  MorphAnalysis b(FeatsDict{{"Number", "sing"}, {"Case", "gen"}});
  MorphAnalysis c(FeatsDict{{"PunctSide", "ini"}, {"VerbType", "aux"}});
  EXPECT_EQ(a.key(), b.key());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.key(), string_id("Case=gen|Number=sing"));
  EXPECT_EQ(MorphAnalysis("Number=sing|Case=gen"), a);
}

TEST(MorphAnalysis, EmptyAnalysisIsTheUnderscoreSymbol) {
  MorphAnalysis empty;
  EXPECT_EQ(empty.key(), symbol_id("_"));
  EXPECT_EQ(empty.key(), 456u);
  EXPECT_EQ(empty.to_string(), "");
  EXPECT_TRUE(empty.features().empty());
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(MorphAnalysis(""), empty);
  EXPECT_EQ(MorphAnalysis("_"), empty);
  EXPECT_EQ(MorphAnalysis(FeatsDict{}), empty);
}

namespace {

// spaCy's i_has fixture.
Doc i_has(const std::shared_ptr<Vocab>& vocab) {
  Doc doc(vocab, {"I", "has"});
  doc[0].set_morph(FeatsDict{{"PronType", "prs"}});
  doc[1].set_morph(
      FeatsDict{{"VerbForm", "fin"}, {"Tense", "pres"}, {"Number", "sing"}, {"Person", "three"}});
  return doc;
}

}  // namespace

TEST(MorphAnalysis, TokenMorphEqualityAndKeys) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = i_has(vocab);
  EXPECT_EQ(doc[0].morph(), doc[0].morph());
  EXPECT_NE(doc[0].morph(), doc[1].morph());
  EXPECT_NE(doc[0].morph().key(), 0u);
  EXPECT_NE(doc[0].morph().key(), doc[1].morph().key());
}

TEST(MorphAnalysis, GetIterStrAndDict) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = i_has(vocab);
  EXPECT_EQ(doc[0].morph().get("PronType"), std::vector<std::string>{"prs"});
  EXPECT_TRUE(doc[1].morph().get("PronType").empty());
  EXPECT_EQ(doc[1].morph().get("AsdfType", {"asdf"}), std::vector<std::string>{"asdf"});
  EXPECT_EQ(doc[1].morph().get("AsdfType", {"asdf", "qwer"}),
            (std::vector<std::string>{"asdf", "qwer"}));
  EXPECT_EQ(doc[0].morph().features(), std::vector<std::string>{"PronType=prs"});
  EXPECT_EQ(doc[1].morph().features(),
            (std::vector<std::string>{"Number=sing", "Person=three", "Tense=pres", "VerbForm=fin"}));
  EXPECT_EQ(doc[1].morph().size(), 4u);
  EXPECT_TRUE(doc[1].morph().contains("Tense=pres"));
  EXPECT_FALSE(doc[1].morph().contains("Tense"));
  EXPECT_EQ(doc[0].morph().to_string(), "PronType=prs");
  EXPECT_EQ(doc[1].morph().to_string(), "Number=sing|Person=three|Tense=pres|VerbForm=fin");
  EXPECT_EQ(doc[1].morph().to_json(), doc[1].morph_());
  MorphAnalysis multi("Case=Nom,Acc");
  EXPECT_EQ(multi.get("Case"), (std::vector<std::string>{"Acc", "Nom"}));
  EXPECT_EQ(multi.features(), (std::vector<std::string>{"Case=Acc", "Case=Nom"}));
  EXPECT_EQ(multi.to_dict(), (FeatsDict{{"Case", "Acc,Nom"}}));
}

TEST(MorphAnalysis, SetMorphByStringDictAnalysisAndNone) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = i_has(vocab);
  doc[0].set_morph("PronType=unk");
  EXPECT_EQ(doc[0].morph().get("PronType"), std::vector<std::string>{"unk"});
  doc[0].set_morph("PronType=123|NounType=unk");
  EXPECT_EQ(doc[0].morph().to_string(), "NounType=unk|PronType=123");
  doc[0].set_morph(FeatsDict{{"AType", "123"}, {"BType", "unk"}});
  EXPECT_EQ(doc[0].morph().to_string(), "AType=123|BType=unk");
  doc[0].set_morph("BType=c|AType=b,a");
  EXPECT_EQ(doc[0].morph().to_string(), "AType=a,b|BType=c");
  doc[0].set_morph(FeatsDict{{"AType", "b,a"}, {"BType", "c"}});
  EXPECT_EQ(doc[0].morph().to_string(), "AType=a,b|BType=c");
  doc[1].set_morph(doc[0].morph());
  EXPECT_EQ(doc[1].morph(), doc[0].morph());
  // A MorphAnalysis made without a vocab adds its string when it is set.
  Doc other(std::make_shared<Vocab>(), {"x"});
  other[0].set_morph(MorphAnalysis("Fresh=Yes"));
  EXPECT_EQ(other[0].morph_(), "Fresh=Yes");
}

TEST(MorphAnalysis, UnsetEmptyAndUnderscoreAsSpacyMorphProperty) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"a", "dog"});
  doc[0].set_morph("PronType=prs");
  EXPECT_EQ(doc[0].morph().to_string(), "PronType=prs");
  EXPECT_NE(doc.tokens()[0].morph, 0u);
  doc[0].clear_morph();
  EXPECT_EQ(doc.tokens()[0].morph, 0u);
  EXPECT_FALSE(doc[0].has_morph());
  EXPECT_EQ(doc[0].morph().key(), 0u);
  EXPECT_EQ(doc[0].morph().to_string(), "");
  EXPECT_NE(doc[0].morph(), MorphAnalysis());  // unset is not the empty analysis
  doc[0].set_morph("");
  EXPECT_TRUE(doc[0].has_morph());
  EXPECT_EQ(doc[0].morph().to_string(), "");
  EXPECT_EQ(doc.tokens()[0].morph, vocab->strings()["_"]);
  doc[0].set_morph("_");
  EXPECT_EQ(doc[0].morph().to_string(), "");
  EXPECT_EQ(doc.tokens()[0].morph, vocab->strings()["_"]);
}

TEST(MorphAnalysis, FromIdOfAnUnknownKeyIsAValueError) {
  StringStore strings;
  EXPECT_THROW(MorphAnalysis::from_id(strings, string_id("Never=Added")), ValueError);
  EXPECT_EQ(MorphAnalysis::from_id(strings, 456).to_string(), "");
  strings.add("Feat=Val");
  EXPECT_EQ(MorphAnalysis::from_id(strings, string_id("Feat=Val")).get("Feat"),
            std::vector<std::string>{"Val"});
}
