// spacy.StaticVectors.v2 and MultiHashEmbed / CharacterEmbed / HashEmbedCNN with static vectors:
// the projection and its spaCy gradient, sizing by the vocab's table, training, and a saved
// pipeline that reloads (vectors mapped) with identical outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "common/temp_dir.hpp"
#include "components/register.hpp"
#include "components/tok2vec/tok2vec_models.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/vectors.hpp"

using namespace trfpipe;
using trfpipe::testing::Sent;
using trfpipe::testing::TempDir;

namespace {

// A 4-wide vector for every word of the hand-made sentences but "today" and "Rome" (OOV), made
// from the word's hash so that words differ.
std::shared_ptr<Vectors> sentence_vectors(float scale = 1.f) {
  std::vector<std::string> words;
  for (const Sent& s : trfpipe::testing::hand_made_sentences())
    for (const auto& w : s.words)
      if (w != "today" && w != "Rome" &&
          std::find(words.begin(), words.end(), w) == words.end())
        words.push_back(w);
  std::vector<float> data;
  for (const auto& w : words) {
    const hash_t h = string_id(w);
    for (int k = 0; k < 4; ++k) data.push_back(scale * (float((h >> (8 * k)) & 0xff) / 128.f - 1.f));
  }
  auto v = std::make_shared<Vectors>(data, int64_t(words.size()), 4);
  for (size_t i = 0; i < words.size(); ++i) v->add(string_id(words[i]), int64_t(i));
  return v;
}

Json embed_with_vectors() {
  return Json{{"@architectures", "spacy.Tok2Vec.v2"},
              {"embed", {{"@architectures", "spacy.MultiHashEmbed.v2"}, {"width", 16},
                         {"attrs", {"NORM", "PREFIX"}}, {"rows", {200, 100}},
                         {"include_static_vectors", true}}},
              {"encode", {{"@architectures", "spacy.MaxoutWindowEncoder.v2"}, {"width", 16},
                          {"window_size", 1}, {"maxout_pieces", 2}, {"depth", 1}}}};
}

std::vector<Example> examples(Language& nlp) {
  std::vector<Example> out;
  for (const Sent& s : trfpipe::testing::hand_made_sentences())
    out.push_back(Example::from_reference(trfpipe::testing::reference_doc(nlp, s)));
  return out;
}

std::unique_ptr<Language> tagger_pipeline() {
  register_components();
  at::manual_seed(0);
  auto nlp = Language::blank("en");
  nlp->add_pipe("tok2vec", "", {{"model", embed_with_vectors()}});
  nlp->add_pipe("tagger", "",
                {{"model", {{"tok2vec", {{"@architectures", "spacy.Tok2VecListener.v1"},
                                         {"width", 16}}}}}});
  return nlp;
}

}  // namespace

