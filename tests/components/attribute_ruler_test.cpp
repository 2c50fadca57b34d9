// attribute_ruler, table-driven from spaCy's tests/pipeline/test_attributeruler.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/temp_dir.hpp"
#include "components/register.hpp"
#include "pipeline/error_of.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/json_lines.hpp"
#include "trfpipe/rulers.hpp"

using namespace trfpipe;
using trfpipe::testing::TempDir;
namespace fs = std::filesystem;

namespace {

Json J(const char* text) { return Json::parse(text); }

Json pattern_dicts() {
  return J(R"([
    {"patterns": [[{"ORTH": "a"}], [{"ORTH": "irrelevant"}]], "attrs": {"LEMMA": "the", "MORPH": "Case=Nom|Number=Plur"}},
    {"patterns": [[{"ORTH": "test"}]], "attrs": {"LEMMA": "cat"}},
    {"patterns": [[{"ORTH": "test"}]], "attrs": {"MORPH": "Case=Nom|Number=Sing"}, "index": 0}])");
}

class AttributeRulerTest : public ::testing::Test {
 protected:
  void SetUp() override { register_components(); }
  std::unique_ptr<Language> nlp = Language::blank("en");
  AttributeRules& add() { return dynamic_cast<AttributeRules&>(nlp->add_pipe("attribute_ruler")); }
  void check_patterns_applied() {
    Doc doc = (*nlp)("This is a test.");
    EXPECT_EQ(doc[2].lemma_(), "the");
    EXPECT_EQ(doc[2].morph_(), "Case=Nom|Number=Plur");
    EXPECT_EQ(doc[3].lemma_(), "cat");
    EXPECT_EQ(doc[3].morph_(), "Case=Nom|Number=Sing");
    EXPECT_TRUE(doc.has_annotation("LEMMA"));
    EXPECT_TRUE(doc.has_annotation("MORPH"));
  }
  Doc tagged(const std::vector<std::string>& words, const std::vector<std::string>& tags) {
    Doc doc(nlp->vocab_ptr(), words);
    for (size_t i = 0; i < words.size(); ++i) doc[i].set_tag(tags[i]);
    nlp->get_pipe("attribute_ruler")(doc);
    return doc;
  }
};

}  // namespace

TEST_F(AttributeRulerTest, AddPatternsOneByOne) {
  AttributeRules& ruler = add();
  for (const Json& p : pattern_dicts()) ruler.add(p["patterns"], p["attrs"], p.value("index", 0));
  check_patterns_applied();
  EXPECT_EQ(ruler.size(), 3u);
  EXPECT_EQ(ruler.patterns()[2], (Json{{"patterns", J(R"([[{"ORTH": "test"}]])")},
                                       {"attrs", {{"MORPH", "Case=Nom|Number=Sing"}}},
                                       {"index", 0}}));
}

TEST_F(AttributeRulerTest, InitializeWithPatternsFromTheConfigAndClear) {
  AttributeRules& ruler = add();
  ruler.add_patterns(pattern_dicts());
  nlp->initialize(nullptr);
  EXPECT_EQ(ruler.size(), 0u);
  Json cfg = nlp->config();
  cfg["initialize"] = {{"components", {{"attribute_ruler", {{"patterns", pattern_dicts()}}}}}};
  nlp->set_config(cfg);
  nlp->initialize(nullptr);
  check_patterns_applied();
}

TEST_F(AttributeRulerTest, TagMapAndMorphRules) {
  AttributeRules& ruler = add();
  ruler.load_from_tag_map(J(R"({".": {"POS": "PUNCT", "PunctType": "peri"}, ",": {"POS": "PUNCT", "PunctType": "comm"}})"));
  Doc doc = tagged({"This", "is", "a", "test", "."}, {"DT", "VBZ", "DT", "NN", "."});
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(doc[i].pos_(), "") << i;
    EXPECT_EQ(doc[i].morph_(), "") << i;
  }
  EXPECT_EQ(doc[4].pos_(), "PUNCT");
  EXPECT_EQ(doc[4].morph_(), "PunctType=peri");

  ruler.clear();
  ruler.load_from_morph_rules(J(R"({"DT": {"the": {"POS": "DET", "LEMMA": "a", "Case": "Nom"}}})"));
  Doc doc2 = tagged({"This", "is", "the", "test", "."}, {"DT", "VBZ", "DT", "NN", "."});
  EXPECT_EQ(doc2[2].pos_(), "DET");
  EXPECT_EQ(doc2[2].lemma_(), "a");
  EXPECT_EQ(doc2[2].morph_(), "Case=Nom");
  EXPECT_EQ(doc2[0].pos_(), "");
}

TEST_F(AttributeRulerTest, TagMapFromTheInitializeBlock) {
  add();
  Json cfg = nlp->config();
  cfg["initialize"] = {{"components", {{"attribute_ruler", {{"tag_map", J(R"({"NN": {"POS": "NOUN"}})")},
                                                            {"morph_rules", J(R"({"DT": {"a": {"LEMMA": "one"}}})")}}}}}};
  nlp->set_config(cfg);
  nlp->initialize(nullptr);
  Doc doc = tagged({"a", "test"}, {"DT", "NN"});
  EXPECT_EQ(doc[0].lemma_(), "one");
  EXPECT_EQ(doc[1].pos_(), "NOUN");
}

