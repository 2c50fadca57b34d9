// spancat / spancat_singlelabel, table-driven from spaCy's spacy/tests/pipeline/test_spancat.py:
// the suggesters' outputs, the reducer against thinc's reductions, turning scores into span
// groups (threshold, max_positive, the negative label, allow_overlap), label handling, zero
// suggestions, set_candidates, and bad input (unknown suggester, n-gram sizes below 1, spans
// outside the doc).
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <tuple>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "components/register.hpp"
#include "components/spancat/spancat.hpp"
#include "components/spancat/spancat_model.hpp"
#include "tests/components/spancat_fixture.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/spancat.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;

namespace {

const std::string& kKey = trfpipe::testing::kSpanKey;
using Pair = SuggestedSpans::Pair;

std::unique_ptr<Language> blank() {
  register_components();
  return Language::blank("en");
}

struct DocSet {
  std::vector<Doc> docs;
  std::vector<Doc*> ptrs() {
    std::vector<Doc*> out;
    for (Doc& d : docs) out.push_back(&d);
    return out;
  }
};

DocSet make_docs(Language& nlp, const std::vector<std::string>& texts) {
  DocSet s;
  for (const auto& t : texts) s.docs.push_back(nlp.make_doc(t));
  return s;
}

Suggester resolve_suggester(const Json& block) {
  register_components();
  return registry::resolve(Json{{"s", block}}).at("s").as<Suggester>();
}

std::vector<Example> make_examples(Language& nlp, const trfpipe::testing::SpanData& data) {
  return trfpipe::testing::spancat_examples(nlp, data);
}
const trfpipe::testing::SpanData& train_data() { return trfpipe::testing::spancat_train_data(); }

Matrix matrix(const std::vector<std::vector<float>>& rows) {
  Matrix m(int64_t(rows.size()), int64_t(rows[0].size()));
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) m.row(int64_t(i))[j] = rows[i][j];
  return m;
}

std::string text_of(Doc& doc, const SpanGroupEntry& e) { return std::string(doc.span(e.start, e.end).text()); }
std::string label_of(Doc& doc, const SpanGroupEntry& e) { return doc.vocab().strings()[e.label]; }

const std::vector<std::string> kLabels = {"Thing", "City", "Person", "GreatCity"};
// test_make_spangroup_*: the candidates of "Greater London" with sizes [1, 2], and their scores.
const std::vector<Pair> kCandidates = {{0, 1}, {1, 2}, {0, 2}};
Matrix greater_london_scores() {
  return matrix({{0.2f, 0.4f, 0.3f, 0.1f}, {0.1f, 0.6f, 0.2f, 0.4f}, {0.8f, 0.7f, 0.3f, 0.9f}});
}

}  // namespace

// ---- suggesters (test_ngram_suggester, test_ngram_sizes, test_preset_spans_suggester)

TEST(SpanCatSuggesters, NgramSizesGiveEveryNgramOnceWithinTheDoc) {
  auto nlp = blank();
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "a ";
  for (int64_t size : {1, 2, 3}) {
    DocSet docs = make_docs(*nlp, {"a", "a b", "a b c", "a b c d", "a b c d e", hundred});
    SuggestedSpans s = resolve_suggester(Json{{"@misc", "spacy.ngram_suggester.v1"},
                                              {"sizes", Json::array({size})}})(docs.ptrs());
    ASSERT_EQ(s.lengths.size(), docs.docs.size());
    size_t offset = 0;
    for (size_t d = 0; d < docs.docs.size(); ++d) {
      const int64_t n = int64_t(docs.docs[d].size());
      EXPECT_EQ(s.lengths[d], std::max<int64_t>(0, n - (size - 1))) << size << " " << d;
      std::set<std::pair<int64_t, int64_t>> seen;
      for (int64_t k = 0; k < s.lengths[d]; ++k) {
        const Pair& p = s.spans[offset + size_t(k)];
        EXPECT_EQ(p.end - p.start, size);
        EXPECT_GE(p.start, 0);
        EXPECT_LE(p.end, n);
        seen.insert({p.start, p.end});
      }
      EXPECT_EQ(int64_t(seen.size()), s.lengths[d]);
      offset += size_t(s.lengths[d]);
    }
    EXPECT_EQ(offset, s.size());
  }
}

