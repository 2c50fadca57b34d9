// morphologizer + trainable_lemmatizer listening to one shared embedding: a `tok2vec`
// (spacy.Tok2VecListener.v1) or a `transformer` (spacy-transformers.TransformerListener.v1, a
// tiny random BERT). Both overfit a small hand-made set to 100 % with their gradients reaching
// the shared upstream, save, reload and predict identically.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/components/morph_fixture.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

const std::vector<Annotated>& data() {
  static const std::vector<Annotated> d = {
      {{"She", "likes", "green", "eggs"},
       {"Case=Nom|Number=Sing|Person=3", "Number=Sing|Person=3|Tense=Pres", "Degree=Pos",
        "Number=Plur"},
       {"PRON", "VERB", "ADJ", "NOUN"},
       {"she", "like", "green", "egg"}},
      {{"Eat", "blue", "ham"},
       {"Mood=Imp", "Degree=Pos", "Number=Sing"},
       {"VERB", "ADJ", "NOUN"},
       {"eat", "blue", "ham"}},
      {{"Dogs", "chased", "cats"},
       {"Number=Plur", "Tense=Past|VerbForm=Fin", "Number=Plur"},
       {"NOUN", "VERB", "NOUN"},
       {"dog", "chase", "cat"}},
  };
  return d;
}

struct Outputs {
  std::vector<std::vector<std::string>> morphs, pos, lemmas;
  bool operator==(const Outputs& o) const {
    return morphs == o.morphs && pos == o.pos && lemmas == o.lemmas;
  }
};

Outputs outputs(Language& nlp, const std::vector<std::vector<std::string>>& words) {
  std::vector<std::unique_ptr<Doc>> docs;
  std::vector<Doc*> ptrs;
  for (const auto& w : words) {
    docs.push_back(std::make_unique<Doc>(nlp.vocab_ptr(), w));
    ptrs.push_back(docs.back().get());
  }
  nlp.pipe_docs(ptrs);
  Outputs o;
  for (Doc* d : ptrs) {
    o.morphs.push_back(per_token(*d, [](const Token& t) { return t.morph().to_string(); }));
    o.pos.push_back(per_token(*d, [](const Token& t) { return t.pos_(); }));
    o.lemmas.push_back(per_token(*d, [](const Token& t) { return t.lemma_(); }));
  }
  return o;
}

std::vector<std::vector<std::string>> train_words() {
  std::vector<std::vector<std::string>> w;
  for (const auto& a : data()) w.push_back(a.words);
  return w;
}

bool all_right(Language& nlp) {
  Outputs o = outputs(nlp, train_words());
  for (size_t d = 0; d < data().size(); ++d)
    if (o.morphs[d] != data()[d].morphs || o.pos[d] != data()[d].pos ||
        o.lemmas[d] != data()[d].lemmas)
      return false;
  return true;
}

NamedTensors params(Language& nlp, const std::string& name) {
  return dynamic_cast<ParameterOwner&>(nlp.get_pipe(name)).named_parameters();
}

