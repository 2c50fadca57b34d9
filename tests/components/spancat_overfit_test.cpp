// spancat and spancat_singlelabel learn a tiny training set (spaCy's test_overfitting_IO and
// test_overfitting_IO_overlapping) with their own tok2vec, through a tok2vec listener and through
// a transformer listener (a tiny random BERT with the real bert-base-uncased vocab); the trained
// pipelines are saved, reloaded and give identical spans and scores.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <tuple>

#include <ATen/ATen.h>

#include "components/register.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "tests/components/spancat_fixture.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

const std::string& kKey = kSpanKey;
using Labeled = std::tuple<std::string, std::string>;  // (span text, label)
using Data = SpanData;
const Data& train_data() { return spancat_train_data(); }
const Data& overlapping_data() { return spancat_overlapping_data(); }
std::vector<Example> make_examples(Language& nlp, const Data& data) { return spancat_examples(nlp, data); }

std::multiset<Labeled> spans_of(Doc& doc) {
  std::multiset<Labeled> out;
  if (!doc.spans().contains(kKey)) return out;
  for (const Span& s : doc.spans().get(kKey)) out.emplace(std::string(s.text()), s.label_());
  return out;
}

std::multiset<Labeled> gold_of(Language& nlp, const std::string& text, const Json& spans) {
  Doc doc = nlp.make_doc(text);
  add_spans_from_dict(doc, Json{{kKey, spans}});
  return spans_of(doc);
}

// Every training text predicted with exactly its gold spans.
bool all_right(Language& nlp, const Data& data) {
  for (const auto& [text, spans] : data) {
    Doc doc = nlp(text);
    if (spans_of(doc) != gold_of(nlp, text, spans)) return false;
  }
  return true;
}

std::shared_ptr<Optimizer> optimizer(double learn_rate) {
  OptimizerOptions o;  // spaCy's default [training.optimizer]
  o.learn_rate = learn_rate;
  o.L2 = 0.01;
  o.use_averages = false;
  return Optimizer::adam(o);
}

// The training loop's step (training/loop.cpp): update without an optimizer, then finish_update.
void train_step(Language& nlp, const std::vector<Example>& egs, Optimizer& opt, Losses& losses) {
  nlp.update(egs, 0.0, nullptr, losses);
  for (Pipe* p : nlp.pipeline())
    if (p->is_trainable()) static_cast<TrainablePipe*>(p)->finish_update(opt);
  opt.step_schedules();
}

struct Trained {
  int updates_to_right = -1;  // the first update after which every training text was right
  Losses first, last;
  double seconds = 0;
};

// `updates` updates, or fewer with stop_when_right (then the loop ends once every text is right).
Trained train(Language& nlp, const std::vector<Example>& egs, const Data& data, int updates,
              double learn_rate, const std::string& component, bool stop_when_right = false) {
  Trained t;
  auto t0 = std::chrono::steady_clock::now();
  auto opt = optimizer(learn_rate);
  for (int i = 1; i <= updates; ++i) {
    Losses losses;
    train_step(nlp, egs, *opt, losses);
    if (i == 1) t.first = losses;
    t.last = losses;
    if (t.updates_to_right < 0 && all_right(nlp, data)) t.updates_to_right = i;
    if (stop_when_right && t.updates_to_right > 0) break;
  }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ measured ] " << component << ": every training text right after "
            << t.updates_to_right << " updates; loss " << t.first[component] << " -> "
            << t.last[component] << " (" << t.seconds << " s)\n";
  return t;
}

// Spans and scores of `texts`, for comparing a pipeline with its reloaded copy.
std::vector<std::pair<std::multiset<Labeled>, Json>> outputs(Language& nlp,
                                                             const std::vector<std::string>& texts) {
  std::vector<std::pair<std::multiset<Labeled>, Json>> out;
  for (Doc& doc : nlp.pipe(texts))
    out.emplace_back(spans_of(doc), doc.spans().group(kKey).attrs);
  return out;
}

double max_score_diff(const std::vector<std::pair<std::multiset<Labeled>, Json>>& a,
                      const std::vector<std::pair<std::multiset<Labeled>, Json>>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const Json sa = a[i].second.value("scores", Json::array());
    const Json sb = b[i].second.value("scores", Json::array());
    if (sa.size() != sb.size()) return 1e9;
    for (size_t k = 0; k < sa.size(); ++k)
      worst = std::max(worst, std::abs(sa[k].get<double>() - sb[k].get<double>()));
  }
  return worst;
}

