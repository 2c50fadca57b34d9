// tok2vec, tagger, ner, textcat, textcat_multilabel: factories and defaults, overfitting small
// hand-made training sets with their own HashEmbedCNN and through a shared tok2vec listener,
// freezing, labels, errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

#include <ATen/ATen.h>

#include "components/common/listener.hpp"
#include "components/register.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;

namespace {

using trfpipe::testing::Sent;

const std::vector<Sent>& data() { return trfpipe::testing::hand_made_sentences(); }

std::vector<Example> make_examples(Language& nlp) {
  std::vector<Example> out;
  for (const Sent& s : data()) {
    auto ref = trfpipe::testing::reference_doc(nlp, s);
    ref->cats()["POS"] = s.cat == "POS" ? 1.0 : 0.0;
    ref->cats()["NEG"] = s.cat == "NEG" ? 1.0 : 0.0;
    out.push_back(Example::from_reference(ref));
  }
  return out;
}

Json small_cnn() {
  return Json{{"@architectures", "spacy.HashEmbedCNN.v2"}, {"pretrained_vectors", nullptr},
              {"width", 32}, {"depth", 2}, {"embed_size", 300}, {"window_size", 1},
              {"maxout_pieces", 3}, {"subword_features", true}};
}
Json listener_cfg() {
  return Json{{"@architectures", "spacy.Tok2VecListener.v1"}, {"width", 32}};
}

using trfpipe::testing::train_step;

std::vector<std::unique_ptr<Doc>> predict(Language& nlp) {
  return trfpipe::testing::predict_sentences(nlp, data());
}

bool tags_right(Language& nlp) { return trfpipe::testing::tags_match(predict(nlp), data()); }

bool ents_right(Language& nlp) { return trfpipe::testing::ents_match(predict(nlp), data()); }

bool cats_right(Language& nlp, double threshold) {
  return trfpipe::testing::pos_neg_match(predict(nlp), data(), threshold);
}

// Trains until `right()` or max_updates; returns the updates needed (-1: never).
template <class F>
int overfit(Language& nlp, F right, int max_updates = 200, double drop = 0.0) {
  return trfpipe::testing::overfit_examples(nlp, make_examples(nlp), right, max_updates, drop);
}

std::unique_ptr<Language> blank() {
  register_components();
  at::manual_seed(0);
  return Language::blank("en");
}

NamedTensors params(Language& nlp, const std::string& name) {
  return dynamic_cast<ParameterOwner&>(nlp.get_pipe(name)).named_parameters();
}

using trfpipe::testing::same;
using trfpipe::testing::snapshot;

}  // namespace

// ---- factories ----
TEST(Factories, HaveSpacysDefaultConfigsAndScoreWeights) {
  register_components();
  const FactoryMeta& tagger = get_factory("tagger");
  EXPECT_EQ(tagger.default_config["model"]["@architectures"], "spacy.Tagger.v2");
  EXPECT_EQ(tagger.default_config["model"]["tok2vec"]["width"], 96);
  EXPECT_EQ(tagger.default_config["neg_prefix"], "!");
  EXPECT_EQ(tagger.default_score_weights["tag_acc"], 1.0);
  EXPECT_EQ(tagger.default_score_weights["pos_acc"], 0.0);
  const FactoryMeta& ner = get_factory("ner");
  EXPECT_EQ(ner.default_config["model"]["hidden_width"], 64);
  EXPECT_EQ(ner.default_config["model"]["maxout_pieces"], 2);
  EXPECT_EQ(ner.default_config["model"]["use_upper"], true);
  EXPECT_EQ(ner.default_config["update_with_oracle_cut_size"], 100);
  EXPECT_EQ(ner.default_score_weights["ents_f"], 1.0);
  EXPECT_TRUE(ner.default_score_weights["ents_per_type"].is_null());
  const FactoryMeta& tc = get_factory("textcat");
  EXPECT_EQ(tc.default_config["threshold"], 0.0);
  EXPECT_EQ(tc.default_config["model"]["linear_model"]["length"], 262144);
  EXPECT_EQ(tc.default_config["model"]["tok2vec"]["embed"]["rows"],
            Json::array({2000, 2000, 500, 1000, 500}));
  EXPECT_EQ(tc.default_score_weights["cats_score"], 1.0);
  const FactoryMeta& ml = get_factory("textcat_multilabel");
  EXPECT_EQ(ml.default_config["threshold"], 0.5);
  EXPECT_EQ(ml.default_config["model"]["linear_model"]["exclusive_classes"], false);
  EXPECT_EQ(get_factory("tok2vec").assigns, std::vector<std::string>{"doc.tensor"});
}

