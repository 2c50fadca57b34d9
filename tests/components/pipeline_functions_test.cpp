// merge_entities, merge_noun_chunks, merge_subtokens and doc_cleaner (spaCy's tests/pipeline/test_functions.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/temp_dir.hpp"
#include "components/register.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/json_lines.hpp"
#include "trfpipe/rulers.hpp"

using namespace trfpipe;
using trfpipe::testing::TempDir;
namespace fs = std::filesystem;

namespace {

Json J(const char* text) { return Json::parse(text); }

class PipelineFunctions : public ::testing::Test {
 protected:
  void SetUp() override { register_components(); }
  std::unique_ptr<Language> nlp = Language::blank("en");
};

}  // namespace

TEST_F(PipelineFunctions, MergeEntitiesMakesOneTokenPerEntity) {
  auto& ruler = dynamic_cast<PatternRuler&>(nlp->add_pipe("entity_ruler"));
  ruler.add_patterns(J(R"([{"label": "GPE", "pattern": "New York City"}, {"label": "ORG", "pattern": "Acme Corp"}])"));
  nlp->add_pipe("merge_entities");
  Doc doc = (*nlp)("Acme Corp opened in New York City today.");
  std::vector<std::string> words;
  for (size_t i = 0; i < doc.size(); ++i) words.emplace_back(doc[i].text());
  EXPECT_EQ(words, (std::vector<std::string>{"Acme Corp", "opened", "in", "New York City", "today", "."}));
  EXPECT_EQ(doc[3].ent_type_(), "GPE");
  EXPECT_EQ(doc[3].ent_iob_(), "B");
  EXPECT_EQ(doc.ents().size(), 2u);
}

TEST_F(PipelineFunctions, MergeNounChunksMakesOneTokenPerChunkWithTheRootsTagAndDep) {
  nlp->add_pipe("merge_noun_chunks");
  Doc doc = nlp->make_doc("I like green eggs and ham .");
  const std::vector<size_t> heads = {1, 1, 3, 1, 3, 3, 1};
  const std::vector<std::string> deps = {"nsubj", "ROOT", "amod", "dobj", "cc", "conj", "punct"};
  const std::vector<std::string> pos = {"PRON", "VERB", "ADJ", "NOUN", "CCONJ", "NOUN", "PUNCT"};
  const std::vector<std::string> tags = {"PRP", "VBP", "JJ", "NNS", "CC", "NN", "."};
  for (size_t i = 0; i < doc.size(); ++i) {
    doc[i].set_head(heads[i]);
    doc[i].set_dep(deps[i]);
    doc[i].set_pos(pos[i]);
    doc[i].set_tag(tags[i]);
  }
  nlp->get_pipe("merge_noun_chunks")(doc);
  std::vector<std::string> words;
  for (size_t i = 0; i < doc.size(); ++i) words.emplace_back(doc[i].text());
  EXPECT_EQ(words, (std::vector<std::string>{"I", "like", "green eggs", "and", "ham", "."}));
  EXPECT_EQ(doc[2].tag_(), "NNS");
  EXPECT_EQ(doc[2].dep_(), "dobj");
  EXPECT_EQ(doc[2].head().i(), 1u);
  // Without a parse the doc passes unchanged (spaCy returns it as it is).
  Doc unparsed = nlp->make_doc("green eggs");
  nlp->get_pipe("merge_noun_chunks")(unparsed);
  EXPECT_EQ(unparsed.size(), 2u);
}

TEST_F(PipelineFunctions, MergeSubtokensMergesRunsWithTheirHead) {
  nlp->add_pipe("merge_subtokens");
  Doc doc = nlp->make_doc("This is a sentence .");
  const std::vector<size_t> heads = {1, 1, 3, 1, 1};
  const std::vector<std::string> deps = {"subtok", "ROOT", "subtok", "attr", "punct"};
  for (size_t i = 0; i < doc.size(); ++i) {
    doc[i].set_head(heads[i]);
    doc[i].set_dep(deps[i]);
  }
  nlp->get_pipe("merge_subtokens")(doc);
  std::vector<std::string> words;
  for (size_t i = 0; i < doc.size(); ++i) words.emplace_back(doc[i].text());
  EXPECT_EQ(words, (std::vector<std::string>{"This is", "a sentence", "."}));
  Doc unparsed = nlp->make_doc("no parse");
  EXPECT_THROW(nlp->get_pipe("merge_subtokens")(unparsed), ValueError);
}

TEST_F(PipelineFunctions, DocCleanerResetsTensorCatsAndExtensions) {
  Doc::set_extension("test_cleaner", std::any(std::string("default")), /*force=*/true);
  nlp->add_pipe("doc_cleaner", "", {{"attrs", {{"tensor", nullptr}, {"cats", nullptr}, {"_.test_cleaner", nullptr},
                                                 {"_.not_registered", nullptr}}}});
  Doc doc = nlp->make_doc("text");
  doc.tensor() = Matrix(1, 4, 1.f);
  doc.cats()["A"] = 1.0;
  doc.set_ext("test_cleaner", std::string("set"));
  nlp->get_pipe("doc_cleaner")(doc);
  EXPECT_TRUE(doc.tensor().empty());
  EXPECT_TRUE(doc.cats().empty());
  EXPECT_EQ(std::any_cast<std::string>(doc.get_ext("test_cleaner")), "default");
}

TEST_F(PipelineFunctions, DocCleanerDefaultsAndSaving) {
  TempDir tmp;
  nlp->add_pipe("doc_cleaner");
  Json cfg = nlp->config()["components"]["doc_cleaner"];
  EXPECT_EQ(cfg["attrs"], (Json{{"tensor", nullptr}, {"_.trf_data", nullptr}}));
  EXPECT_EQ(cfg["silent"], true);
  Doc doc = nlp->make_doc("text");
  doc.tensor() = Matrix(1, 2);
  nlp->get_pipe("doc_cleaner")(doc);  // trf_data is not registered here: skipped silently
  EXPECT_TRUE(doc.tensor().empty());
  nlp->to_disk(tmp / "pipe");
  auto loaded = Language::load(tmp / "pipe");
  EXPECT_EQ(loaded->config()["components"]["doc_cleaner"]["attrs"], cfg["attrs"]);
}

TEST_F(PipelineFunctions, FunctionComponentsRefuseSettings) {
  EXPECT_THROW(nlp->add_pipe("merge_entities", "", {{"x", 1}}), ConfigError);
  EXPECT_THROW(nlp->add_pipe("merge_subtokens", "", {{"label", "x"}}), ConfigError);
  EXPECT_THROW(nlp->add_pipe("doc_cleaner", "", {{"attrs", 3}}), ConfigError);
}
