// The parser and senter listening to a `transformer` (spacy-transformers.TransformerListener.v1
// on a tiny random BERT with the real bert-base-uncased vocabulary): both overfit the hand-made
// parses (one non-projective) to 100 %, the listeners' gradients reach and change the
// transformer, and the trained pipeline saves, reloads and parses identically.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include <ATen/ATen.h>

#include "components/register.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

Json listener() {
  return Json{{"@architectures", "spacy-transformers.TransformerListener.v1"},
              {"grad_factor", 1.0},
              {"upstream", "*"},
              {"pooling", Json{{"@layers", "reduce_mean.v1"}}}};
}

std::unique_ptr<Language> build() {
  at::manual_seed(0);
  auto nlp = trf_nlp(transformer_config(tiny_bert(), strided_cfg(128, 96), false,
                                        Json{{"hidden_dropout_prob", 0.0},
                                             {"attention_probs_dropout_prob", 0.0}}));
  nlp->add_pipe("senter", "", {{"model", {{"@architectures", "spacy.Tagger.v2"}, {"tok2vec", listener()}}}});
  // spaCy's transformer quickstart parser: hidden 128, maxout 3, no upper layer.
  nlp->add_pipe("parser", "",
                {{"min_action_freq", 1},
                 {"model", {{"@architectures", "spacy.TransitionBasedParser.v2"}, {"state_type", "parser"},
                            {"extra_state_tokens", false}, {"hidden_width", 128}, {"maxout_pieces", 3},
                            {"use_upper", false}, {"tok2vec", listener()}}}});
  nlp->link_components();
  return nlp;
}

std::string parses(Language& nlp) {
  std::string s;
  for (const auto& d : predict_parsed(nlp, parsed_sentences()))
    for (size_t i = 0; i < d->size(); ++i)
      s += std::to_string((*d)[i].head().i()) + (*d)[i].dep_() +
           ((*d)[i].is_sent_start().value_or(false) ? "|" : " ");
  return s;
}

}  // namespace

TEST(ParserTransformerListener, ParserAndSenterOverfitThroughOneTransformerAndReload) {
  auto nlp = build();
  std::vector<Example> egs;
  for (const ParsedSent& s : parsed_sentences())
    egs.push_back(Example::from_reference(parsed_reference_doc(*nlp, s)));
  nlp->initialize([&] { return egs; });
  auto right = [&] {
    auto docs = predict_parsed(*nlp, parsed_sentences());
    return parses_match(docs, parsed_sentences()) && sents_match(docs, parsed_sentences());
  };
  EXPECT_FALSE(right()) << "right before training: the check cannot fail";
  const auto trf_before =
      snapshot(dynamic_cast<ParameterOwner&>(nlp->get_pipe("transformer")).named_parameters());
  OptimizerOptions o;
  o.learn_rate = 0.002;
  o.use_averages = false;
  auto opt = Optimizer::adam(o);
  int updates = -1;
  Losses first, last;
  for (int step = 1; step <= 300 && updates < 0; ++step) {
    Losses losses;
    nlp->update(egs, 0.0, nullptr, losses);
    for (Pipe* p : nlp->pipeline())
      if (p->is_trainable()) static_cast<TrainablePipe*>(p)->finish_update(*opt);
    opt->step_schedules();
    if (step == 1) first = losses;
    last = losses;
    if (step % 5 == 0 && right()) updates = step;
  }
  ASSERT_GT(updates, 0) << "not 100% in 300 updates; parser loss " << last["parser"] << ", senter "
                        << last["senter"];
  EXPECT_LT(last["parser"], first["parser"]);
  EXPECT_GT(last["transformer"], 0.0);
  EXPECT_FALSE(same(dynamic_cast<ParameterOwner&>(nlp->get_pipe("transformer")).named_parameters(),
                    trf_before));
  std::cout << "[ measured ] parser + senter with a transformer listener: 100% after " << updates
            << " updates\n";
  const std::string before = parses(*nlp);
  const std::string dir = temp_dir("parser_trf");
  nlp->to_disk(dir);
  auto loaded = Language::load(dir);
  EXPECT_EQ(parses(*loaded), before);
  fs::remove_all(dir);
}
