// The morphologizer (spaCy's Morphologizer): defaults, labels, label smoothing, overwrite /
// extend, overfitting with its own tok2vec, save -> load, bad input. Tables after spaCy's
// spacy/tests/pipeline/test_morphologizer.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/components/morph_fixture.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

// spaCy's TRAIN_DATA: "Eat blue ham" combines a morph without POS, a POS without morph and a
// token with the empty analysis.
const std::vector<Annotated>& train_data() {
  static const std::vector<Annotated> d = {
      {{"I", "like", "green", "eggs"},
       {"Feat=N", "Feat=V", "Feat=J", "Feat=N"},
       {"NOUN", "VERB", "ADJ", "NOUN"},
       {}},
      {{"Eat", "blue", "ham"}, {"Feat=V", "", ""}, {"", "ADJ", ""}, {}},
  };
  return d;
}

Pipe& add_morphologizer(Language& nlp, Json config = Json::object(), const std::string& name = "") {
  if (!config.contains("model"))
    config["model"] = Json{{"@architectures", "spacy.Tagger.v2"}, {"tok2vec", small_cnn()}};
  return nlp.add_pipe("morphologizer", name, config);
}

// Trains until "I like blue ham" gets the expected morphs and POS (checked every 5 updates).
int overfit(Language& nlp, const std::vector<Example>& egs, const std::vector<std::string>& morphs,
            const std::vector<std::string>& pos, Losses* last = nullptr) {
  nlp.initialize([&] { return egs; });
  auto opt = test_adam();
  for (int step = 1; step <= 200; ++step) {
    Losses l = losses_of_step(nlp, egs, *opt);
    if (last) *last = l;
    if (step % 5) continue;
    Doc doc = nlp("I like blue ham");
    if (per_token(doc, [](const Token& t) { return t.morph().to_string(); }) == morphs &&
        per_token(doc, [](const Token& t) { return t.pos_(); }) == pos)
      return step;
  }
  return -1;
}

}  // namespace

TEST(Morphologizer, FactoryHasSpacysDefaults) {
  register_components();
  const FactoryMeta& m = get_factory("morphologizer");
  EXPECT_EQ(m.default_config["overwrite"], true);
  EXPECT_EQ(m.default_config["extend"], false);
  EXPECT_EQ(m.default_config["label_smoothing"], 0.0);
  EXPECT_EQ(m.default_config["scorer"]["@scorers"], "spacy.morphologizer_scorer.v1");
  const Json& model = m.default_config["model"];
  EXPECT_EQ(model["@architectures"], "spacy.Tagger.v2");
  EXPECT_EQ(model["tok2vec"]["embed"]["@architectures"], "spacy.CharacterEmbed.v2");
  EXPECT_EQ(model["tok2vec"]["embed"]["rows"], 7000);
  EXPECT_EQ(model["tok2vec"]["encode"]["width"], 128);
  EXPECT_EQ(m.default_score_weights,
            (Json{{"pos_acc", 0.5}, {"morph_acc", 0.5}, {"morph_per_feat", nullptr}}));
  EXPECT_EQ(m.assigns, (std::vector<std::string>{"token.morph", "token.pos"}));
}

TEST(Morphologizer, DefaultModelWithCharacterEmbedBuildsAndTrains) {
  auto nlp = blank_en();
  nlp->add_pipe("morphologizer");
  auto egs = annotated_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  auto opt = test_adam(0.001);
  Losses first = losses_of_step(*nlp, egs, *opt), last;
  for (int i = 0; i < 10; ++i) last = losses_of_step(*nlp, egs, *opt);
  EXPECT_LT(last["morphologizer"], first["morphologizer"]);
}

TEST(Morphologizer, ImplicitLabelsCombineMorphAndPosInOrderOfAppearance) {
  auto nlp = blank_en();
  Pipe& m = add_morphologizer(*nlp);
  auto egs = annotated_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  EXPECT_EQ(m.labels(), (std::vector<std::string>{"Feat=N|POS=NOUN", "Feat=V|POS=VERB",
                                                  "Feat=J|POS=ADJ", "Feat=V", "POS=ADJ", "_"}));
}

