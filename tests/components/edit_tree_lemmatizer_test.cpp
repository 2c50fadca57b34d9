// Edit trees and the trainable_lemmatizer (spaCy's EditTreeLemmatizer). Tables after spaCy's
// spacy/tests/pipeline/test_edit_tree_lemmatizer.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "components/edit_tree_lemmatizer/edit_trees.hpp"
#include "tests/components/morph_fixture.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
using edit_trees::EditTrees;
namespace fs = std::filesystem;

// ---- edit trees ----
TEST(EditTrees, DutchTreesAsSpacy) {
  StringStore strings;
  EditTrees trees(strings);
  EXPECT_EQ(trees.tree_to_str(trees.add("deelt", "delen")),
            "(m 0 3 () (m 0 2 (s '' 'l') (s 'lt' 'n')))");
  EXPECT_EQ(trees.tree_to_str(trees.add("gedeeld", "delen")),
            "(m 2 3 (s 'ge' '') (m 0 2 (s '' 'l') (s 'ld' 'n')))");
}

TEST(EditTrees, TableOfFormsLemmasAndTrees) {
  struct Row {
    const char* form;
    const char* lemma;
    const char* tree;
  };
  const Row rows[] = {
      {"likes", "like", "(m 0 1 () (s 's' ''))"},
      {"She", "she", "(m 1 0 (s 'S' 's') ())"},
      {"green", "green", "(m 0 0 () ())"},
      {"went", "go", "(s 'went' 'go')"},
      {"better", "good", "(s 'better' 'good')"},
      {"children", "child", "(m 0 3 () (s 'ren' ''))"},
      {"", "", "(m 0 0 () ())"},
      {"x", "", "(s 'x' '')"},
      {"", "y", "(s '' 'y')"},
      // Code points, not bytes: "ä" is one character.
      {"Häuser", "Haus", "(m 2 2 (m 0 1 () (s 'ä' 'a')) (s 'er' ''))"},
  };
  for (const Row& r : rows) {
    StringStore strings;
    EditTrees trees(strings);
    const uint32_t id = trees.add(r.form, r.lemma);
    EXPECT_EQ(trees.tree_to_str(id), r.tree) << r.form << " -> " << r.lemma;
    EXPECT_EQ(trees.apply(id, r.form), std::optional<std::string>(r.lemma));
  }
}

TEST(EditTrees, RoundTripsRandomStrings) {
  // spaCy's hypothesis tests: any form/lemma pair; a small alphabet gives more overlap.
  std::mt19937 rng(7);
  const std::vector<std::string> alphabets[] = {{"a", "b"}, {"a", "b", "c", "ü", "ß", "e"}};
  for (const auto& alphabet : alphabets) {
    StringStore strings;
    EditTrees trees(strings);
    for (int n = 0; n < 500; ++n) {
      auto word = [&] {
        std::string w;
        for (size_t k = rng() % 9; k > 0; --k) w += alphabet[rng() % alphabet.size()];
        return w;
      };
      const std::string form = word(), lemma = word();
      const uint32_t id = trees.add(form, lemma);
      ASSERT_EQ(trees.apply(id, form), std::optional<std::string>(lemma)) << form << " " << lemma;
    }
  }
}

TEST(EditTrees, UnapplicableTreesEmptyStringsAndDedup) {
  StringStore strings;
  EditTrees trees(strings);
  const uint32_t tree = trees.add("deelt", "delen");
  EXPECT_EQ(trees.apply(tree, "deeld"), std::nullopt);  // replacement fails
  EXPECT_EQ(trees.apply(tree, "de"), std::nullopt);     // prefix + suffix too long
  EXPECT_EQ(trees.apply(tree, "speelt"), std::optional<std::string>("spelen"));
  EXPECT_EQ(trees.add("xyz", "xyz"), trees.add("", ""));
  const size_t n = trees.size();
  trees.add("deelt", "delen");
  EXPECT_EQ(trees.size(), n);
  EXPECT_THROW(trees.apply(uint32_t(trees.size()), "x"), ValueError);
  EXPECT_THROW(trees.tree_to_str(uint32_t(trees.size())), ValueError);
}