TEST(StaticVectors, ProjectsTheTableRowsAndZeroesUnknownWords) {
  auto vocab = std::make_shared<Vocab>("en");
  auto table = std::make_shared<Vectors>(std::vector<float>{1, 2, 0, 3, 5, 7}, 3, 2);
  table->add(string_id("a"), 0);
  table->add(string_id("b"), 1);
  table->add(string_id("c"), 2);
  vocab->set_vectors(table);
  at::manual_seed(0);
  StaticVectors layer(3, 0, std::nullopt, TokenAttr::ORTH);
  NamedTensors none;
  layer.collect("", none);
  EXPECT_TRUE(none.empty());  // no W before the table's width is known
  layer.initialize_vectors(*table);
  NamedTensors ps;
  layer.collect("sv.", ps);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].first, "sv.W");
  const at::Tensor W = ps[0].second;
  EXPECT_EQ(W.sizes(), (std::vector<int64_t>{3, 2}));
  Doc doc(vocab, {"b", "zzz", "a"});
  std::vector<Doc*> docs{&doc};
  at::Tensor out = layer.forward(docs, true)[0];
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 3}));
  at::Tensor V = at::tensor({0.f, 3.f, 1.f, 2.f}).view({2, 2});
  EXPECT_TRUE(at::allclose(out[0], at::mv(W.detach(), V[0])));
  EXPECT_TRUE(at::equal(out[1], at::zeros({3})));  // OOV: zeros
  EXPECT_TRUE(at::allclose(out[2], at::mv(W.detach(), V[1])));
  // spaCy's gradient: d_output^T @ V[rows] with row -1 (the last row, (5, 7)) for the OOV word.
  out.sum().backward();
  at::Tensor expected = at::tensor({0.f + 5 + 1, 3.f + 7 + 2}).expand({3, 2});
  EXPECT_TRUE(at::allclose(W.grad(), expected)) << W.grad();
  // Another width: E896.
  auto vocab3 = std::make_shared<Vocab>("en");
  StaticVectors sized(3, 2, std::nullopt, TokenAttr::ORTH);
  vocab3->set_vectors(std::make_shared<Vectors>(std::vector<float>(6, 1.f), 2, 3));
  Doc d3(vocab3, {"x"});
  std::vector<Doc*> docs3{&d3};
  EXPECT_THROW(sized.forward(docs3, false), Error);
  EXPECT_THROW(StaticVectors(0, 0, std::nullopt, TokenAttr::ORTH), ValueError);
}

TEST(StaticVectors, TrainsSavesAndReloadsWithIdenticalOutputs) {
  auto nlp = tagger_pipeline();
  nlp->vocab().set_vectors(sentence_vectors());
  nlp->link_components();
  auto egs = examples(*nlp);
  int steps = trfpipe::testing::overfit_examples(
      *nlp, egs, [&] {
        return trfpipe::testing::tags_match(
            trfpipe::testing::predict_sentences(*nlp, trfpipe::testing::hand_made_sentences()),
            trfpipe::testing::hand_made_sentences());
      });
  EXPECT_GT(steps, 0) << "the tagger with static vectors did not reach 100% in 200 updates";
  NamedTensors ps = dynamic_cast<ParameterOwner&>(nlp->get_pipe("tok2vec")).named_parameters();
  bool has_w = false;
  for (const auto& [n, p] : ps)
    if (n == "embed.static_vectors.W") {
      has_w = true;
      EXPECT_EQ(p.sizes(), (std::vector<int64_t>{16, 4}));
    }
  EXPECT_TRUE(has_w);

  TempDir tmp;
  nlp->to_disk(tmp / "model");
  auto loaded = Language::load(tmp / "model");
  EXPECT_TRUE(loaded->vocab().vectors().is_mapped());
  const std::string text = "Alice visited Rome and green trains today";
  Doc a = (*nlp)(text);
  Doc b = (*loaded)(text);
  ASSERT_EQ(a.tensor().data.size(), b.tensor().data.size());
  EXPECT_EQ(a.tensor().data, b.tensor().data);  // bit for bit
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].tag_(), b[i].tag_());
  EXPECT_EQ(a[0].vector(), sentence_vectors()->get(string_id("Alice")));
  // The vectors take part: another table of the same width changes the outputs.
  loaded->vocab().set_vectors(sentence_vectors(-1.f));
  Doc c = (*loaded)(text);
  EXPECT_NE(a.tensor().data, c.tensor().data);
}

TEST(StaticVectors, WithoutATableTrainingFailsClearly) {
  auto nlp = tagger_pipeline();
  auto egs = examples(*nlp);
  nlp->initialize([&] { return egs; });
  Losses losses;
  try {
    nlp->update(egs, 0.0, nullptr, losses);
    ADD_FAILURE() << "no error without vectors";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[initialize] vectors"), std::string::npos) << e.what();
  }
}

