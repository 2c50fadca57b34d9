// A program linked against libtrfpipe_core.so alone: rule-based pipelines run without LibTorch in
// the process; asking for a component of libtrfpipe.so loads it (once, from any thread), after
// which everything works as if the program had linked it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "trfpipe/registry.hpp"
#include "trfpipe/rulers.hpp"
#include "trfpipe/trfpipe.hpp"

using namespace trfpipe;

namespace {

// Whether a shared object whose path contains `name` is mapped into this process.
bool mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(name) != std::string::npos;
}

}  // namespace

TEST(CoreLibrary, RuleBasedPipelineRunsWithoutLibTorch) {
  ASSERT_FALSE(mapped("libtorch")) << "LibTorch was loaded before anything ran";
  auto nlp = Language::load("blank:en");
  nlp->add_pipe("sentencizer");
  Doc doc = (*nlp)("One sentence. And another one!");
  EXPECT_EQ(doc.sents().size(), 2u);
  std::vector<std::string> texts(50, "Some text here. More.");
  EXPECT_EQ(nlp->pipe(texts, 8).size(), 50u);
  EXPECT_EQ(current_device(), "cpu");
  set_num_threads(1);  // kept for later; needs no LibTorch
  EXPECT_FALSE(registry::torch_library_loaded());
  EXPECT_FALSE(mapped("libtorch"));
  EXPECT_FALSE(mapped("libtrfpipe.so"));
}

// The rulers and spaCy's pipeline functions live in the core too (TRFPIPE_CORE_COMPONENTS).
TEST(CoreLibrary, RulersAndMergeFunctionsRunWithoutLibTorch) {
  auto nlp = Language::load("blank:en");
  auto& ruler = dynamic_cast<PatternRuler&>(nlp->add_pipe("entity_ruler"));
  ruler.add_patterns(nlohmann::ordered_json::parse(
      R"([{"label": "GPE", "pattern": [{"LOWER": "new"}, {"LOWER": "york"}]}])"));
  nlp->add_pipe("merge_entities");
  nlp->add_pipe("doc_cleaner");
  Doc doc = (*nlp)("I love New York in May.");
  ASSERT_EQ(doc.ents().size(), 1u);
  EXPECT_EQ(doc.ents()[0].label_(), "GPE");
  EXPECT_EQ(doc.tokens().size(), 6u);  // "New York" merged into one token
  EXPECT_FALSE(registry::torch_library_loaded());
  EXPECT_FALSE(mapped("libtorch"));
}

TEST(CoreLibrary, AComponentOfTheLibTorchLibraryLoadsItOnFirstUse) {
  set_num_threads(1);  // before LibTorch: applied when it loads
  auto nlp = Language::blank("en");
  EXPECT_FALSE(registry::torch_library_loaded());
  Pipe& tagger = nlp->add_pipe("tagger");
  EXPECT_TRUE(registry::torch_library_loaded());
  EXPECT_TRUE(mapped("libtorch"));
  EXPECT_EQ(registry::torch_library_error(), "");
  EXPECT_EQ(get_num_threads(), 1);
  static_cast<TrainablePipe&>(tagger).add_label("NN");
  static_cast<TrainablePipe&>(tagger).add_label("VB");
  nlp->initialize(nullptr);
  Doc doc = (*nlp)("Dogs bark loudly");
  ASSERT_EQ(doc.size(), 3u);
  for (size_t i = 0; i < doc.size(); ++i) EXPECT_TRUE(doc[i].tag_() == "NN" || doc[i].tag_() == "VB");
  // Registered functions of the LibTorch library resolve too, and unknown names still list all.
  EXPECT_TRUE(registry::get("architectures").has("spacy.Tagger.v2"));
  try {
    nlp->add_pipe("no_such_factory");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("sentencizer"), std::string::npos) << what;
    EXPECT_NE(what.find("transformer"), std::string::npos) << what;
  }
}

TEST(CoreLibrary, ARegistryLookupLoadsItAndThreadsRaceSafely) {
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      const registry::Function& f = registry::get("architectures").get("spacy.Tok2Vec.v2");
      auto nlp = Language::blank("en");
      nlp->add_pipe(t % 2 ? "ner" : "textcat");
      ok[size_t(t)] = f.name == "spacy.Tok2Vec.v2";
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[size_t(t)], 1) << t;
  EXPECT_TRUE(registry::torch_library_loaded());
}

// libgomp reads its wait settings when it is loaded: loading LibTorch through the core sets a short
// spin first (registry/torch_library.cpp), unless the user chose one. Each case needs a process
// without LibTorch (ctest runs every case in its own).
TEST(CoreLibrary, LibTorchStartsWithAShortOpenMPSpin) {
  if (registry::torch_library_loaded() || mapped("libgomp")) GTEST_SKIP() << "libgomp already loaded";
  unsetenv("GOMP_SPINCOUNT");
  unsetenv("OMP_WAIT_POLICY");
  ASSERT_TRUE(registry::load_torch_library()) << registry::torch_library_error();
  EXPECT_TRUE(mapped("libgomp"));
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  ASSERT_NE(spin, nullptr);
  EXPECT_GT(std::stol(spin), 0);
  EXPECT_LT(std::stol(spin), 300000);  // below libgomp's default
}

TEST(CoreLibrary, AWaitPolicyTheUserSetIsKept) {
  if (registry::torch_library_loaded() || mapped("libgomp")) GTEST_SKIP() << "libgomp already loaded";
  unsetenv("GOMP_SPINCOUNT");
  setenv("OMP_WAIT_POLICY", "ACTIVE", 1);
  ASSERT_TRUE(registry::load_torch_library()) << registry::torch_library_error();
  EXPECT_EQ(std::getenv("GOMP_SPINCOUNT"), nullptr);
  EXPECT_STREQ(std::getenv("OMP_WAIT_POLICY"), "ACTIVE");
}