TEST(EditTrees, BytesAreSpacysMsgpackAndRoundTrip) {
  StringStore strings;
  EditTrees trees(strings);
  trees.add("a", "a");  // one match node
  static const char kExpected[] =
      "\x81\xa5trees\x91\x84"
      "\xaaprefix_len\x00\xaasuffix_len\x00"
      "\xabprefix_tree\xce\xff\xff\xff\xff\xabsuffix_tree\xce\xff\xff\xff\xff";
  EXPECT_EQ(trees.to_bytes(), std::string(kExpected, sizeof(kExpected) - 1));
  // A substitution node holds the strings' 64-bit IDs.
  StringStore strings2;
  EditTrees subst(strings2);
  subst.add("went", "go");
  auto be64 = [](uint64_t v) {
    std::string s = "\xcf";
    for (int k = 7; k >= 0; --k) s.push_back(char((v >> (8 * k)) & 0xff));
    return s;
  };
  ASSERT_GE(string_id("went"), uint64_t(1) << 32);
  ASSERT_GE(string_id("go"), uint64_t(1) << 32);
  EXPECT_EQ(subst.to_bytes(), std::string("\x81\xa5trees\x91\x82\xa4orig") + be64(string_id("went")) +
                                  "\xa5subst" + be64(string_id("go")));

  trees.add("deelt", "delen");
  trees.add("gedeeld", "delen");
  EditTrees back(strings);
  back.from_bytes(trees.to_bytes());
  ASSERT_EQ(back.size(), trees.size());
  for (uint32_t i = 0; i < trees.size(); ++i) EXPECT_EQ(back.tree_to_str(i), trees.tree_to_str(i));
  back.add("deelt", "delen");
  back.add("gedeeld", "delen");
  EXPECT_EQ(back.size(), trees.size());
}

TEST(EditTrees, MalformedDataIsAValueError) {
  StringStore strings;
  EditTrees trees(strings);
  EXPECT_THROW(trees.from_bytes("not msgpack"), ValueError);
  EXPECT_THROW(trees.from_json(Json::array({Json{{"prefix_len", 0}}})), ValueError);
  EXPECT_THROW(trees.from_json(Json::array({Json{{"orig", 1.5}, {"subst", "x"}}})), ValueError);
  EXPECT_THROW(trees.from_json(Json::array({Json{{"prefix_len", 0}, {"suffix_len", 0},
                                                 {"prefix_tree", 5}, {"suffix_tree", 0}}})),
               ValueError);
  EXPECT_EQ(trees.size(), 0u);
}

// ---- the component ----
namespace {

const std::vector<Annotated>& train_data() {
  static const std::vector<Annotated> d = {
      {{"She", "likes", "green", "eggs"}, {}, {}, {"she", "like", "green", "egg"}},
      {{"Eat", "blue", "ham"}, {}, {}, {"eat", "blue", "ham"}},
  };
  return d;
}

Pipe& add_lemmatizer(Language& nlp, Json config = Json::object()) {
  if (!config.contains("model"))
    config["model"] = Json{{"@architectures", "spacy.Tagger.v2"}, {"tok2vec", small_cnn()}};
  if (!config.contains("min_tree_freq")) config["min_tree_freq"] = 1;
  return nlp.add_pipe("trainable_lemmatizer", "", config);
}

std::vector<std::string> lemmas(const Doc& doc) {
  return per_token(doc, [](const Token& t) { return t.lemma_(); });
}

int overfit(Language& nlp, const std::vector<Example>& egs, const std::string& text,
            const std::vector<std::string>& expected, Losses* last = nullptr) {
  nlp.initialize([&] { return egs; });
  auto opt = test_adam();
  for (int step = 1; step <= 200; ++step) {
    Losses l = losses_of_step(nlp, egs, *opt);
    if (last) *last = l;
    if (step % 5 == 0 && lemmas(nlp(text)) == expected) return step;
  }
  return -1;
}

}  // namespace

TEST(TrainableLemmatizer, FactoryHasSpacysDefaultsAndTheExperimentalName) {
  register_components();
  for (const char* name : {"trainable_lemmatizer", "experimental_edit_tree_lemmatizer"}) {
    const FactoryMeta& m = get_factory(name);
    EXPECT_EQ(m.default_config["backoff"], "orth") << name;
    EXPECT_EQ(m.default_config["min_tree_freq"], 3);
    EXPECT_EQ(m.default_config["overwrite"], false);
    EXPECT_EQ(m.default_config["top_k"], 1);
    EXPECT_EQ(m.default_config["scorer"]["@scorers"], "spacy.lemmatizer_scorer.v1");
    EXPECT_EQ(m.default_config["model"]["@architectures"], "spacy.Tagger.v2");
    EXPECT_EQ(m.default_config["model"]["tok2vec"]["@architectures"], "spacy.HashEmbedCNN.v2");
    EXPECT_EQ(m.default_score_weights, (Json{{"lemma_acc", 1.0}}));
    EXPECT_EQ(m.assigns, std::vector<std::string>{"token.lemma"});
  }
  auto nlp = blank_en();
  EXPECT_NO_THROW(nlp->add_pipe("trainable_lemmatizer"));
  EXPECT_NO_THROW(nlp->add_pipe("experimental_edit_tree_lemmatizer"));
}