TEST(StaticVectors, HashEmbedCnnCharacterEmbedAndTheLayerAcceptStaticVectors) {
  register_components();
  auto nlp = Language::blank("en");
  nlp->vocab().set_vectors(sentence_vectors());
  nlp->add_pipe("tagger", "",
                {{"model", {{"tok2vec", {{"@architectures", "spacy.HashEmbedCNN.v2"},
                                         {"pretrained_vectors", true}, {"width", 16},
                                         {"depth", 1}, {"embed_size", 100},
                                         {"window_size", 1}, {"maxout_pieces", 2},
                                         {"subword_features", false}}}}}});
  Json char_embed = {{"@architectures", "spacy.Tok2Vec.v2"},
                     {"embed", {{"@architectures", "spacy.CharacterEmbed.v2"}, {"width", 16},
                                {"rows", 100}, {"nM", 8}, {"nC", 4},
                                {"include_static_vectors", true}}},
                     {"encode", {{"@architectures", "spacy.MaxoutWindowEncoder.v2"},
                                 {"width", 16}, {"window_size", 1}, {"maxout_pieces", 2},
                                 {"depth", 1}}}};
  nlp->add_pipe("tagger", "tagger2", {{"model", {{"tok2vec", char_embed}}}});
  auto egs = examples(*nlp);
  nlp->initialize([&] { return egs; });
  for (const char* name : {"tagger", "tagger2"}) {
    bool found = false;
    for (const auto& [n, p] :
         dynamic_cast<ParameterOwner&>(nlp->get_pipe(name)).named_parameters())
      if (n.find("static_vectors.W") != std::string::npos) {
        found = true;
        EXPECT_EQ(p.size(1), 4) << name;
      }
    EXPECT_TRUE(found) << name;
  }
  Losses losses;
  EXPECT_NO_THROW(nlp->update(egs, 0.0, nullptr, losses));
  Json layer = {{"@layers", "spacy.StaticVectors.v2"}, {"nO", 8}, {"dropout", 0.1}};
  std::any made = registry::resolve(Json{{"x", layer}}, {}).at("x").object();
  auto model = std::any_cast<Tok2VecPtr>(made);
  EXPECT_EQ(model->width(), 8);
}

TEST(StaticVectors, InitWTakesThincsInitializers) {
  register_components();
  auto table = std::make_shared<Vectors>(std::vector<float>(2 * 400, 1.f), 2, 400);
  auto W_of = [&](const Json& init_W) {
    Json block{{"@layers", "spacy.StaticVectors.v2"}, {"nO", 300}};
    if (!init_W.is_null()) block["init_W"] = init_W;
    registry::Value v = registry::resolve(block, {"layer"});
    auto layer = v.as<Tok2VecPtr>();
    layer->initialize_vectors(*table);
    NamedTensors ps;
    layer->collect("", ps);
    return ps.at(0).second.detach();
  };
  at::manual_seed(0);
  // Default: glorot_uniform, scale sqrt(6 / (nO + nM)).
  const double glorot = std::sqrt(6.0 / 700.0);
  at::Tensor W = W_of(nullptr);
  EXPECT_LE(W.abs().max().item<double>(), glorot);
  EXPECT_GT(W.abs().max().item<double>(), 0.9 * glorot);
  EXPECT_TRUE(at::equal(W_of({{"@initializers", "zero_init.v1"}}), at::zeros({300, 400})));
  // he_normal: normal with stdev sqrt(2 / fan_in), fan_in = nM (shape[1]).
  at::Tensor he = W_of({{"@initializers", "he_normal_init.v1"}});
  EXPECT_NEAR(he.std().item<double>(), std::sqrt(2.0 / 400.0), 0.002);
  at::Tensor uniform = W_of({{"@initializers", "uniform_init.v1"}, {"lo", 0.5}, {"hi", 0.75}});
  EXPECT_GE(uniform.min().item<double>(), 0.5);
  EXPECT_LE(uniform.max().item<double>(), 0.75);
  // Not an initializer: the config path names init_W.
  try {
    W_of({{"@layers", "reduce_mean.v1"}});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("init_W"), std::string::npos) << e.what();
  }
}