TEST(Factories, BuildWithDefaultModels) {
  auto nlp = blank();
  for (const char* f : {"tok2vec", "tagger", "ner", "textcat", "textcat_multilabel"})
    EXPECT_NO_THROW(nlp->add_pipe(f)) << f;
  EXPECT_EQ(nlp->pipe_names().size(), 5u);
}

TEST(Factories, NerRejectsAParserStateType) {
  auto nlp = blank();
  EXPECT_THROW(nlp->add_pipe("ner", "", {{"model", {{"state_type", "parser"}}}}), ConfigError);
}

// ---- overfitting with their own tok2vec ----
TEST(Tagger, OverfitsWithItsOwnTok2Vec) {
  auto nlp = blank();
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", small_cnn()}}}});
  int steps = overfit(*nlp, [&] { return tags_right(*nlp); });
  EXPECT_GT(steps, 0) << "the tagger did not reach 100% in 200 updates";
  EXPECT_EQ(nlp->get_pipe("tagger").labels(), (std::vector<std::string>{"I", "J", "N", "P", "R", "V"}));
}

TEST(Ner, OverfitsWithItsOwnTok2Vec) {
  auto nlp = blank();
  nlp->add_pipe("ner", "", {{"model", {{"tok2vec", small_cnn()}}}});
  int steps = overfit(*nlp, [&] { return ents_right(*nlp); });
  EXPECT_GT(steps, 0) << "ner did not reach 100% in 200 updates";
  EXPECT_EQ(nlp->get_pipe("ner").labels(), (std::vector<std::string>{"LOC", "PER"}));
}

TEST(Ner, OverfitsWithoutUpperLayer) {
  auto nlp = blank();
  nlp->add_pipe("ner", "", {{"model", {{"tok2vec", small_cnn()}, {"use_upper", false}}}});
  EXPECT_GT(overfit(*nlp, [&] { return ents_right(*nlp); }), 0);
}

TEST(TextCat, OverfitsWithItsDefaultEnsemble) {
  auto nlp = blank();
  nlp->add_pipe("textcat");
  EXPECT_GT(overfit(*nlp, [&] { return cats_right(*nlp, 0.5); }), 0);
}

TEST(TextCat, OverfitsWithBowAndReduceModels) {
  for (Json model : {Json{{"@architectures", "spacy.TextCatBOW.v3"}, {"exclusive_classes", true},
                          {"ngram_size", 2}, {"no_output_layer", false}, {"length", 1000}},
                     Json{{"@architectures", "spacy.TextCatReduce.v1"}, {"tok2vec", small_cnn()},
                          {"exclusive_classes", true}, {"use_reduce_first", false},
                          {"use_reduce_last", false}, {"use_reduce_max", true},
                          {"use_reduce_mean", true}},
                     Json{{"@architectures", "spacy.TextCatCNN.v2"}, {"tok2vec", small_cnn()},
                          {"exclusive_classes", true}}}) {
    auto nlp = blank();
    nlp->add_pipe("textcat", "", {{"model", model}});
    EXPECT_GT(overfit(*nlp, [&] { return cats_right(*nlp, 0.5); }), 0) << model.dump();
  }
}