TEST(SpanCatSuggesters, OneToThreeGramsInSpacysOrder) {
  auto nlp = blank();
  DocSet docs = make_docs(*nlp, {"a", "a b", "a b c", "a b c d", "a b c d e"});
  SuggestedSpans s = ngram_suggester(docs.ptrs(), {1, 2, 3});
  EXPECT_EQ(s.lengths, (std::vector<int64_t>{1, 3, 6, 9, 12}));
  const std::vector<Pair> expected = {
      {0, 1},                                                            // doc 0
      {0, 1}, {1, 2}, {0, 2},                                            // doc 1
      {0, 1}, {1, 2}, {2, 3}, {0, 2}, {1, 3}, {0, 3},                    // doc 2
      {0, 1}, {1, 2}, {2, 3}, {3, 4}, {0, 2}, {1, 3}, {2, 4}, {0, 3}, {1, 4},  // doc 3
      {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {0, 2}, {1, 3}, {2, 4}, {3, 5},
      {0, 3}, {1, 4}, {2, 5}};  // doc 4
  EXPECT_EQ(s.spans, expected);
  EXPECT_EQ(s.offset(3), 10u);
}

TEST(SpanCatSuggesters, EmptyDocsGetNoSpans) {
  auto nlp = blank();
  for (const std::vector<std::string>& texts :
       {std::vector<std::string>{"", "a", ""}, std::vector<std::string>{"", "", ""}}) {
    DocSet docs = make_docs(*nlp, texts);
    SuggestedSpans s = ngram_suggester(docs.ptrs(), {1});
    std::vector<int64_t> want;
    for (const Doc& d : docs.docs) want.push_back(int64_t(d.size()));
    EXPECT_EQ(s.lengths, want);
  }
}

TEST(SpanCatSuggesters, RangeSuggesterEqualsTheSizesItCovers) {
  auto nlp = blank();
  DocSet docs = make_docs(*nlp, {"a", "a b", "a b c", "a b c d", "a b c d e"});
  SuggestedSpans sizes = resolve_suggester(
      Json{{"@misc", "spacy.ngram_suggester.v1"}, {"sizes", Json::array({1, 2, 3})}})(docs.ptrs());
  SuggestedSpans range = resolve_suggester(Json{{"@misc", "spacy.ngram_range_suggester.v1"},
                                                {"min_size", 1},
                                                {"max_size", 3}})(docs.ptrs());
  EXPECT_EQ(sizes.lengths, (std::vector<int64_t>{1, 3, 6, 9, 12}));
  EXPECT_EQ(range.lengths, sizes.lengths);
  EXPECT_EQ(range.spans, sizes.spans);
  SuggestedSpans r24 = resolve_suggester(Json{{"@misc", "spacy.ngram_range_suggester.v1"},
                                              {"min_size", 2},
                                              {"max_size", 4}})(docs.ptrs());
  EXPECT_EQ(r24.lengths, (std::vector<int64_t>{0, 1, 3, 6, 9}));
}

TEST(SpanCatSuggesters, PresetSpansSuggesterReadsTheSpanGroup) {
  auto nlp = blank();
  DocSet docs = make_docs(*nlp, {"This is an example.", "This is the second example.", "None here"});
  docs.docs[0].spans().set(kKey, {docs.docs[0].span(3, 4)});
  docs.docs[1].spans().set(kKey, {docs.docs[1].span(0, 4), docs.docs[1].span(3, 5)});
  SuggestedSpans s = resolve_suggester(
      Json{{"@misc", "spacy.preset_spans_suggester.v1"}, {"spans_key", kKey}})(docs.ptrs());
  EXPECT_EQ(s.spans, (std::vector<Pair>{{3, 4}, {0, 4}, {3, 5}}));
  EXPECT_EQ(s.lengths, (std::vector<int64_t>{1, 2, 0}));
}

TEST(SpanCatSuggestersErrors, BadSizesAndUnknownNamesAreConfigErrors) {
  register_components();
  struct Case {
    Json block;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {Json{{"@misc", "spacy.ngram_suggester.v1"}, {"sizes", Json::array({1, -2})}}, "at least 1"},
      {Json{{"@misc", "spacy.ngram_suggester.v1"}, {"sizes", Json::array({0})}}, "at least 1"},
      {Json{{"@misc", "spacy.ngram_range_suggester.v1"}, {"min_size", -1}, {"max_size", 3}},
       "at least 1"},
      {Json{{"@misc", "spacy.ngram_range_suggester.v1"}, {"min_size", 3}, {"max_size", 2}},
       "smaller than min_size"},
      {Json{{"@misc", "spacy.ngram_suggester.v2"}, {"sizes", Json::array({1})}},
       "spacy.ngram_suggester.v2"},
  };
  for (const Case& c : cases) {
    try {
      registry::resolve(Json{{"suggester", c.block}}, {"components", "spancat"});
      ADD_FAILURE() << c.block.dump();
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.needle), std::string::npos) << what;
      EXPECT_NE(what.find("suggester"), std::string::npos) << what;  // the config path
    }
  }
  auto nlp = blank();
  DocSet docs = make_docs(*nlp, {"a b"});
  EXPECT_THROW(ngram_suggester(docs.ptrs(), {2, 0}), ValueError);
}