// Saves `nlp`, reloads it, and checks identical spans and scores on the training texts and more.
void check_reload(Language& nlp, const std::string& tag) {
  const std::string dir = temp_dir("spancat_" + tag);
  nlp.to_disk(dir + "/pipe");
  EXPECT_TRUE(fs::exists(dir + "/pipe/spancat/cfg")) << tag;
  EXPECT_TRUE(fs::exists(dir + "/pipe/spancat/model")) << tag;
  auto loaded = Language::load(dir + "/pipe");
  EXPECT_EQ(loaded->pipe_names(), nlp.pipe_names());
  EXPECT_EQ(loaded->get_pipe("spancat").labels(), nlp.get_pipe("spancat").labels());
  const std::vector<std::string> texts = {"Who is Shaka Khan?", "I like London and Berlin.",
                                          "London", "Berlin and London like Shaka Khan", ""};
  auto a = outputs(nlp, texts), b = outputs(*loaded, texts);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].first, b[i].first) << tag << " " << texts[i];
  EXPECT_LE(max_score_diff(a, b), 1e-6) << tag;
  fs::remove_all(dir);
}

std::unique_ptr<Language> spancat_nlp(const std::string& factory, const Json& extra = Json::object()) {
  register_components();
  at::manual_seed(0);
  auto nlp = Language::blank("en");
  Json cfg = extra;
  cfg["spans_key"] = kKey;
  nlp->add_pipe(factory, "spancat", cfg);
  return nlp;
}

}  // namespace

// spaCy's test_overfitting_IO.
TEST(SpanCatOverfit, DefaultModelLearnsSavesAndReloads) {
  auto nlp = spancat_nlp("spancat");
  auto egs = make_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  EXPECT_EQ(nlp->get_pipe("spancat").labels(), (std::vector<std::string>{"PERSON", "LOC"}));
  EXPECT_FALSE(all_right(*nlp, train_data()));
  Trained t = train(*nlp, egs, train_data(), 50, 0.001, "spancat");
  EXPECT_LT(t.last["spancat"], 0.01);
  EXPECT_GT(t.updates_to_right, 0);

  Doc doc = (*nlp)("I like London and Berlin");
  const SpanGroup& g = doc.spans().group(kKey);
  ASSERT_EQ(g.spans.size(), 2u);
  ASSERT_EQ(g.attrs["scores"].size(), 2u);
  for (const Json& s : g.attrs["scores"]) EXPECT_GT(s.get<double>(), 0.8);
  EXPECT_EQ(spans_of(doc), (std::multiset<Labeled>{{"London", "LOC"}, {"Berlin", "LOC"}}));
  Doc single = (*nlp)("London");
  EXPECT_EQ(single.spans().group(kKey).spans.size(), 1u);
  check_reload(*nlp, "default");
}

// spaCy's test_overfitting_IO_overlapping (with an empty doc among the examples).
TEST(SpanCatOverfit, OverlappingSpans) {
  auto nlp = spancat_nlp("spancat");
  auto egs = make_examples(*nlp, overlapping_data());
  nlp->initialize([&] { return egs; });
  const auto labels = nlp->get_pipe("spancat").labels();
  EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()),
            (std::set<std::string>{"PERSON", "LOC", "DOUBLE_LOC"}));
  Trained t = train(*nlp, egs, overlapping_data(), 50, 0.001, "spancat");
  EXPECT_LT(t.last["spancat"], 0.01);
  Doc doc = (*nlp)("I like London and Berlin");
  const SpanGroup& g = doc.spans().group(kKey);
  ASSERT_EQ(g.spans.size(), 3u);
  for (const Json& s : g.attrs["scores"]) EXPECT_GT(s.get<double>(), 0.9);
  EXPECT_EQ(spans_of(doc), (std::multiset<Labeled>{{"London", "LOC"}, {"Berlin", "LOC"},
                                                   {"London and Berlin", "DOUBLE_LOC"}}));
  check_reload(*nlp, "overlapping");
}

TEST(SpanCatOverfit, SinglelabelLearnsTheArgmaxLabels) {
  auto nlp = spancat_nlp("spancat_singlelabel");
  auto egs = make_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  EXPECT_FALSE(all_right(*nlp, train_data()));
  Trained t = train(*nlp, egs, train_data(), 60, 0.001, "spancat");
  EXPECT_GT(t.updates_to_right, 0);
  EXPECT_LT(t.last["spancat"], t.first["spancat"]);
  EXPECT_TRUE(all_right(*nlp, train_data()));
  check_reload(*nlp, "singlelabel");
}

TEST(SpanCatOverfit, SinglelabelWithoutOverlapKeepsTheBestOfOverlappingSpans) {
  auto nlp = spancat_nlp("spancat_singlelabel", Json{{"allow_overlap", false}});
  auto egs = make_examples(*nlp, overlapping_data());
  nlp->initialize([&] { return egs; });
  train(*nlp, egs, overlapping_data(), 60, 0.001, "spancat");
  Doc doc = (*nlp)("I like London and Berlin");
  const auto got = spans_of(doc);
  // The gold spans overlap: a non-overlapping group keeps either the two cities or the pair.
  std::vector<std::pair<size_t, size_t>> ranges;
  for (const SpanGroupEntry& e : doc.spans().group(kKey).spans) ranges.emplace_back(e.start, e.end);
  ASSERT_FALSE(ranges.empty());
  for (size_t i = 0; i < ranges.size(); ++i)
    for (size_t j = i + 1; j < ranges.size(); ++j)
      EXPECT_TRUE(ranges[i].second <= ranges[j].first || ranges[j].second <= ranges[i].first);
  const Json& scores = doc.spans().group(kKey).attrs["scores"];
  for (size_t i = 1; i < scores.size(); ++i)  // taken by descending score
    EXPECT_GE(scores[i - 1].get<double>(), scores[i].get<double>());
}