// spaCy's test_initialize_from_labels: the label trees and their ids.
TEST(TrainableLemmatizer, LabelsAreTheFrequentTreesAsSpacy) {
  auto nlp = blank_en();
  Pipe& lem = add_lemmatizer(*nlp);
  auto egs = annotated_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  EXPECT_EQ(lem.labels(), (std::vector<std::string>{"1", "3", "4", "6"}));
  const std::string dir = temp_dir("lemmatizer_labels");
  nlp->to_disk(dir);
  std::ifstream cfg(fs::path(dir) / "trainable_lemmatizer" / "cfg");
  EXPECT_EQ(Json::parse(cfg), (Json{{"labels", {1, 3, 4, 6}}}));
  std::ifstream tf(fs::path(dir) / "trainable_lemmatizer" / "trees", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(tf)), std::istreambuf_iterator<char>());
  StringStore strings;
  EditTrees trees(strings);
  trees.from_json(Json::array({Json{{"orig", "S"}, {"subst", "s"}},
                               Json{{"prefix_len", 1}, {"suffix_len", 0}, {"prefix_tree", 0},
                                    {"suffix_tree", 4294967295u}},
                               Json{{"orig", "s"}, {"subst", ""}},
                               Json{{"prefix_len", 0}, {"suffix_len", 1},
                                    {"prefix_tree", 4294967295u}, {"suffix_tree", 2}},
                               Json{{"prefix_len", 0}, {"suffix_len", 0},
                                    {"prefix_tree", 4294967295u}, {"suffix_tree", 4294967295u}},
                               Json{{"orig", "E"}, {"subst", "e"}},
                               Json{{"prefix_len", 1}, {"suffix_len", 0}, {"prefix_tree", 5},
                                    {"suffix_tree", 4294967295u}}}));
  EXPECT_EQ(bytes, trees.to_bytes());
  fs::remove_all(dir);
}

TEST(TrainableLemmatizer, MinTreeFreqPrunesRareTrees) {
  auto nlp = blank_en();
  Pipe& lem = add_lemmatizer(*nlp, Json{{"min_tree_freq", 2}});
  auto egs = annotated_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  // Only "likes"/"eggs" (strip s) and the identity tree are seen twice or more.
  EXPECT_EQ(lem.labels().size(), 2u);
}

TEST(TrainableLemmatizer, NoLemmasIsAValueError) {
  auto nlp = blank_en();
  add_lemmatizer(*nlp);
  auto egs = annotated_examples(*nlp, {{{"I", "am", "happy"}, {}, {}, {}}});
  EXPECT_THROW(nlp->initialize([&] { return egs; }), ValueError);
  auto nlp2 = blank_en();
  add_lemmatizer(*nlp2);
  EXPECT_THROW(nlp2->initialize({}), ValueError);
}

TEST(TrainableLemmatizer, OverfitsForEveryTopKAndReloadsIdentically) {
  for (int top_k : {1, 5, 30}) {
    auto nlp = blank_en();
    add_lemmatizer(*nlp, Json{{"top_k", top_k}});
    auto egs = annotated_examples(*nlp, train_data());
    Losses last;
    EXPECT_GT(overfit(*nlp, egs, "She likes blue eggs", {"she", "like", "blue", "egg"}, &last), 0)
        << "top_k " << top_k;
    const std::string dir = temp_dir("lemmatizer_io" + std::to_string(top_k));
    nlp->to_disk(dir);
    EXPECT_TRUE(fs::exists(fs::path(dir) / "trainable_lemmatizer" / "trees"));
    auto nlp2 = Language::load(dir);
    const std::vector<std::string> texts{"She likes blue eggs", "Eat green ham", "He hates eggs"};
    std::vector<Doc> a = nlp->pipe(texts), b = nlp2->pipe(texts);
    for (size_t d = 0; d < texts.size(); ++d) EXPECT_EQ(lemmas(a[d]), lemmas(b[d])) << texts[d];
    fs::remove_all(dir);
  }
}