TEST(SpanCatSuggestersErrors, UnknownSuggesterInAComponentNamesThePath) {
  auto nlp = blank();
  for (const char* factory : {"spancat", "spancat_singlelabel"}) {
    try {
      nlp->add_pipe(factory, factory,
                    Json{{"suggester", Json{{"@misc", "spacy.no_such_suggester.v1"}}}});
      ADD_FAILURE() << factory;
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("components -> " + std::string(factory) + " -> suggester"),
                std::string::npos) << what;
      EXPECT_NE(what.find("spacy.no_such_suggester.v1"), std::string::npos) << what;
    }
  }
  // A registered function that is not a suggester.
  try {
    nlp->add_pipe("spancat", "x",
                  Json{{"suggester", Json{{"@layers", "spacy.mean_max_reducer.v1"}, {"hidden_size", 8}}}});
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("expected a suggester"), std::string::npos) << e.what();
  }
}

// ---- scores -> span groups (test_make_spangroup_multilabel / _singlelabel / _negative_label)

TEST(SpanCatSpanGroups, MultilabelKeepsLabelsAboveThresholdUpToMaxPositive) {
  struct Case {
    std::optional<int64_t> max_positive;
    size_t nr_results;
  };
  auto nlp = blank();
  for (const Case& c : std::vector<Case>{{std::nullopt, 4}, {1, 2}, {2, 3}, {3, 4}, {4, 4}}) {
    Doc doc = nlp->make_doc("Greater London");
    SpanGroupOptions o;
    o.threshold = 0.5;
    o.max_positive = c.max_positive;
    SpanGroup g = make_span_group_multilabel(doc, kKey, kCandidates, greater_london_scores(), kLabels, o);
    const std::string what = "max_positive " + (c.max_positive ? std::to_string(*c.max_positive) : "None");
    ASSERT_EQ(g.spans.size(), c.nr_results) << what;
    ASSERT_EQ(g.attrs["scores"].size(), c.nr_results) << what;
    EXPECT_EQ(g.name, kKey);
    auto score = [&](size_t i) { return g.attrs["scores"][i].get<double>(); };
    EXPECT_EQ(text_of(doc, g.spans[0]), "London");
    EXPECT_EQ(label_of(doc, g.spans[0]), "City");
    EXPECT_NEAR(score(0), 0.6, 1e-5);
    EXPECT_EQ(text_of(doc, g.spans[1]), "Greater London");
    if (c.max_positive == 1) {
      EXPECT_EQ(label_of(doc, g.spans[1]), "GreatCity");
      EXPECT_NEAR(score(1), 0.9, 1e-5);
    } else {
      EXPECT_EQ(label_of(doc, g.spans[1]), "Thing");
      EXPECT_NEAR(score(1), 0.8, 1e-5);
    }
    if (c.nr_results > 2) {
      EXPECT_EQ(text_of(doc, g.spans[2]), "Greater London");
      if (c.max_positive == 2) {
        EXPECT_EQ(label_of(doc, g.spans[2]), "GreatCity");
        EXPECT_NEAR(score(2), 0.9, 1e-5);
      } else {
        EXPECT_EQ(label_of(doc, g.spans[2]), "City");
        EXPECT_NEAR(score(2), 0.7, 1e-5);
      }
    }
    EXPECT_EQ(text_of(doc, g.spans.back()), "Greater London");
    EXPECT_EQ(label_of(doc, g.spans.back()), "GreatCity");
    EXPECT_NEAR(score(g.spans.size() - 1), 0.9, 1e-5);
  }
}

