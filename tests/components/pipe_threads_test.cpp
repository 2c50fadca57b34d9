// The thread-safety contract of Language (language.hpp) with LibTorch components: a CNN pipeline
// (tok2vec + tagger + ner listening to it, briefly trained so that it predicts entities) and a
// transformer pipeline (tiny BERT + tagger + ner listeners). 8 threads calling nlp.pipe on one
// Language, and n_threads workers inside one call, give what one thread gives.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <thread>

#include "components/register.hpp"
#include "overfit_fixture.hpp"
#include "transformer_fixture.hpp"
#include "trfpipe/transformer.hpp"

using namespace trfpipe;
using trfpipe::testing::hand_made_sentences;

namespace {

std::vector<std::string> texts() {
  std::vector<std::string> out;
  for (int round = 0; round < 6; ++round)
    for (const auto& s : hand_made_sentences()) {
      std::string t;
      for (const auto& w : s.words) t += w + " ";
      out.push_back(t + (round % 2 ? "again today." : "and Carol met Bob in Paris."));
    }
  return out;
}

// The docs' JSON, with doc.tensor and trf_data (transformer_doc_json) rounded to 1e-4 so that a
// float rounding difference cannot hide behind exact comparison of everything else.
std::vector<Json> run(Language& nlp, const std::vector<std::string>& in, PipeOptions o) {
  std::vector<Json> out;
  size_t next = 0;
  nlp.pipe([&]() -> std::optional<std::string> {
             if (next == in.size()) return std::nullopt;
             return in[next++];
           },
           [&](Doc&& d) {
             Json j = d.to_json();
             Json trf = transformer_doc_json(d);
             if (trf.contains("tensor"))
               for (auto& row : trf["tensor"]["rows"])
                 for (auto& v : row) v = std::round(v.get<double>() * 1e4) / 1e4;
             j["trf"] = std::move(trf);
             out.push_back(std::move(j));
           },
           o);
  return out;
}

void expect_threads_agree(Language& nlp) {
  const auto in = texts();
  const auto expected = run(nlp, in, {5, 1});
  ASSERT_EQ(expected.size(), in.size());
  std::vector<std::vector<Json>> got(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 8; ++t)
    threads.emplace_back([&, t] { got[t] = run(nlp, in, {5, t % 3 == 0 ? size_t(3) : size_t(1)}); });
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < 8; ++t) EXPECT_TRUE(got[t] == expected) << "thread " << t;
  EXPECT_EQ(run(nlp, in, {5, 4}), expected);
}

Json listener(const char* arch, int64_t width) {
  Json l = {{"@architectures", arch}};
  if (std::string(arch) == "spacy.Tok2VecListener.v1") l["width"] = width;
  else l["pooling"] = {{"@layers", "reduce_mean.v1"}};
  return l;
}

void add_tagger_ner(Language& nlp, const Json& tok2vec) {
  nlp.add_pipe("tagger", "", {{"model", {{"tok2vec", tok2vec}}}});
  nlp.add_pipe("ner", "", {{"model", {{"tok2vec", tok2vec}}}});
}

void train(Language& nlp, int steps) {
  std::vector<Example> egs;
  for (const auto& s : hand_made_sentences())
    egs.push_back(Example::from_reference(trfpipe::testing::reference_doc(nlp, s)));
  nlp.initialize([&] { return egs; });
  OptimizerOptions o;
  o.learn_rate = 0.01;
  o.use_averages = false;
  Optimizer opt(o);
  for (int i = 0; i < steps; ++i) {
    Losses losses;
    nlp.update(egs, 0.0, nullptr, losses);
    for (Pipe* p : nlp.pipeline())
      if (p->is_trainable()) static_cast<TrainablePipe*>(p)->finish_update(opt);
  }
}

}  // namespace

TEST(PipeThreads, CnnPipelineGivesTheSameDocsOnEightThreads) {
  register_components();
  at::manual_seed(0);
  auto nlp = Language::blank("en");
  nlp->add_pipe("tok2vec", "", {{"model", {{"@architectures", "spacy.HashEmbedCNN.v2"},
                                           {"pretrained_vectors", nullptr}, {"width", 32},
                                           {"depth", 2}, {"embed_size", 300}, {"window_size", 1},
                                           {"maxout_pieces", 3}, {"subword_features", true}}}});
  add_tagger_ner(*nlp, listener("spacy.Tok2VecListener.v1", 32));
  train(*nlp, 40);
  size_t ents = 0;
  for (const Json& d : run(*nlp, texts(), {8, 1})) ents += d.value("ents", Json::array()).size();
  EXPECT_GT(ents, 0u) << "the trained ner predicts nothing: the comparison would be empty";
  expect_threads_agree(*nlp);
}

TEST(PipeThreads, TransformerPipelineGivesTheSameDocsOnEightThreads) {
  auto nlp = trfpipe::testing::trf_nlp(
      trfpipe::testing::transformer_config(trfpipe::testing::tiny_bert(), trfpipe::testing::doc_spans_cfg(), true));
  add_tagger_ner(*nlp, listener("spacy-transformers.TransformerListener.v1", 0));
  auto& tagger = static_cast<TrainablePipe&>(nlp->get_pipe("tagger"));
  for (const char* t : {"N", "V", "J", "P", "R", "I"}) tagger.add_label(t);
  auto& ner = static_cast<TrainablePipe&>(nlp->get_pipe("ner"));
  for (const char* l : {"PER", "LOC"}) ner.add_label(l);
  nlp->initialize(nullptr);
  expect_threads_agree(*nlp);
}