TEST(Morphologizer, AddLabelNormalizesAndCannotResizeAfterInitialize) {
  auto nlp = blank_en();
  auto& m = static_cast<TrainablePipe&>(add_morphologizer(*nlp));
  EXPECT_TRUE(m.add_label("POS=NOUN"));
  EXPECT_TRUE(m.add_label("Number=Sing|POS=VERB|Case=Nom"));
  EXPECT_FALSE(m.add_label("POS=NOUN"));
  EXPECT_TRUE(m.add_label("Case=Nom|POS=VERB|Number=Sing"));  // new spelling, same label
  EXPECT_EQ(m.labels(), (std::vector<std::string>{"POS=NOUN", "Case=Nom|Number=Sing|POS=VERB"}));
  EXPECT_THROW(m.add_label("NoEquals"), ValueError);
  EXPECT_THROW(m.add_label("POS=NOTAPOS"), ValueError);
  nlp->initialize({});
  EXPECT_THROW(m.add_label("POS=ADJ"), ValueError);
}

TEST(Morphologizer, NoLabelsIsAValueError) {
  auto nlp = blank_en();
  add_morphologizer(*nlp);
  try {
    nlp->initialize({});
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("E143"), std::string::npos) << e.what();
  }
}

// spaCy's test_label_smoothing: with zero-initialized output weights every gradient entry of
// label_smoothing 0.05 is 0.94285715 times the one without (8 labels), so the loss (sum d^2)
// is that ratio squared.
TEST(Morphologizer, LabelSmoothingScalesTheGradientAsSpacy) {
  auto nlp = blank_en();
  std::vector<TrainablePipe*> pipes;
  for (double ls : {0.0, 0.05}) {
    auto& p = static_cast<TrainablePipe&>(add_morphologizer(
        *nlp, Json{{"label_smoothing", ls}}, ls == 0.0 ? "no_label_smoothing" : "label_smoothing"));
    for (const char* tag : {"Feat=N", "Feat=V", "Feat=J"}) p.add_label(tag);
    pipes.push_back(&p);
  }
  auto egs = annotated_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  ASSERT_EQ(pipes[0]->labels().size(), 8u);
  Losses losses;
  for (TrainablePipe* p : pipes) p->update(egs, 0.0, nullptr, losses);
  const double ratio = 0.94285715;
  EXPECT_NEAR(losses["label_smoothing"] / losses["no_label_smoothing"], ratio * ratio, 1e-5);
}