TEST(SpanCatSpanGroups, SinglelabelTakesTheArgmaxAboveThresholdWithOrWithoutOverlap) {
  struct Case {
    double threshold;
    bool allow_overlap;
    size_t nr_results;
  };
  auto nlp = blank();
  for (const Case& c : std::vector<Case>{{0.05, true, 3}, {0.05, false, 1}, {0.5, true, 2}, {0.5, false, 1}}) {
    Doc doc = nlp->make_doc("Greater London");
    SpanGroupOptions o;
    o.threshold = c.threshold;
    o.max_positive = 1;
    o.allow_overlap = c.allow_overlap;
    SpanGroup g = make_span_group_singlelabel(doc, kKey, kCandidates, greater_london_scores(), kLabels, o);
    const std::string what = std::to_string(c.threshold) + (c.allow_overlap ? " overlap" : " no overlap");
    ASSERT_EQ(g.spans.size(), c.nr_results) << what;
    auto score = [&](size_t i) { return g.attrs["scores"][i].get<double>(); };
    if (c.threshold > 0.4) {
      if (c.allow_overlap) {
        EXPECT_EQ(text_of(doc, g.spans[0]), "London");
        EXPECT_EQ(label_of(doc, g.spans[0]), "City");
        EXPECT_NEAR(score(0), 0.6, 1e-5);
        EXPECT_EQ(text_of(doc, g.spans[1]), "Greater London");
        EXPECT_EQ(label_of(doc, g.spans[1]), "GreatCity");
        EXPECT_NEAR(score(1), 0.9, 1e-5);
      } else {
        EXPECT_EQ(text_of(doc, g.spans[0]), "Greater London");
        EXPECT_EQ(label_of(doc, g.spans[0]), "GreatCity");
        EXPECT_NEAR(score(0), 0.9, 1e-5);
      }
    } else if (c.allow_overlap) {
      EXPECT_EQ(text_of(doc, g.spans[0]), "Greater");
      EXPECT_EQ(label_of(doc, g.spans[0]), "City");
      EXPECT_EQ(text_of(doc, g.spans[1]), "London");
      EXPECT_EQ(label_of(doc, g.spans[1]), "City");
      EXPECT_EQ(text_of(doc, g.spans[2]), "Greater London");
      EXPECT_EQ(label_of(doc, g.spans[2]), "GreatCity");
    } else {
      EXPECT_EQ(text_of(doc, g.spans[0]), "Greater London");
    }
  }
}

TEST(SpanCatSpanGroups, NegativeLabelIsNeverASpan) {
  auto nlp = blank();
  Doc doc = nlp->make_doc("Greater London");
  const Matrix scores = matrix({{0.2f, 0.4f, 0.3f, 0.1f, 0.1f},
                                {0.1f, 0.6f, 0.2f, 0.4f, 0.9f},
                                {0.8f, 0.7f, 0.3f, 0.9f, 0.1f}});
  SpanGroupOptions single;
  single.threshold = 0.1;
  single.max_positive = 1;
  single.add_negative_label = true;
  SpanGroup s = make_span_group_singlelabel(doc, kKey, kCandidates, scores, kLabels, single);
  ASSERT_EQ(s.spans.size(), 2u);
  EXPECT_EQ(text_of(doc, s.spans[0]), "Greater");
  EXPECT_EQ(label_of(doc, s.spans[0]), "City");
  EXPECT_NEAR(s.attrs["scores"][0].get<double>(), 0.4, 1e-5);
  EXPECT_EQ(text_of(doc, s.spans[1]), "Greater London");
  EXPECT_EQ(label_of(doc, s.spans[1]), "GreatCity");
  EXPECT_NEAR(s.attrs["scores"][1].get<double>(), 0.9, 1e-5);

  SpanGroupOptions multi = single;
  multi.max_positive = 2;
  SpanGroup m = make_span_group_multilabel(doc, kKey, kCandidates, scores, kLabels, multi);
  const std::vector<std::tuple<std::string, std::string, double>> want = {
      {"Greater", "City", 0.4},        {"Greater", "Person", 0.3},
      {"London", "City", 0.6},         {"London", "GreatCity", 0.4},
      {"Greater London", "Thing", 0.8}, {"Greater London", "GreatCity", 0.9}};
  ASSERT_EQ(m.spans.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(text_of(doc, m.spans[i]), std::get<0>(want[i])) << i;
    EXPECT_EQ(label_of(doc, m.spans[i]), std::get<1>(want[i])) << i;
    EXPECT_NEAR(m.attrs["scores"][i].get<double>(), std::get<2>(want[i]), 1e-5) << i;
  }
}