// The spancat listens to a tok2vec component: its gradient reaches the tok2vec's weights.
TEST(SpanCatOverfit, ThroughATok2VecListener) {
  register_components();
  at::manual_seed(0);
  auto nlp = Language::blank("en");
  nlp->add_pipe("tok2vec", "tok2vec",
                Json{{"model", Json{{"@architectures", "spacy.HashEmbedCNN.v2"},
                                    {"pretrained_vectors", nullptr}, {"width", 64}, {"depth", 2},
                                    {"embed_size", 1000}, {"window_size", 1}, {"maxout_pieces", 3},
                                    {"subword_features", true}}}});
  nlp->add_pipe("spancat", "spancat",
                Json{{"spans_key", kKey},
                     {"model", Json{{"@architectures", "spacy.SpanCategorizer.v1"},
                                    {"tok2vec", Json{{"@architectures", "spacy.Tok2VecListener.v1"},
                                                     {"width", 64}, {"upstream", "*"}}}}}});
  auto egs = make_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  auto owner = [&](const char* n) { return dynamic_cast<ParameterOwner&>(nlp->get_pipe(n)).named_parameters(); };
  ASSERT_TRUE(owner("spancat").front().first.rfind("reducer.", 0) == 0);  // no tok2vec weights of its own
  auto before = snapshot(owner("tok2vec"));
  EXPECT_FALSE(all_right(*nlp, train_data()));
  Trained t = train(*nlp, egs, train_data(), 50, 0.001, "spancat");
  EXPECT_GT(t.updates_to_right, 0);
  EXPECT_LT(t.last["spancat"], 0.01);
  EXPECT_GT(t.last["tok2vec"], 0.0);  // the listener's gradient arrived
  EXPECT_FALSE(same(owner("tok2vec"), before));
  check_reload(*nlp, "tok2vec_listener");
}

// The spancat listens to a transformer (spacy-transformers.TransformerListener.v1), as the
// healthsea transformer config: the transformer's weights learn from the spancat's loss.
TEST(SpanCatOverfit, ThroughATransformerListener) {
  at::manual_seed(0);
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), false,
                                        Json{{"hidden_dropout_prob", 0.0},
                                             {"attention_probs_dropout_prob", 0.0}}));
  nlp->add_pipe(
      "spancat", "spancat",
      Json{{"spans_key", kKey},
           {"model", Json{{"@architectures", "spacy.SpanCategorizer.v1"},
                          {"tok2vec", Json{{"@architectures", "spacy-transformers.TransformerListener.v1"},
                                           {"grad_factor", 1.0},
                                           {"pooling", Json{{"@layers", "reduce_mean.v1"}}},
                                           {"upstream", "*"}}}}}});
  ASSERT_EQ(nlp->pipe_names(), (std::vector<std::string>{"transformer", "spancat"}));
  auto egs = make_examples(*nlp, train_data());
  nlp->initialize([&] { return egs; });
  auto trf_params = [&] { return dynamic_cast<ParameterOwner&>(nlp->get_pipe("transformer")).named_parameters(); };
  auto before = snapshot(trf_params());
  EXPECT_FALSE(all_right(*nlp, train_data()));
  Trained t = train(*nlp, egs, train_data(), 80, 0.002, "spancat", /*stop_when_right=*/true);
  EXPECT_GT(t.updates_to_right, 0);
  EXPECT_LT(t.last["spancat"], t.first["spancat"]);
  EXPECT_GT(t.last["transformer"], 0.0);
  EXPECT_FALSE(same(trf_params(), before));
  check_reload(*nlp, "transformer_listener");
}

// A listener without its upstream cannot size the reducer: a clear error at initialization.
TEST(SpanCatOverfit, TransformerListenerWithoutATransformerFailsAtInitialize) {
  auto nlp = spancat_nlp(
      "spancat",
      Json{{"model", Json{{"@architectures", "spacy.SpanCategorizer.v1"},
                          {"tok2vec", Json{{"@architectures", "spacy-transformers.TransformerListener.v1"},
                                           {"grad_factor", 1.0},
                                           {"pooling", Json{{"@layers", "reduce_mean.v1"}}},
                                           {"upstream", "*"}}}}}});
  auto egs = make_examples(*nlp, train_data());
  try {
    nlp->initialize([&] { return egs; });
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("width is still unknown"), std::string::npos) << e.what();
  }
}