TEST(TextCatMultilabel, Overfits) {
  auto nlp = blank();
  nlp->add_pipe("textcat_multilabel");
  EXPECT_GT(overfit(*nlp, [&] { return cats_right(*nlp, 0.5); }), 0);
}

// ---- through a shared tok2vec ----
TEST(Tok2VecListener, TaggerNerTextcatOverfitThroughASharedTok2Vec) {
  auto nlp = blank();
  nlp->add_pipe("tok2vec", "", {{"model", small_cnn()}});
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  nlp->add_pipe("ner", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  nlp->add_pipe("textcat", "",
                {{"model", {{"@architectures", "spacy.TextCatReduce.v1"}, {"tok2vec", listener_cfg()},
                            {"exclusive_classes", true}, {"use_reduce_first", false},
                            {"use_reduce_last", false}, {"use_reduce_max", false},
                            {"use_reduce_mean", true}}}});
  auto before = snapshot(params(*nlp, "tok2vec"));
  int steps = overfit(
      *nlp, [&] { return tags_right(*nlp) && ents_right(*nlp) && cats_right(*nlp, 0.5); }, 200, 0.1);
  EXPECT_GT(steps, 0) << "the shared-tok2vec pipeline did not reach 100% in 200 updates";
  // (trained with spaCy's default training dropout, 0.1)
  EXPECT_FALSE(same(params(*nlp, "tok2vec"), before));  // the listeners trained the tok2vec
  auto docs = predict(*nlp);
  EXPECT_EQ(docs[0]->tensor().cols, 32);  // tok2vec annotates doc.tensor
  EXPECT_EQ(docs[0]->tensor().rows, int64_t(docs[0]->size()));
}

TEST(Tok2VecListener, UpstreamFindsListenersInPipelineOrder) {
  auto nlp = blank();
  nlp->add_pipe("tok2vec", "", {{"model", small_cnn()}});
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  nlp->add_pipe("ner", "", {{"model", {{"tok2vec", small_cnn()}}}});  // not listening
  Json named = listener_cfg();
  named["upstream"] = "other";
  nlp->add_pipe("textcat", "", {{"model", {{"@architectures", "spacy.TextCatCNN.v2"},
                                          {"tok2vec", named}, {"exclusive_classes", true}}}});
  nlp->link_components();
  auto ls = find_listeners(*nlp, "tok2vec", "tok2vec");
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(ls[0], dynamic_cast<ListeningComponent&>(nlp->get_pipe("tagger")).listeners()[0]);
  EXPECT_EQ(find_listeners(*nlp, "tok2vec", "other").size(), 2u);  // "*" and "other"
  EXPECT_EQ(find_listeners(*nlp, "transformer", "tok2vec").size(), 0u);
}

TEST(Tok2VecListener, FrozenUpstreamChangesNothingButStillAnnotates) {
  auto nlp = blank();
  nlp->add_pipe("tok2vec", "", {{"model", small_cnn()}});
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  auto egs = make_examples(*nlp);
  nlp->initialize([&] { return egs; });
  auto t2v = snapshot(params(*nlp, "tok2vec"));
  auto tagger = snapshot(params(*nlp, "tagger"));
  Optimizer opt;
  Losses first, last;
  for (int i = 0; i < 30; ++i)
    train_step(*nlp, egs, opt, {"tok2vec"}, {"tok2vec"}, i == 0 ? &first : &last);
  EXPECT_TRUE(same(params(*nlp, "tok2vec"), t2v));
  EXPECT_FALSE(same(params(*nlp, "tagger"), tagger));
  EXPECT_LT(last["tagger"], first["tagger"]);
  EXPECT_EQ(first.count("tok2vec"), 0u);
  auto docs = predict(*nlp);
  EXPECT_EQ(docs[0]->tensor().cols, 32);
}

TEST(Tok2VecListener, FrozenUpstreamThatDoesNotAnnotateIsAnError) {
  auto nlp = blank();
  nlp->add_pipe("tok2vec", "", {{"model", small_cnn()}});
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  auto egs = make_examples(*nlp);
  nlp->initialize([&] { return egs; });
  Optimizer opt;
  EXPECT_THROW(train_step(*nlp, egs, opt, {"tok2vec"}), Error);
}

// ---- labels and errors ----
TEST(Labels, AddLabelBeforeInitializationOnly) {
  auto nlp = blank();
  auto& tagger = static_cast<TrainablePipe&>(nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", small_cnn()}}}}));
  EXPECT_TRUE(tagger.add_label("X"));
  EXPECT_FALSE(tagger.add_label("X"));
  EXPECT_TRUE(tagger.add_label("Y"));
  nlp->initialize([] { return std::vector<Example>{}; });
  EXPECT_EQ(tagger.labels(), (std::vector<std::string>{"X", "Y"}));
  EXPECT_THROW(tagger.add_label("Z"), ValueError);
  EXPECT_FALSE(tagger.add_label("X"));  // present: no error, as spaCy returns 0
}

TEST(Labels, InitializeWithoutLabelsIsAnError) {
  for (const char* f : {"tagger", "ner", "textcat_multilabel"}) {
    auto nlp = blank();
    nlp->add_pipe(f);
    EXPECT_THROW(nlp->initialize([] { return std::vector<Example>{}; }), ValueError) << f;
  }
}

TEST(TextCat, ExclusiveNeedsTwoLabelsAndOnePositive) {
  auto nlp = blank();
  auto& tc = static_cast<TrainablePipe&>(nlp->add_pipe("textcat"));
  tc.add_label("ONLY");
  EXPECT_THROW(nlp->initialize([] { return std::vector<Example>{}; }), ValueError);

  auto nlp2 = blank();
  nlp2->add_pipe("textcat");
  auto ref = std::make_shared<Doc>(nlp2->vocab_ptr(), std::vector<std::string>{"two", "cats"});
  ref->cats()["A"] = 1.0;
  ref->cats()["B"] = 1.0;
  std::vector<Example> egs{Example::from_reference(ref)};
  EXPECT_THROW(nlp2->initialize([&] { return egs; }), ValueError);  // E895

  auto nlp3 = blank();
  nlp3->add_pipe("textcat_multilabel");
  ref->cats()["B"] = 0.5;
  EXPECT_THROW(nlp3->initialize([&] { return egs; }), ValueError);  // E851
}

TEST(Tagger, KeepsPresetTagsUnlessOverwrite) {
  for (bool overwrite : {false, true}) {
    auto nlp = blank();
    nlp->add_pipe("tagger", "", {{"overwrite", overwrite}, {"model", {{"tok2vec", small_cnn()}}}});
    auto egs = make_examples(*nlp);
    nlp->initialize([&] { return egs; });
    Doc doc(nlp->vocab_ptr(), std::vector<std::string>{"Alice", "likes"});
    doc[0].set_tag("PRESET");
    nlp->pipe_docs({&doc});
    EXPECT_EQ(doc.token(0).tag_() == "PRESET", !overwrite);
    EXPECT_FALSE(doc.token(1).tag_().empty());
  }
}

TEST(Training, IsDeterministicForASeed) {
  auto run = [] {
    auto nlp = blank();
    nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", small_cnn()}}}});
    auto egs = make_examples(*nlp);
    nlp->initialize([&] { return egs; });
    Optimizer opt;
    Losses l;
    for (int i = 0; i < 3; ++i) train_step(*nlp, egs, opt, {}, {}, &l);
    return std::make_pair(l["tagger"], snapshot(params(*nlp, "tagger")));
  };
  auto a = run(), b = run();
  EXPECT_EQ(a.first, b.first);
  for (size_t i = 0; i < a.second.size(); ++i) EXPECT_TRUE(at::equal(a.second[i], b.second[i]));
}

// ---- serialization ----
namespace {
std::string temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("trfpipe_components_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

struct Predictions {
  std::vector<std::vector<std::string>> tags;
  std::vector<std::vector<std::tuple<size_t, size_t, std::string>>> ents;
  std::vector<std::vector<std::pair<std::string, double>>> cats;
  std::vector<std::vector<float>> tensors;
};

Predictions predictions(Language& nlp) {
  Predictions p;
  for (auto& doc : predict(nlp)) {
    std::vector<std::string> tags;
    for (size_t i = 0; i < doc->size(); ++i) tags.push_back(doc->token(i).tag_());
    p.tags.push_back(tags);
    std::vector<std::tuple<size_t, size_t, std::string>> ents;
    for (Span& s : doc->ents()) ents.emplace_back(s.start(), s.end(), s.label_());
    p.ents.push_back(ents);
    std::vector<std::pair<std::string, double>> cats(doc->cats().begin(), doc->cats().end());
    p.cats.push_back(cats);
    p.tensors.push_back(doc->tensor().data);
  }
  return p;
}
}  // namespace

TEST(Serialization, TrainedPipelineSavesReloadsAndPredictsIdentically) {
  auto nlp = blank();
  nlp->add_pipe("tok2vec", "", {{"model", small_cnn()}});
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  nlp->add_pipe("ner", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  nlp->add_pipe("textcat", "", {{"model", {{"@architectures", "spacy.TextCatCNN.v2"},
                                          {"tok2vec", listener_cfg()}, {"exclusive_classes", true}}}});
  auto egs = make_examples(*nlp);
  nlp->initialize([&] { return egs; });
  Optimizer opt;
  for (int i = 0; i < 20; ++i) train_step(*nlp, egs, opt);
  const std::string dir = temp_dir("pipeline");
  nlp->to_disk(dir);
  for (const char* f : {"tok2vec/cfg", "tok2vec/model", "tagger/cfg", "tagger/model", "ner/cfg",
                        "ner/model", "ner/moves", "textcat/cfg", "textcat/model"})
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / f)) << f;

  auto loaded = Language::load(dir);
  EXPECT_EQ(loaded->pipe_names(), nlp->pipe_names());
  EXPECT_EQ(loaded->get_pipe("tagger").labels(), nlp->get_pipe("tagger").labels());
  EXPECT_EQ(loaded->get_pipe("ner").labels(), nlp->get_pipe("ner").labels());
  EXPECT_EQ(loaded->get_pipe("textcat").labels(), (std::vector<std::string>{"POS", "NEG"}));
  Predictions a = predictions(*nlp), b = predictions(*loaded);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.ents, b.ents);
  EXPECT_EQ(a.cats, b.cats);
  EXPECT_EQ(a.tensors, b.tensors);
  // The reloaded pipeline keeps training through its listeners.
  auto egs2 = make_examples(*loaded);
  auto before = snapshot(params(*loaded, "tok2vec"));
  Optimizer opt2;
  train_step(*loaded, egs2, opt2);
  EXPECT_FALSE(same(params(*loaded, "tok2vec"), before));
  std::filesystem::remove_all(dir);
}

TEST(Serialization, CfgHoldsSpacysKeys) {
  auto nlp = blank();
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", small_cnn()}}}, {"label_smoothing", 0.1}});
  nlp->add_pipe("textcat_multilabel");
  auto egs = make_examples(*nlp);
  nlp->initialize([&] { return egs; });
  const std::string dir = temp_dir("cfg");
  nlp->get_pipe("tagger").to_disk(dir + "/tagger");
  nlp->get_pipe("textcat_multilabel").to_disk(dir + "/tc");
  std::ifstream t(dir + "/tagger/cfg"), c(dir + "/tc/cfg");
  Json tcfg = Json::parse(t), ccfg = Json::parse(c);
  EXPECT_EQ(tcfg["labels"], Json::array({"I", "J", "N", "P", "R", "V"}));
  EXPECT_EQ(tcfg["label_smoothing"], 0.1);
  EXPECT_EQ(tcfg["neg_prefix"], "!");
  EXPECT_EQ(tcfg["overwrite"], false);
  EXPECT_EQ(ccfg["labels"], Json::array({"POS", "NEG"}));
  EXPECT_EQ(ccfg["threshold"], 0.5);
  std::filesystem::remove_all(dir);
}

TEST(Serialization, FromDiskErrorsNameTheFile) {
  auto nlp = blank();
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", small_cnn()}}}});
  auto egs = make_examples(*nlp);
  nlp->initialize([&] { return egs; });
  const std::string dir = temp_dir("errors");
  Pipe& tagger = nlp->get_pipe("tagger");
  EXPECT_THROW(tagger.from_disk(dir + "/missing"), DataError);
  tagger.to_disk(dir + "/t");
  // A model with another width cannot take these weights.
  auto other = blank();
  Json wide = small_cnn();
  wide["width"] = 16;
  Pipe& t2 = other->add_pipe("tagger", "", {{"model", {{"tok2vec", wide}}}});
  try {
    t2.from_disk(dir + "/t");
    ADD_FAILURE() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_NE(e.file().find("model"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("shape"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(Optimizer, UseAveragedParamsSwapsAndRestores) {
  auto nlp = blank();
  nlp->add_pipe("tagger", "", {{"model", {{"tok2vec", small_cnn()}}}});
  auto egs = make_examples(*nlp);
  nlp->initialize([&] { return egs; });
  OptimizerOptions o;
  o.use_averages = true;
  Optimizer opt(o);
  for (int i = 0; i < 3; ++i) train_step(*nlp, egs, opt);
  auto current = snapshot(params(*nlp, "tagger"));
  {
    UseAveragedParams guard(*nlp, opt);
    NamedTensors ps = params(*nlp, "tagger");
    for (size_t i = 0; i < ps.size(); ++i) {
      at::Tensor avg = opt.average("tagger." + ps[i].first);
      ASSERT_TRUE(avg.defined()) << ps[i].first;
      EXPECT_TRUE(at::equal(ps[i].second.detach(), avg));
    }
    EXPECT_FALSE(same(ps, current));
  }
  EXPECT_TRUE(same(params(*nlp, "tagger"), current));
}

// ---- spacy-legacy architectures (spaCy resolves them through spacy-legacy) ----
namespace {
Json legacy_encoder(const char* name) {
  Json e{{"@architectures", name}, {"width", 32}, {"depth", 2}, {"window_size", 1}};
  if (std::string(name).find("Maxout") != std::string::npos) e["maxout_pieces"] = 3;
  return e;
}
Json legacy_tok2vec(const char* encoder) {
  return Json{{"@architectures", "spacy.Tok2Vec.v1"},
              {"embed", Json{{"@architectures", "spacy.MultiHashEmbed.v1"}, {"width", 32},
                             {"attrs", {"NORM", "PREFIX", "SUFFIX", "SHAPE"}},
                             {"rows", {300, 100, 100, 100}}, {"include_static_vectors", false}}},
              {"encode", legacy_encoder(encoder)}};
}
}  // namespace

TEST(LegacyArchitectures, TaggerV1OverfitsOnTok2VecV1WithEachWindowEncoder) {
  for (const char* encoder : {"spacy.MaxoutWindowEncoder.v1", "spacy.MishWindowEncoder.v1",
                              "spacy.MishWindowEncoder.v2"}) {
    auto nlp = blank();
    nlp->add_pipe("tagger", "",
                  {{"model", {{"@architectures", "spacy.Tagger.v1"}, {"tok2vec", legacy_tok2vec(encoder)}}}});
    EXPECT_GT(overfit(*nlp, [&] { return tags_right(*nlp); }), 0) << encoder;
  }
}

TEST(LegacyArchitectures, MishEncoderHasTheMaxoutShapesWithoutPieces) {
  auto nlp = blank();
  nlp->add_pipe("tok2vec", "", {{"model", legacy_tok2vec("spacy.MishWindowEncoder.v2")}});
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [n, p] : params(*nlp, "tok2vec"))
    if (n.find("encode.") != std::string::npos) shapes[n.substr(n.find("encode."))] = p.sizes().vec();
  // thinc's Mish(nO=32, nI=32*3, normalize=True) per layer: W, b and the LayerNorm's G, b.
  EXPECT_EQ(shapes["encode.layer0.W"], (std::vector<int64_t>{32, 96}));
  EXPECT_EQ(shapes["encode.layer1.b"], (std::vector<int64_t>{32}));
  EXPECT_EQ(shapes["encode.layer1.ln.G"], (std::vector<int64_t>{32}));
  EXPECT_EQ(shapes.size(), 8u);
}

TEST(LegacyArchitectures, HashEmbedCnnV1IsTheV2Network) {
  std::vector<NamedTensors> built;
  for (const char* name : {"spacy.HashEmbedCNN.v1", "spacy.HashEmbedCNN.v2"}) {
    auto nlp = blank();  // seeds 0: the same initial weights
    Json cnn = small_cnn();
    cnn["@architectures"] = name;
    nlp->add_pipe("tok2vec", "", {{"model", cnn}});
    built.push_back(params(*nlp, "tok2vec"));
  }
  ASSERT_EQ(built[0].size(), built[1].size());
  for (size_t i = 0; i < built[0].size(); ++i) {
    EXPECT_EQ(built[0][i].first, built[1][i].first);
    EXPECT_TRUE(built[0][i].second.equal(built[1][i].second)) << built[0][i].first;
  }
}

TEST(LegacyArchitectures, TextCatV1ModelsOverfit) {
  Json cnn_v1 = small_cnn();
  cnn_v1["@architectures"] = "spacy.HashEmbedCNN.v1";
  for (Json model :
       {Json{{"@architectures", "spacy.TextCatBOW.v1"}, {"exclusive_classes", true},
             {"ngram_size", 2}, {"no_output_layer", false}},
        Json{{"@architectures", "spacy.TextCatCNN.v1"}, {"tok2vec", cnn_v1}, {"exclusive_classes", true}},
        Json{{"@architectures", "spacy.TextCatEnsemble.v1"}, {"width", 32}, {"embed_size", 300},
             {"pretrained_vectors", nullptr}, {"exclusive_classes", true}, {"ngram_size", 1},
             {"window_size", 1}, {"conv_depth", 2}, {"dropout", nullptr}}}) {
    auto nlp = blank();
    nlp->add_pipe("textcat", "", {{"model", model}});
    EXPECT_GT(overfit(*nlp, [&] { return cats_right(*nlp, 0.5); }), 0) << model.dump();
  }
  // The non-exclusive ensemble (Linear >> Logistic output) for textcat_multilabel.
  auto nlp = blank();
  nlp->add_pipe("textcat_multilabel", "",
                {{"model", {{"@architectures", "spacy.TextCatEnsemble.v1"}, {"width", 32},
                            {"embed_size", 300}, {"pretrained_vectors", false},
                            {"exclusive_classes", false}, {"ngram_size", 1}, {"window_size", 1},
                            {"conv_depth", 1}, {"dropout", 0.0}}}});
  EXPECT_GT(overfit(*nlp, [&] { return cats_right(*nlp, 0.5); }), 0);
}

TEST(LegacyArchitectures, AnUnknownVersionNamesThePathAndTheKnownVersions) {
  auto nlp = blank();
  try {
    nlp->add_pipe("tagger", "", {{"model", {{"@architectures", "spacy.Tagger.v7"}, {"tok2vec", small_cnn()}}}});
    FAIL() << "spacy.Tagger.v7 resolved";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("model"), std::string::npos) << what;
    EXPECT_NE(what.find("Known versions: spacy.Tagger.v1, spacy.Tagger.v2."), std::string::npos) << what;
  }
}