TEST(SpanCatSpanGroups, ScoresOfTheWrongShapeAreAValueError) {
  auto nlp = blank();
  Doc doc = nlp->make_doc("Greater London");
  SpanGroupOptions o;
  EXPECT_THROW(make_span_group_multilabel(doc, kKey, kCandidates, matrix({{0.1f, 0.2f}}), kLabels, o),
               ValueError);
  o.add_negative_label = true;  // one column short
  EXPECT_THROW(make_span_group_singlelabel(doc, kKey, kCandidates, greater_london_scores(), kLabels, o),
               ValueError);
}

// ---- the reducer (spacy.mean_max_reducer.v1) and scorers

TEST(SpanCatModel, ReducerMatchesThincsReductionsAndGradients) {
  at::manual_seed(3);
  const int64_t w = 5, hidden = 7;
  MeanMaxReducer reducer(hidden);
  reducer.initialize(w);
  NamedTensors params;
  reducer.collect("", params);
  ASSERT_EQ(params.size(), 4u);  // maxout W, b, ln.G, ln.b
  EXPECT_EQ(params[0].first, "maxout.W");
  EXPECT_EQ(params[0].second.sizes(), (std::vector<int64_t>{hidden, 3, 4 * w}));
  // The same Maxout, fed by layers::reduce over the extracted span rows (thinc's extract_spans).
  layers::Maxout ref(hidden, 4 * w, 3, true);
  ref.W = params[0].second.detach().clone().set_requires_grad(true);
  ref.b = params[1].second.detach().clone().set_requires_grad(true);
  ref.norm->G = params[2].second.detach().clone().set_requires_grad(true);
  ref.norm->b = params[3].second.detach().clone().set_requires_grad(true);

  at::Tensor X = at::randn({9, w}).set_requires_grad(true);
  const std::vector<int64_t> starts = {0, 2, 3, 8, 1}, ends = {1, 5, 4, 9, 9};
  at::Tensor Y = reducer.forward(X, starts, ends, 0.0);
  EXPECT_EQ(Y.sizes(), (std::vector<int64_t>{5, hidden}));

  at::Tensor X2 = X.detach().clone().set_requires_grad(true);
  std::vector<int64_t> rows, lengths;
  for (size_t i = 0; i < starts.size(); ++i) {
    for (int64_t r = starts[i]; r < ends[i]; ++r) rows.push_back(r);
    lengths.push_back(ends[i] - starts[i]);
  }
  at::Tensor spans = X2.index_select(0, at::tensor(rows, at::kLong));
  at::Tensor feats = at::cat({layers::reduce(spans, lengths, layers::Reduce::Last),
                              layers::reduce(spans, lengths, layers::Reduce::First),
                              layers::reduce(spans, lengths, layers::Reduce::Mean),
                              layers::reduce(spans, lengths, layers::Reduce::Max)},
                             1);
  at::Tensor Y2 = ref.forward(feats);
  EXPECT_TRUE(at::allclose(Y, Y2, 1e-5, 1e-6)) << (Y - Y2).abs().max().item<double>();
  at::Tensor dY = at::randn(Y.sizes());
  (Y * dY).sum().backward();
  (Y2 * dY).sum().backward();
  EXPECT_TRUE(at::allclose(X.grad(), X2.grad(), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(params[0].second.grad(), ref.W.grad(), 1e-5, 1e-6));
  // No spans: no rows.
  EXPECT_EQ(reducer.forward(X, {}, {}, 0.0).sizes(), (std::vector<int64_t>{0, hidden}));
}

// Prediction over more candidates than one reducer call takes (kPredictChunk) gives what one
// pass over all of them gives.
TEST(SpanCatModel, ChunkedPredictionEqualsOnePass) {
  auto nlp = blank();
  at::manual_seed(5);
  Json block{{"@architectures", "spacy.SpanCategorizer.v1"},
             {"tok2vec", {{"@architectures", "spacy.HashEmbedCNN.v2"}, {"pretrained_vectors", nullptr},
                          {"width", 16}, {"depth", 1}, {"embed_size", 300}, {"window_size", 1},
                          {"maxout_pieces", 2}, {"subword_features", true}}},
             {"reducer", {{"@layers", "spacy.mean_max_reducer.v1"}, {"hidden_size", 8}}},
             {"scorer", {{"@layers", "spacy.LinearLogistic.v1"}}}};
  auto model = registry::resolve(Json{{"m", block}}).at("m").as<std::shared_ptr<SpanCatModel>>();
  model->initialize(3);
  std::string text;
  for (int i = 0; i < 900; ++i) text += "w" + std::to_string(i % 37) + " ";
  DocSet docs = make_docs(*nlp, {text, "a b c", text});
  SuggestedSpans spans = ngram_suggester(docs.ptrs(), {1, 2, 3, 4});
  ASSERT_GT(int64_t(spans.size()), 2 * SpanCatModel::kPredictChunk);
  at::NoGradGuard no_grad;
  at::Tensor chunked = model->forward(docs.ptrs(), spans, false);
  model->set_dropout(0.0);
  at::Tensor whole = model->forward(docs.ptrs(), spans, true);
  ASSERT_EQ(chunked.sizes(), (std::vector<int64_t>{int64_t(spans.size()), 3}));
  EXPECT_TRUE(at::allclose(chunked, whole, 1e-5, 1e-6)) << (chunked - whole).abs().max().item<double>();
}

TEST(SpanCatModel, ScorersAndSizing) {
  at::manual_seed(1);
  SpanScorerLayer logistic(SpanScorerLayer::Kind::Logistic, 0, 0);
  logistic.initialize(3, 6);
  at::Tensor X = at::randn({4, 6});
  at::Tensor p = logistic.forward(X, false);
  EXPECT_EQ(p.sizes(), (std::vector<int64_t>{4, 3}));
  EXPECT_TRUE((p > 0).all().item<bool>() && (p < 1).all().item<bool>());
  EXPECT_FALSE(at::allclose(p.sum(1), at::ones({4})));  // independent labels
  SpanScorerLayer softmax(SpanScorerLayer::Kind::Softmax, 0, 0);
  softmax.initialize(3, 6);
  at::Tensor q = softmax.forward(X, false);
  EXPECT_TRUE(at::allclose(q.sum(1), at::ones({4})));
  EXPECT_TRUE(at::allclose(q, at::full({4, 3}, 1.0 / 3)));  // zero-initialised, as Softmax_v2
  // Configured sizes must match what the component needs.
  SpanScorerLayer fixed(SpanScorerLayer::Kind::Logistic, 2, 0);
  EXPECT_THROW(fixed.initialize(3, 6), ValueError);
  SpanScorerLayer fixed_in(SpanScorerLayer::Kind::Logistic, 0, 5);
  EXPECT_THROW(fixed_in.initialize(3, 6), ValueError);
  EXPECT_THROW(SpanScorerLayer(SpanScorerLayer::Kind::Softmax, 0, 0, true, 0.0), ValueError);
  EXPECT_THROW(MeanMaxReducer(0), ValueError);
}

// ---- the components: labels (test_no_label, test_no_resize, test_implicit/explicit_labels)

TEST(SpanCatComponent, NoLabelIsAValueErrorAtInitialize) {
  for (const char* factory : {"spancat", "spancat_singlelabel"}) {
    auto nlp = blank();
    nlp->add_pipe(factory, factory, Json{{"spans_key", kKey}});
    EXPECT_THROW(nlp->initialize([] { return std::vector<Example>{}; }), ValueError) << factory;
  }
}

TEST(SpanCatComponent, LabelsCannotBeAddedAfterInitialize) {
  for (const char* factory : {"spancat", "spancat_singlelabel"}) {
    auto nlp = blank();
    auto& pipe = dynamic_cast<TrainablePipe&>(nlp->add_pipe(factory, factory, Json{{"spans_key", kKey}}));
    EXPECT_TRUE(pipe.add_label("Thing"));
    EXPECT_TRUE(pipe.add_label("Phrase"));
    EXPECT_FALSE(pipe.add_label("Thing"));
    EXPECT_EQ(pipe.labels(), (std::vector<std::string>{"Thing", "Phrase"}));
    nlp->initialize({});
    const size_t n_outputs = std::string(factory) == "spancat" ? 2 : 3;  // + the negative label
    NamedTensors ps = dynamic_cast<ParameterOwner&>(pipe).named_parameters();
    EXPECT_EQ(ps.back().first, "scorer.b");
    EXPECT_EQ(size_t(ps.back().second.size(0)), n_outputs) << factory;
    EXPECT_THROW(pipe.add_label("Stuff"), ValueError) << factory;
  }
}

TEST(SpanCatComponent, LabelsComeFromTheExamplesInOrder) {
  for (const char* factory : {"spancat", "spancat_singlelabel"}) {
    auto nlp = blank();
    Pipe& pipe = nlp->add_pipe(factory, factory, Json{{"spans_key", kKey}});
    EXPECT_TRUE(pipe.labels().empty());
    auto egs = make_examples(*nlp, train_data());
    nlp->initialize([&] { return egs; });
    EXPECT_EQ(pipe.labels(), (std::vector<std::string>{"PERSON", "LOC"})) << factory;
  }
}

TEST(SpanCatComponent, FactoryDefaultsAreSpacys) {
  auto nlp = blank();
  nlp->add_pipe("spancat");
  nlp->add_pipe("spancat_singlelabel");
  Json c = nlp->config()["components"];
  EXPECT_EQ(c["spancat"]["threshold"], 0.5);
  EXPECT_EQ(c["spancat"]["spans_key"], "sc");
  EXPECT_TRUE(c["spancat"]["max_positive"].is_null());
  EXPECT_EQ(c["spancat"]["suggester"]["sizes"], Json::array({1, 2, 3}));
  EXPECT_EQ(c["spancat"]["model"]["scorer"]["@layers"], "spacy.LinearLogistic.v1");
  EXPECT_EQ(c["spancat"]["model"]["reducer"]["hidden_size"], 128);
  EXPECT_EQ(c["spancat"]["model"]["tok2vec"]["embed"]["rows"], Json::array({5000, 1000, 2500, 1000}));
  EXPECT_EQ(c["spancat_singlelabel"]["model"]["scorer"]["@layers"], "Softmax.v2");
  EXPECT_EQ(c["spancat_singlelabel"]["model"]["tok2vec"]["embed"]["@architectures"], "spacy.MultiHashEmbed.v1");
  EXPECT_EQ(c["spancat_singlelabel"]["negative_weight"], 1.0);
  EXPECT_EQ(c["spancat_singlelabel"]["allow_overlap"], true);
  EXPECT_FALSE(c["spancat_singlelabel"].contains("threshold"));
  EXPECT_EQ(get_factory("spancat").default_score_weights,
            (Json{{"spans_sc_f", 1.0}, {"spans_sc_p", 0.0}, {"spans_sc_r", 0.0}}));
  EXPECT_EQ(get_factory("spancat").assigns, std::vector<std::string>{"doc.spans"});
  try {
    nlp->add_pipe("spancat", "bad", Json{{"max_positive", 0}});
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("max_positive"), std::string::npos) << e.what();
  }
}