// spaCy's test_incomplete_data: lemmas "" are missing; the predicted "hates" covers the
// reference tokens "hat" + "es", so it is misaligned and gets no gradient either.
TEST(TrainableLemmatizer, IgnoresMissingAndMisalignedLemmas) {
  auto nlp = blank_en();
  add_lemmatizer(*nlp);
  std::vector<Example> egs = annotated_examples(
      *nlp, {{{"She", "likes", "green", "eggs"}, {}, {}, {"", "like", "green", ""}}});
  auto ref = std::make_shared<Doc>(nlp->vocab_ptr(),
                                   std::vector<std::string>{"He", "hat", "es", "green", "eggs"},
                                   std::vector<bool>{true, false, true, true, false});
  const char* ref_lemmas[] = {"", "hat", "e", "green", ""};
  for (size_t i = 0; i < ref->size(); ++i)
    if (*ref_lemmas[i]) (*ref)[i].set_lemma(ref_lemmas[i]);
  egs.emplace_back(std::make_shared<Doc>(nlp->vocab_ptr(),
                                         std::vector<std::string>{"He", "hates", "green", "eggs"}),
                   ref);
  ASSERT_EQ(egs.back().get_aligned("LEMMA")[1], std::nullopt);
  nlp->initialize([&] { return egs; });
  auto opt = test_adam();
  Losses last;
  int steps = -1;
  for (int step = 1; step <= 200 && steps < 0; ++step) {
    last = losses_of_step(*nlp, egs, *opt);
    auto l = lemmas((*nlp)("She likes blue eggs"));
    if (step % 5 == 0 && l[1] == "like" && l[2] == "blue") steps = step;
  }
  EXPECT_GT(steps, 0);
  for (int step = 0; step < 30; ++step) last = losses_of_step(*nlp, egs, *opt);
  EXPECT_LT(last["trainable_lemmatizer"], 1e-3);
}

// One label (strip a final "s"): forms without it get the backoff.
TEST(TrainableLemmatizer, BackoffWhenNoTreeApplies) {
  struct Row {
    Json backoff;
    std::vector<std::string> expected;
  };
  const Row rows[] = {{"orth", {"cat", "Zebra"}}, {"lower", {"cat", "zebra"}}, {nullptr, {"cat", ""}}};
  for (const Row& r : rows) {
    auto nlp = blank_en();
    add_lemmatizer(*nlp, Json{{"backoff", r.backoff}});
    auto egs = annotated_examples(*nlp, {{{"dogs", "cats"}, {}, {}, {"dog", "cat"}}});
    nlp->initialize([&] { return egs; });
    ASSERT_EQ(nlp->get_pipe("trainable_lemmatizer").labels().size(), 1u);
    EXPECT_EQ(lemmas((*nlp)("cats Zebra")), r.expected) << r.backoff.dump();
  }
}

TEST(TrainableLemmatizer, KeepsPresetLemmasUnlessOverwrite) {
  for (bool overwrite : {false, true}) {
    auto nlp = blank_en();
    add_lemmatizer(*nlp, Json{{"overwrite", overwrite}});
    auto egs = annotated_examples(*nlp, {{{"dogs", "cats"}, {}, {}, {"dog", "cat"}}});
    nlp->initialize([&] { return egs; });
    Doc doc(nlp->vocab_ptr(), {"cats", "dogs"});
    doc[0].set_lemma("preset");
    nlp->get_pipe("trainable_lemmatizer")(doc);
    EXPECT_EQ(lemmas(doc), (std::vector<std::string>{overwrite ? "cat" : "preset", "dog"}));
  }
}

TEST(TrainableLemmatizer, BadSettingsAreConfigErrors) {
  auto nlp = blank_en();
  EXPECT_THROW(add_lemmatizer(*nlp, Json{{"backoff", "text"}}), ConfigError);
  EXPECT_THROW(add_lemmatizer(*nlp, Json{{"top_k", -1}}), ConfigError);
}

TEST(TrainableLemmatizer, CorruptSavedTreesAreDataErrors) {
  auto nlp = blank_en();
  add_lemmatizer(*nlp);
  auto egs = annotated_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  const std::string dir = temp_dir("lemmatizer_bad");
  nlp->to_disk(dir);
  const fs::path trees = fs::path(dir) / "trainable_lemmatizer" / "trees";
  std::ofstream(trees, std::ios::binary) << "\x81\xa5trees\x90";  // no trees: labels dangle
  EXPECT_THROW(Language::load(dir), DataError);
  std::ofstream(trees, std::ios::binary) << "garbage";
  EXPECT_THROW(Language::load(dir), DataError);
  fs::remove_all(dir);
}