struct IndexCase {
  int64_t index;
  bool ok;
  size_t token;  // the token that gets the lemma
};
class AttributeRulerIndex : public AttributeRulerTest, public ::testing::WithParamInterface<IndexCase> {};

TEST_P(AttributeRulerIndex, SetsTheTokenAtIndexOrRaisesE1001) {
  AttributeRules& ruler = add();
  ruler.add(J(R"([[{"ORTH": "a"}, {"ORTH": "test"}]])"), {{"LEMMA", "cat"}}, GetParam().index);
  if (!GetParam().ok) {
    try {
      (*nlp)("This is a test.");
      FAIL() << "no error";
    } catch (const ValueError& e) {
      EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("[E1001]"));
    }
    return;
  }
  Doc doc = (*nlp)("This is a test.");
  EXPECT_EQ(doc[GetParam().token].lemma_(), "cat");
}

INSTANTIATE_TEST_SUITE_P(SpacyCases, AttributeRulerIndex,
                         ::testing::Values(IndexCase{0, true, 2}, IndexCase{1, true, 3}, IndexCase{-1, true, 3},
                                           IndexCase{-2, true, 2}, IndexCase{2, false, 0}, IndexCase{-3, false, 0}));

TEST_F(AttributeRulerTest, LaterRulesWinAndPatternsNeedNoAnnotation) {
  Doc::set_token_extension("ar_flag", std::any(false), /*force=*/true);
  AttributeRules& ruler = add();
  ruler.add(J(R"([[{"TAG": "NN"}]])"), {{"LEMMA", "first"}});
  ruler.add(J(R"([[{"LOWER": "test"}]])"), {{"LEMMA", "second"}, {"_", {{"ar_flag", true}}}});
  Doc doc = (*nlp)("a test");  // no TAG annotation: attribute_ruler matches with allow_missing
  EXPECT_EQ(doc[1].lemma_(), "second");
  EXPECT_EQ(std::any_cast<bool>(doc[1].ext("ar_flag")), true);
  Doc doc2 = tagged({"a", "test"}, {"DT", "NN"});
  EXPECT_EQ(doc2[1].lemma_(), "second");
}

TEST_F(AttributeRulerTest, SaveLoadKeepsEveryRule) {
  TempDir tmp;
  add().add_patterns(pattern_dicts());
  nlp->to_disk(tmp / "pipe");
  auto loaded = Language::load(tmp / "pipe");
  auto& again = dynamic_cast<AttributeRules&>(loaded->get_pipe("attribute_ruler"));
  EXPECT_EQ(again.patterns(), dynamic_cast<AttributeRules&>(nlp->get_pipe("attribute_ruler")).patterns());
  nlp = std::move(loaded);
  check_patterns_applied();
}

TEST_F(AttributeRulerTest, SavesMsgpackAsSpacyAndReadsJsonToo) {
  TempDir tmp;
  AttributeRules& ruler = add();
  ruler.add_patterns(pattern_dicts());
  nlp->to_disk(tmp / "pipe");
  // spaCy's srsly.write_msgpack: a msgpack array of 3 pattern dicts (fixarray header 0x93).
  const fs::path saved = fs::path(tmp / "pipe") / "attribute_ruler" / "patterns";
  std::ifstream in(saved, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x93);
  EXPECT_EQ(Json::from_msgpack(bytes), ruler.patterns());
  // A JSON list in the same place loads as well.
  std::ofstream(saved, std::ios::trunc) << ruler.patterns().dump();
  auto loaded = Language::load(tmp / "pipe");
  EXPECT_EQ(dynamic_cast<AttributeRules&>(loaded->get_pipe("attribute_ruler")).patterns(), ruler.patterns());
  // Neither: a DataError naming the file.
  std::ofstream(saved, std::ios::trunc) << "not a list";
  try {
    Language::load(tmp / "pipe");
    FAIL() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("attribute_ruler/patterns"));
  }
}

TEST_F(AttributeRulerTest, BadRulesNameTheirIndexAndKey) {
  AttributeRules& ruler = add();
  auto message = [&](const char* patterns) {
    return trfpipe::testing::error_of([&] { ruler.add_patterns(J(patterns)); });
  };
  EXPECT_THAT(message(R"([{"patterns": [[{"ORTH": "a"}]], "attrs": {"LEMMA": "x"}}, {"patterns": [[{"ORTH": "b"}]]}])"),
              ::testing::HasSubstr("pattern dict 1: key 'attrs' is missing"));
  EXPECT_THAT(message(R"([{"patterns": [[{"ORTH": "a"}]], "attrs": {"BOGUS": "x"}}])"),
              ::testing::HasSubstr("unknown token attribute 'BOGUS'"));
  EXPECT_THAT(message(R"([{"patterns": [[{"XX": "a"}]], "attrs": {"LEMMA": "x"}}])"),
              ::testing::HasSubstr("pattern dict 0: pattern 0, token 0, key 'XX': [E152]"));
  EXPECT_THAT(message(R"([{"patterns": [[{"ORTH": "a"}]], "attrs": {"LEMMA": "x"}, "extra": 1}])"),
              ::testing::HasSubstr("unexpected key 'extra'"));
}