// ---- test_zero_suggestions, test_set_candidates

TEST(SpanCatComponent, ZeroSuggestionsAnywhereInABatch) {
  register_components();
  registry::Function f;
  f.name = "test_mixed_zero_suggester";
  f.make = [](const registry::Value&, const std::vector<std::string>&) -> std::any {
    return Suggester([](const std::vector<Doc*>& docs) {
      SuggestedSpans s;
      for (const Doc* d : docs) {
        const bool even = d->size() > 0 && d->size() % 2 == 0;
        if (even) s.spans.push_back({0, 1});
        s.lengths.push_back(even ? 1 : 0);
      }
      return s;
    });
  };
  registry::get("misc").add(std::move(f));
  for (const char* factory : {"spancat", "spancat_singlelabel"}) {
    at::manual_seed(0);
    auto nlp = blank();
    Pipe& pipe = nlp->add_pipe(
        factory, factory, Json{{"suggester", Json{{"@misc", "test_mixed_zero_suggester"}}}, {"spans_key", kKey}});
    auto egs = make_examples(*nlp, train_data());
    nlp->initialize([&] { return egs; });
    EXPECT_EQ(pipe.labels(), (std::vector<std::string>{"PERSON", "LOC"}));
    auto opt = Optimizer::adam();
    Losses losses;
    nlp->update(egs, 0.0, opt.get(), losses);
    EXPECT_EQ(losses.count(factory), 1u);
    Doc empty = (*nlp)("");
    EXPECT_TRUE(empty.spans().contains(kKey));
    EXPECT_TRUE(empty.spans().group(kKey).spans.empty());
    (*nlp)("one");
    Doc two = (*nlp)("two two");
    EXPECT_TRUE(two.spans().contains(kKey));
    std::vector<Doc> mixed = nlp->pipe({"one", "two two", "three three three", "", "four four four four"});
    EXPECT_EQ(mixed.size(), 5u);
    for (const Doc& d : mixed) EXPECT_TRUE(d.spans().contains(kKey));
    std::vector<Doc> none = nlp->pipe({"", "one", "three three three"});
    for (const Doc& d : none) EXPECT_TRUE(d.spans().group(kKey).spans.empty());
    // A batch with no suggestions at all still updates (nothing to learn).
    std::vector<Example> odd = make_examples(*nlp, {{"one", Json::array()}, {"a b c", Json::array()}});
    Losses l2;
    EXPECT_NO_THROW(nlp->update(odd, 0.0, opt.get(), l2));
    EXPECT_EQ(l2[factory], 0.0);
  }
}