// Adds both components over `listener`, overfits, checks the upstream was trained, then
// save -> load -> identical outputs on the training words and unseen ones.
void overfit_save_load(Language& nlp, const std::string& upstream, const Json& listener,
                       double learn_rate, int max_updates) {
  nlp.add_pipe("morphologizer", "",
               Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"}, {"tok2vec", listener}}}});
  nlp.add_pipe("trainable_lemmatizer", "",
               Json{{"min_tree_freq", 1},
                    {"model", Json{{"@architectures", "spacy.Tagger.v2"}, {"tok2vec", listener}}}});
  auto egs = annotated_examples(nlp, data());
  nlp.initialize([&] { return egs; });
  EXPECT_FALSE(all_right(nlp)) << "right before training: the check cannot fail";
  auto before = snapshot(params(nlp, upstream));
  auto opt = test_adam(learn_rate);
  int steps = -1;
  Losses first, last;
  for (int step = 1; step <= max_updates && steps < 0; ++step) {
    last = losses_of_step(nlp, egs, *opt);
    if (step == 1) first = last;
    // At least 10 updates: the zero-initialized output layers pass no gradient upstream in
    // the first one, and the upstream must have been trained before the checks below.
    if (step >= 10 && all_right(nlp)) steps = step;
  }
  ASSERT_GT(steps, 0) << "no 100% within " << max_updates << " updates; losses: morphologizer "
                      << last["morphologizer"] << ", lemmatizer " << last["trainable_lemmatizer"];
  EXPECT_LT(last["morphologizer"], first["morphologizer"]);
  EXPECT_LT(last["trainable_lemmatizer"], first["trainable_lemmatizer"]);
  EXPECT_FALSE(same(params(nlp, upstream), before)) << "the listeners' gradient did not reach " << upstream;

  const std::string dir = temp_dir("morph_lemma_" + upstream);
  nlp.to_disk(dir);
  auto nlp2 = Language::load(dir);
  std::vector<std::vector<std::string>> words = train_words();
  words.push_back({"Cats", "likes", "blue", "dogs"});
  words.push_back({"She", "chased", "ham", "today"});
  EXPECT_EQ(outputs(nlp, words), outputs(*nlp2, words));
  EXPECT_TRUE(all_right(*nlp2));
  fs::remove_all(dir);
}

}  // namespace

TEST(MorphLemmaListeners, OverfitThroughASharedTok2VecAndReloadIdentically) {
  auto nlp = blank_en();
  nlp->add_pipe("tok2vec", "", Json{{"model", small_cnn()}});
  overfit_save_load(*nlp, "tok2vec",
                    Json{{"@architectures", "spacy.Tok2VecListener.v1"}, {"width", 32}}, 0.01, 200);
}

TEST(MorphLemmaListeners, OverfitThroughASharedTransformerAndReloadIdentically) {
  register_components();
  at::manual_seed(0);
  auto nlp = trf_nlp(transformer_config(
      tiny_bert(), doc_spans_cfg(), false,
      Json{{"hidden_dropout_prob", 0.0}, {"attention_probs_dropout_prob", 0.0}}));
  overfit_save_load(*nlp, "transformer",
                    Json{{"@architectures", "spacy-transformers.TransformerListener.v1"},
                         {"grad_factor", 1.0},
                         {"upstream", "*"},
                         {"pooling", Json{{"@layers", "reduce_mean.v1"}}}},
                    0.002, 300);
}

// spaCy's projects/pipelines/tagger_parser_ud config (MultiHashEmbed.v1 over LOWER, PREFIX,
// SUFFIX, SHAPE; tagger, morphologizer and trainable_lemmatizer listening to tok2vec "tok2vec")
// builds as written; its parser is left out here (tests/cli/parser_cli_test.cpp trains the whole
// config, parser included, from the command line).
TEST(MorphLemmaListeners, SpacysTaggerParserUdConfigBuildsAndTrains) {
  register_components();
  Json cfg = load_config_file(std::string(TRFPIPE_SHARED_DIR) +
                              "/data/configs/projects__pipelines__tagger_parser_ud__configs__default.cfg");
  cfg["nlp"]["pipeline"] = Json::array({"tok2vec", "tagger", "morphologizer", "trainable_lemmatizer"});
  cfg["components"].erase("parser");
  cfg["components"]["trainable_lemmatizer"]["min_tree_freq"] = 1;
  at::manual_seed(0);
  auto nlp = Language::from_config(cfg);
  EXPECT_EQ(nlp->pipe_names(),
            (std::vector<std::string>{"tok2vec", "tagger", "morphologizer", "trainable_lemmatizer"}));
  std::vector<Example> egs = annotated_examples(*nlp, data());
  for (const Example& eg : egs)
    for (size_t i = 0; i < eg.reference().size(); ++i) eg.reference()[i].set_tag("XX");
  nlp->initialize([&] { return egs; });
  auto opt = test_adam();
  Losses first = losses_of_step(*nlp, egs, *opt), last;
  for (int i = 0; i < 20; ++i) last = losses_of_step(*nlp, egs, *opt);
  EXPECT_LT(last["morphologizer"], first["morphologizer"]);
  EXPECT_LT(last["trainable_lemmatizer"], first["trainable_lemmatizer"]);
}
