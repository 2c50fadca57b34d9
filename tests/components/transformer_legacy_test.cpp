// The spacy-transformers v0.x components: trf_wordpiecer, trf_tok2vec, trf_textcat.
#include <gtest/gtest.h>

#include <filesystem>

#include <ATen/ATen.h>

#include "components/transformer/transformer.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Language> legacy_nlp(const std::vector<std::string>& pipes, const Json& textcat = {}) {
  register_components();
  auto nlp = Language::blank("en");
  for (const auto& p : pipes) {
    Json cfg{{"trf_name", tiny_bert()}};
    if (p == "trf_textcat" && textcat.is_object())
      for (auto& [k, v] : textcat.items()) cfg[k] = v;
    nlp->add_pipe(p, p, cfg);
  }
  nlp->link_components();
  return nlp;
}

double col_sum(const Matrix& m, int64_t c) {
  double s = 0;
  for (int64_t r = 0; r < m.rows; ++r) s += m.row(r)[c];
  return s;
}

}  // namespace

TEST(LegacyTransformer, SeedSentenceWordPiecesHiddenStateAndTensor) {
  auto nlp = legacy_nlp({"trf_wordpiecer", "trf_tok2vec"});
  Doc doc = (*nlp)("Here is some text to encode.");
  const auto& ids = doc.ext_as<std::vector<int64_t>>("trf_word_pieces");
  EXPECT_EQ(ids, (std::vector<int64_t>{101, 2182, 2003, 2070, 3793, 2000, 4372, 16044, 1012, 102}));
  const auto& strings = doc.ext_as<std::vector<std::string>>("trf_word_pieces_");
  ASSERT_EQ(strings.size(), 10u);
  EXPECT_EQ(strings[0], "[CLS]");
  EXPECT_EQ(strings[7], "##code");
  EXPECT_EQ(doc.ext_as<std::vector<std::vector<int64_t>>>("trf_alignment"),
            (std::vector<std::vector<int64_t>>{{1}, {2}, {3}, {4}, {5}, {6, 7}, {8}}));
  const at::Tensor& lhs = doc.ext_as<at::Tensor>("trf_last_hidden_state");
  ASSERT_EQ(lhs.size(0), 10);
  EXPECT_EQ(lhs.size(0), static_cast<int64_t>(ids.size()));
  EXPECT_EQ(doc.ext_as<at::Tensor>("trf_pooler_output").sizes(), (at::IntArrayRef{1, kWidth}));
  EXPECT_EQ(doc.ext_as<at::Tensor>("trf_d_last_hidden_state").numel(), 0);
  ASSERT_EQ(doc.tensor().rows, 7);
  ASSERT_EQ(doc.tensor().cols, kWidth);
  at::Tensor total = lhs.sum(0);
  for (int64_t c = 0; c < kWidth; ++c) EXPECT_NEAR(col_sum(doc.tensor(), c), total[c].item<double>(), 1e-5);
  std::vector<float> v = doc.vector();
  EXPECT_NEAR(v[1], col_sum(doc.tensor(), 1), 1e-5);
  EXPECT_NEAR(doc.similarity(doc), 1.0, 1e-6);
}

TEST(LegacyTransformer, SentencesAreEncodedSeparatelyAndBoundariesShared) {
  auto nlp = legacy_nlp({"trf_tok2vec"});
  Doc doc = nlp->make_doc("Here is text. Another sentence follows here.");
  doc.token(0).set_is_sent_start(true);
  for (size_t i = 1; i < doc.size(); ++i) doc.token(i).set_is_sent_start(i == 4);
  nlp->get_pipe("trf_tok2vec")(doc);
  const auto& strings = doc.ext_as<std::vector<std::string>>("trf_word_pieces_");
  EXPECT_EQ(std::count(strings.begin(), strings.end(), "[CLS]"), 2);
  EXPECT_EQ(strings[6], "[CLS]");  // [CLS] here is text . [SEP] | [CLS] another ...
  const auto& al = doc.ext_as<std::vector<std::vector<int64_t>>>("trf_alignment");
  EXPECT_EQ(al[4], (std::vector<int64_t>{7}));
  const at::Tensor& lhs = doc.ext_as<at::Tensor>("trf_last_hidden_state");
  EXPECT_EQ(doc.ext_as<at::Tensor>("trf_pooler_output").size(0), 2);
  at::Tensor total = lhs.sum(0);
  for (int64_t c = 0; c < kWidth; ++c) EXPECT_NEAR(col_sum(doc.tensor(), c), total[c].item<double>(), 1e-4);
}