TEST(SpanCatComponent, SetCandidatesWritesTheSuggestions) {
  for (const char* factory : {"spancat", "spancat_singlelabel"}) {
    auto nlp = blank();
    Pipe& pipe = nlp->add_pipe(factory, factory, Json{{"spans_key", kKey}});
    auto egs = make_examples(*nlp, train_data());
    nlp->initialize([&] { return egs; });
    std::vector<Doc> docs = nlp->pipe({"Just a sentence.", "I like London and Berlin", "I like Berlin", "I eat ham."});
    std::vector<Doc*> ptrs;
    for (Doc& d : docs) ptrs.push_back(&d);
    set_candidates(pipe, ptrs);
    const SpanGroup& g = docs[0].spans().group("candidates");
    ASSERT_EQ(g.spans.size(), 9u);
    EXPECT_EQ(text_of(docs[0], g.spans[0]), "Just");
    EXPECT_EQ(text_of(docs[0], g.spans[4]), "Just a");
  }
  auto nlp = blank();
  nlp->add_pipe("sentencizer");
  EXPECT_THROW(set_candidates(nlp->get_pipe("sentencizer"), {}), ValueError);
}

// ---- bad input: spans outside the doc

TEST(SpanCatComponentErrors, SuggestionsOutsideTheDocAreAValueErrorNamingThem) {
  register_components();
  registry::Function f;
  f.name = "test_bad_suggester";
  f.args = {registry::arg("mode", "str")};
  f.make = [](const registry::Value& a, const std::vector<std::string>&) -> std::any {
    const std::string mode = registry::get_str(a, "mode");
    return Suggester([mode](const std::vector<Doc*>& docs) {
      SuggestedSpans s;
      for (const Doc* d : docs) {
        if (mode == "past_end") s.spans.push_back({0, int64_t(d->size()) + 1});
        if (mode == "empty") s.spans.push_back({1, 1});
        s.lengths.push_back(mode == "counts" ? 2 : 1);
      }
      if (mode == "counts") s.spans.push_back({0, 1});
      return s;
    });
  };
  registry::get("misc").add(std::move(f));
  for (const std::string mode : {"past_end", "empty", "counts"}) {
    auto nlp = blank();
    Pipe& pipe = nlp->add_pipe("spancat", "spancat",
                               Json{{"suggester", Json{{"@misc", "test_bad_suggester"}, {"mode", mode}}}});
    dynamic_cast<TrainablePipe&>(pipe).add_label("X");
    nlp->initialize({});
    try {
      (*nlp)("a b c");
      ADD_FAILURE() << mode;
    } catch (const ValueError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("component 'spancat'"), std::string::npos) << what;
      if (mode != "counts") EXPECT_NE(what.find("doc 0"), std::string::npos) << what;
    }
  }
}

TEST(SpanCatComponentErrors, AGoldLabelOutsideTheLabelsIsAValueError) {
  auto nlp = blank();
  auto& pipe = dynamic_cast<TrainablePipe&>(nlp->add_pipe("spancat", "spancat", Json{{"spans_key", kKey}}));
  pipe.add_label("PERSON");
  nlp->initialize({});
  auto egs = make_examples(*nlp, train_data());  // also has LOC
  Losses losses;
  try {
    nlp->update(egs, 0.0, nullptr, losses);
    ADD_FAILURE();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'LOC'"), std::string::npos) << e.what();
  }
}