TEST(Morphologizer, OverfitsPredictsMorphAndPosAndReloadsIdentically) {
  auto nlp = blank_en();
  add_morphologizer(*nlp);
  auto egs = annotated_examples(*nlp, train_data());
  Losses last;
  const std::vector<std::string> morphs{"Feat=N", "Feat=V", "", ""}, pos{"NOUN", "VERB", "ADJ", ""};
  EXPECT_GT(overfit(*nlp, egs, morphs, pos, &last), 0);
  auto opt = test_adam();
  for (int i = 0; i < 40; ++i) last = losses_of_step(*nlp, egs, *opt);
  EXPECT_LT(last["morphologizer"], 0.01);
  // "ham" learned the empty analysis: set, but empty.
  Doc doc = (*nlp)("I like blue ham");
  EXPECT_TRUE(doc[3].has_morph());
  EXPECT_EQ(doc[3].morph(), MorphAnalysis());

  const std::string dir = temp_dir("morphologizer_io");
  nlp->to_disk(dir);
  // spaCy's cfg: sorted keys, label dicts in label order, POS as symbol IDs.
  std::ifstream f(fs::path(dir) / "morphologizer" / "cfg");
  Json cfg = Json::parse(f);
  std::vector<std::string> keys;
  for (auto it = cfg.begin(); it != cfg.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"extend", "label_smoothing", "labels_morph",
                                            "labels_pos", "overwrite"}));
  EXPECT_EQ(cfg["labels_morph"]["Feat=N|POS=NOUN"], "Feat=N");
  EXPECT_EQ(cfg["labels_pos"]["Feat=N|POS=NOUN"], 92);  // NOUN
  EXPECT_EQ(cfg["labels_pos"]["_"], 0);
  EXPECT_EQ(cfg["labels_morph"].begin().key(), "Feat=N|POS=NOUN");

  auto nlp2 = Language::load(dir);
  const std::vector<std::string> texts{"Just a sentence.", "Then one more sentence about London.",
                                       "I like blue ham", "I like London."};
  std::vector<Doc> a = nlp->pipe(texts), b = nlp2->pipe(texts);
  for (size_t d = 0; d < texts.size(); ++d)
    for (size_t i = 0; i < a[d].size(); ++i) {
      EXPECT_EQ(a[d].tokens()[i].morph, b[d].tokens()[i].morph);
      EXPECT_EQ(a[d].tokens()[i].pos, b[d].tokens()[i].pos);
    }
  // Batched and one at a time agree.
  for (size_t d = 0; d < texts.size(); ++d) {
    Doc single = (*nlp)(texts[d]);
    for (size_t i = 0; i < single.size(); ++i)
      EXPECT_EQ(single.tokens()[i].morph, a[d].tokens()[i].morph);
  }
  fs::remove_all(dir);
}

TEST(Morphologizer, OverfitsWithoutPos) {
  auto nlp = blank_en();
  add_morphologizer(*nlp);
  std::vector<Annotated> data = train_data();
  for (auto& a : data) a.pos.clear();
  auto egs = annotated_examples(*nlp, data);
  EXPECT_GT(overfit(*nlp, egs, {"Feat=N", "Feat=V", "", ""}, {"", "", "", ""}), 0);
}

TEST(Morphologizer, OverfitsWithUnsetMorphAndPartialPos) {
  auto nlp = blank_en();
  add_morphologizer(*nlp);
  std::vector<Annotated> data = train_data();
  for (auto& a : data) {
    a.morphs.clear();
    for (size_t i = 0; i < a.words.size(); ++i) a.pos[i] = a.words[i] == "ham" ? "NOUN" : "";
  }
  auto egs = annotated_examples(*nlp, data);
  EXPECT_GT(overfit(*nlp, egs, {"", "", "", ""}, {"NOUN", "NOUN", "NOUN", "NOUN"}), 0);
  EXPECT_EQ(nlp->get_pipe("morphologizer").labels(), std::vector<std::string>{"POS=NOUN"});
}

// spaCy's overwrite / extend table ("" in spaCy's morphs is the set, empty analysis).
TEST(Morphologizer, OverwriteAndExtendAsSpacy) {
  struct Row {
    bool overwrite, extend;
    std::vector<std::string> words, before, after;
  };
  const std::vector<Row> rows = {
      {false, false, {"blue", "ham", "like"}, {"Feat=V", "Feat=N", "_"}, {"Feat=V", "Feat=N", ""}},
      {true, true, {"I", "like"}, {"Feat=A|That=A|This=A", ""}, {"Feat=N|That=A|This=A", "Feat=V"}},
      {false, true, {"I", "like"}, {"Feat=A|That=A|This=A", "That=B"},
       {"Feat=A|That=A|This=A", "Feat=V|That=B"}},
      {true, false, {"I", "like"}, {"Feat=A|That=A|This=A", ""}, {"Feat=N", "Feat=V"}},
  };
  for (const Row& r : rows) {
    auto nlp = blank_en();
    auto& m = static_cast<TrainablePipe&>(
        add_morphologizer(*nlp, Json{{"overwrite", r.overwrite}, {"extend", r.extend}}));
    m.add_label("Feat=N|POS=NOUN");
    m.add_label("Feat=V|POS=VERB");
    nlp->initialize({});
    Doc doc(nlp->vocab_ptr(), r.words);
    for (size_t i = 0; i < r.words.size(); ++i) doc[i].set_morph(r.before[i]);
    // Guesses by word: "I"/"ham" -> Feat=N, the rest -> Feat=V.
    std::vector<std::vector<int64_t>> guesses(1);
    for (const auto& w : r.words) guesses[0].push_back(w == "I" || w == "ham" ? 0 : 1);
    m.set_annotations({&doc}, guesses);
    EXPECT_EQ(per_token(doc, [](const Token& t) { return t.morph().to_string(); }), r.after)
        << "overwrite " << r.overwrite << " extend " << r.extend;
    // POS is written where unset, or always with overwrite.
    EXPECT_EQ(doc[0].pos_(), r.words[0] == "I" ? "NOUN" : "VERB");
  }
}