TEST(LegacyTransformer, TextcatArchitecturesPredictDistributions) {
  for (const char* arch : {"softmax_class_vector", "softmax_tanh_class_vector", "softmax_last_hidden",
                           "softmax_pooler_output"}) {
    auto nlp = legacy_nlp({"trf_wordpiecer", "trf_tok2vec", "trf_textcat"}, Json{{"architecture", arch}});
    auto& tc = static_cast<TrainablePipe&>(nlp->get_pipe("trf_textcat"));
    tc.add_label("POS");
    tc.add_label("NEG");
    nlp->initialize(nullptr);
    Doc doc = (*nlp)("Here is some text to encode.");
    ASSERT_EQ(doc.cats().size(), 2u) << arch;
    EXPECT_NEAR(doc.cats()["POS"] + doc.cats()["NEG"], 1.0, 1e-5) << arch;
  }
}

TEST(LegacyTransformer, TextcatTrainingSendsGradientsThroughTrfDLastHiddenState) {
  // The encoder trains with its HF dropout on: seed it so the loss curve is reproducible.
  at::manual_seed(0);
  auto nlp = legacy_nlp({"trf_tok2vec", "trf_textcat"}, Json{{"architecture", "softmax_last_hidden"}});
  auto& tc = static_cast<TrainablePipe&>(nlp->get_pipe("trf_textcat"));
  tc.add_label("POS");
  tc.add_label("NEG");
  nlp->initialize(nullptr);
  auto& t2v = dynamic_cast<ParameterOwner&>(nlp->get_pipe("trf_tok2vec"));
  std::vector<Example> egs;
  for (auto [text, pos] : std::vector<std::pair<const char*, bool>>{{"good great fine", true}, {"bad awful", false}}) {
    auto ref = std::make_shared<Doc>(nlp->make_doc(text));
    ref->cats()["POS"] = pos ? 1.0 : 0.0;
    ref->cats()["NEG"] = pos ? 0.0 : 1.0;
    egs.push_back(Example::from_reference(ref));
  }
  std::vector<at::Tensor> before;
  for (auto& [n, p] : t2v.named_parameters()) before.push_back(p.detach().clone());
  auto sgd = Optimizer::sgd(0.1, 0.0, 0.0, true, false);
  double first = 0, t2v_loss = 0;
  for (int it = 0; it < 8; ++it) {
    Losses losses;
    nlp->update(egs, 0.0, sgd.get(), losses);
    if (it == 0) first = losses["trf_textcat"];
    // The softmax layer starts at zero, so the first step sends no gradient upstream.
    if (it == 0) EXPECT_EQ(losses["trf_tok2vec"], 0.0);
    t2v_loss = losses["trf_tok2vec"];
  }
  EXPECT_GT(t2v_loss, 0.0);
  EXPECT_GT(first, 0.0);
  // The predictions (no dropout) must have moved to the gold classes from the untrained 0.5 / 0.5.
  // (Mean of the last hidden states: a random tiny BERT's [CLS] rows are nearly the same for
  // every text, so the class-vector architectures cannot separate these two in a few steps.)
  EXPECT_GT((*nlp)("good great fine").cats()["POS"], 0.5);
  EXPECT_GT((*nlp)("bad awful").cats()["NEG"], 0.5);
  bool changed = false;
  size_t i = 0;
  for (auto& [n, p] : t2v.named_parameters()) changed = changed || !p.equal(before[i++]);
  EXPECT_TRUE(changed);
}

TEST(LegacyTransformer, UnknownTextcatArchitectureIsAConfigError) {
  register_components();
  auto nlp = Language::blank("en");
  EXPECT_THROW(nlp->add_pipe("trf_textcat", "trf_textcat",
                             Json{{"trf_name", tiny_bert()}, {"architecture", "cnn"}}),
               ConfigError);
}

TEST(LegacyTransformer, SaveLoadGivesIdenticalOutputs) {
  auto nlp = legacy_nlp({"trf_wordpiecer", "trf_tok2vec", "trf_textcat"});
  auto& tc = static_cast<TrainablePipe&>(nlp->get_pipe("trf_textcat"));
  tc.add_label("A");
  tc.add_label("B");
  nlp->initialize(nullptr);
  const std::string text = "Here is some text to encode.";
  Doc before = (*nlp)(text);
  std::string dir = temp_dir("legacy");
  nlp->to_disk(dir + "/pipe");
  auto loaded = Language::load(dir + "/pipe");
  Doc after = (*loaded)(text);
  EXPECT_TRUE(before.ext_as<at::Tensor>("trf_last_hidden_state").equal(after.ext_as<at::Tensor>("trf_last_hidden_state")));
  EXPECT_EQ(before.tensor().data, after.tensor().data);
  EXPECT_EQ(before.cats()["A"], after.cats()["A"]);
  fs::remove_all(dir);
}