TEST(Morphologizer, UnseenGoldLabelsAndMisalignedTokensAreMissing) {
  auto nlp = blank_en();
  auto& m = static_cast<TrainablePipe&>(add_morphologizer(*nlp));
  m.add_label("Feat=N|POS=NOUN");
  m.add_label("Feat=V|POS=VERB");
  nlp->initialize({});
  // Only unseen combinations: no gradient at all, no error.
  auto egs = annotated_examples(*nlp, {{{"Eat", "blue", "ham"}, {"Feat=X", "", ""}, {"", "ADJ", ""}, {}}});
  Losses losses;
  m.update(egs, 0.0, nullptr, losses);
  EXPECT_EQ(losses["morphologizer"], 0.0);
  // One predicted token over two reference tokens that disagree has no aligned label.
  auto ref = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"hat", "es"},
                                   std::vector<bool>{false, false});
  (*ref)[0].set_morph("Feat=N");
  (*ref)[0].set_pos("NOUN");
  (*ref)[1].set_morph("Feat=V");
  (*ref)[1].set_pos("VERB");
  auto merged = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"hates"},
                                      std::vector<bool>{false});
  std::vector<Example> misaligned{Example(merged, ref)};
  Losses misaligned_losses;
  m.update(misaligned, 0.0, nullptr, misaligned_losses);
  EXPECT_EQ(misaligned_losses["morphologizer"], 0.0);
  // Two predicted tokens inside one reference token both take its label, as spaCy's
  // get_aligned.
  auto one = annotated_doc(*nlp, {{"eggs"}, {"Feat=N"}, {"NOUN"}, {}});
  auto split = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"eg", "gs"},
                                     std::vector<bool>{false, false});
  std::vector<Example> split_egs{Example(split, one)};
  Losses split_losses;
  m.update(split_egs, 0.0, nullptr, split_losses);
  EXPECT_GT(split_losses["morphologizer"], 0.0);
}

TEST(Morphologizer, NonUniversalPosInTheTrainingDataIsAValueError) {
  auto nlp = blank_en();
  add_morphologizer(*nlp);
  auto doc = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"word"});
  (*doc)[0].set_pos("NOTAPOS");
  std::vector<Example> egs{Example::from_reference(doc)};
  EXPECT_THROW(nlp->initialize([&] { return egs; }), ValueError);
}

TEST(Morphologizer, MalformedCfgOnLoadIsAClearError) {
  auto nlp = blank_en();
  auto& m = static_cast<TrainablePipe&>(add_morphologizer(*nlp));
  m.add_label("Feat=N|POS=NOUN");
  nlp->initialize({});
  const std::string dir = temp_dir("morphologizer_badcfg");
  nlp->to_disk(dir);
  const fs::path cfg = fs::path(dir) / "morphologizer" / "cfg";
  for (const char* bad : {R"({"labels_morph": {"A=B": "A=B"}, "labels_pos": {}})",
                          R"({"labels_morph": {"A=B": 3}, "labels_pos": {"A=B": 0}})",
                          R"({"labels_morph": [], "labels_pos": {}})"}) {
    std::ofstream(cfg) << bad;
    try {
      Language::load(dir);
      ADD_FAILURE() << "expected an error for " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("morphologizer"), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}
