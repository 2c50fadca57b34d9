// The training side of spancat: Scorer.score_spans and spacy.spancat_scorer.v1 (spaCy's
// test_score_spans and the scoring part of test_spancat's test_overfitting_IO): overlap handling,
// labeled / unlabeled, per type, docs without the span group, nlp.evaluate on a trained spancat;
// and `init config -p spancat,spancat_singlelabel` (spaCy's quickstart blocks).
#include <gtest/gtest.h>

#include <memory>

#include <ATen/ATen.h>

#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/scorer.hpp"
#include "trfpipe/torch/optimizer.hpp"
#include "trfpipe/training.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe {
namespace {

const std::string kKey = "my_spans";

std::unique_ptr<Language> nlp_en() {
  register_all();
  return Language::blank("en");
}

scorer::SpanGetter group(const std::string& key) {
  return [key](Doc& doc) { return doc.spans().contains(key) ? doc.spans().get(key) : std::vector<Span>{}; };
}

// "This is just a random sentence." with gold PERSON "This", ORG "This is", ORG "just".
struct Pair {
  std::shared_ptr<Doc> gold, pred;
};
Pair this_is_just(Language& nlp) {
  Pair p{std::make_shared<Doc>(nlp.make_doc("This is just a random sentence.")),
         std::make_shared<Doc>(nlp.make_doc("This is just a random sentence."))};
  p.gold->spans().set(kKey, {*p.gold->char_span(0, 4, "PERSON"), *p.gold->char_span(0, 7, "ORG"),
                             *p.gold->char_span(8, 12, "ORG")});
  return p;
}

void copy_group(const Doc& from, Doc& to, const std::string& key, const std::string& relabel = "") {
  std::vector<Span> spans;
  for (const SpanGroupEntry& e : from.spans().group(key).spans)
    spans.push_back(to.span(e.start, e.end, relabel.empty() ? from.vocab().strings()[e.label] : relabel));
  to.spans().set(key, spans);
}

}  // namespace

TEST(ScoreSpans, SpacysTestScoreSpans) {
  auto nlp = nlp_en();
  Pair d = this_is_just(*nlp);
  copy_group(*d.gold, *d.pred, kKey);
  // Without allow_overlap the overlapping "This is" is dropped when aligning the predictions.
  Json s = scorer::score_spans({Example(d.pred, d.gold)}, kKey, group(kKey));
  EXPECT_DOUBLE_EQ(s[kKey + "_p"].get<double>(), 1.0);
  EXPECT_NEAR(s[kKey + "_r"].get<double>(), 2.0 / 3.0, 1e-12);
  s = scorer::score_spans({Example(d.pred, d.gold)}, kKey, group(kKey), {}, true, true);
  EXPECT_DOUBLE_EQ(s[kKey + "_p"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s[kKey + "_r"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s[kKey + "_per_type"]["ORG"]["f"].get<double>(), 1.0);
  // Wrong labels: nothing right, unless labels are not compared.
  copy_group(*d.gold, *d.pred, kKey, "WRONG");
  s = scorer::score_spans({Example(d.pred, d.gold)}, kKey, group(kKey), {}, true, true);
  EXPECT_DOUBLE_EQ(s[kKey + "_p"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s[kKey + "_r"].get<double>(), 0.0);
  ASSERT_TRUE(s.contains(kKey + "_per_type"));
  EXPECT_DOUBLE_EQ(s[kKey + "_per_type"]["WRONG"]["p"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(s[kKey + "_per_type"]["PERSON"]["r"].get<double>(), 0.0);
  s = scorer::score_spans({Example(d.pred, d.gold)}, kKey, group(kKey), {}, false, true);
  EXPECT_DOUBLE_EQ(s[kKey + "_p"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s[kKey + "_r"].get<double>(), 1.0);
  EXPECT_FALSE(s.contains(kKey + "_per_type"));
}

TEST(ScoreSpans, PerTypeCountsOverExamplesAndMissingGroups) {
  auto nlp = nlp_en();
  auto doc = [&](const char* t) { return std::make_shared<Doc>(nlp->make_doc(t)); };
  // Example 1: gold LOC "Paris", PER "Anna"; predicted LOC "Paris", LOC "Anna".
  auto g1 = doc("Anna likes Paris"), p1 = doc("Anna likes Paris");
  g1->spans().set("sc", {g1->span(0, 1, "PER"), g1->span(2, 3, "LOC")});
  p1->spans().set("sc", {p1->span(0, 1, "LOC"), p1->span(2, 3, "LOC")});
  // Example 2: gold LOC "Rome", the prediction has no "sc" group (not annotated): a miss.
  auto g2 = doc("Rome"), p2 = doc("Rome");
  g2->spans().set("sc", {g2->span(0, 1, "LOC")});
  // Example 3: the gold has no "sc" group: skipped whatever is predicted.
  auto g3 = doc("Bob ran"), p3 = doc("Bob ran");
  p3->spans().set("sc", {p3->span(0, 1, "PER")});
  std::vector<Example> egs{Example(p1, g1), Example(p2, g2), Example(p3, g3)};
  register_all();
  auto fn = registry::resolve(Json{{"s", {{"@scorers", "spacy.spancat_scorer.v1"}}}}).at("s").as<scorer::ScorerFn>();
  Json s = fn(egs, Json{{"spans_key", "sc"}});
  // tp: LOC Paris; fp: LOC Anna; fn: PER Anna, LOC Rome.
  EXPECT_NEAR(s["spans_sc_p"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(s["spans_sc_r"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(s["spans_sc_f"].get<double>(), 0.4, 1e-12);
  EXPECT_NEAR(s["spans_sc_per_type"]["LOC"]["p"].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(s["spans_sc_per_type"]["LOC"]["r"].get<double>(), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(s["spans_sc_per_type"]["PER"]["r"].get<double>(), 0.0);
  // Another key: nothing annotated, everything null.
  Json none = fn(egs, Json{{"spans_key", "other"}});
  for (const char* k : {"spans_other_p", "spans_other_r", "spans_other_f", "spans_other_per_type"})
    EXPECT_TRUE(none[k].is_null()) << k;
  // Without settings the key is spaCy's default "sc".
  EXPECT_EQ(fn(egs, Json::object())["spans_sc_f"], s["spans_sc_f"]);
}

TEST(ScoreSpans, SpansAreAlignedToTheReferenceTokens) {
  auto nlp = nlp_en();
  // The reference splits "New York" differently from the prediction ("NewYork" is not a word
  // in either: the texts agree, the tokens differ).
  auto gold = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"in", "New", "York", "now"});
  auto pred = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"in", "New York", "now"});
  gold->spans().set("sc", {gold->span(1, 3, "LOC")});
  pred->spans().set("sc", {pred->span(1, 2, "LOC")});
  Json s = scorer::score_spans({Example(pred, gold)}, "spans_sc", group("sc"),
                               [](const Doc& d) { return d.spans().contains("sc"); }, true, true);
  EXPECT_DOUBLE_EQ(s["spans_sc_f"].get<double>(), 1.0);
}

// spaCy's test_overfitting_IO, scoring part: nlp.evaluate on the training examples.
TEST(ScoreSpans, EvaluateATrainedSpancatScoresPerfectly) {
  auto nlp = nlp_en();
  at::manual_seed(0);
  nlp->add_pipe("spancat", "spancat", Json{{"spans_key", "labeled_spans"}});
  std::vector<Example> egs;
  for (const auto& [text, spans] :
       std::vector<std::pair<std::string, Json>>{
           {"Who is Shaka Khan?", Json::array({Json::array({7, 17, "PERSON"})})},
           {"I like London and Berlin.",
            Json::array({Json::array({7, 13, "LOC"}), Json::array({18, 24, "LOC"})})}}) {
    auto ref = std::make_shared<Doc>(nlp->make_doc(text));
    add_spans_from_dict(*ref, Json{{"labeled_spans", spans}});
    egs.push_back(Example::from_reference(ref));
  }
  nlp->initialize([&] { return egs; });
  Json before = evaluate(*nlp, egs);
  EXPECT_LT(before["spans_labeled_spans_f"].is_number() ? before["spans_labeled_spans_f"].get<double>() : 0.0, 1.0);
  OptimizerOptions o;
  o.L2 = 0.01;
  o.use_averages = false;
  auto opt = Optimizer::adam(o);
  for (int i = 0; i < 50; ++i) {
    Losses losses;
    nlp->update(egs, 0.0, opt.get(), losses);
  }
  Json s = evaluate(*nlp, egs);
  ASSERT_TRUE(s.contains("spans_labeled_spans_f"));
  EXPECT_DOUBLE_EQ(s["spans_labeled_spans_p"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["spans_labeled_spans_r"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["spans_labeled_spans_f"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["spans_labeled_spans_per_type"]["LOC"]["f"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(s["spans_labeled_spans_per_type"]["PERSON"]["f"].get<double>(), 1.0);
}

TEST(SpancatQuickstart, InitConfigBlocksBuildAndFill) {
  register_all();
  Json cfg = quickstart_config("en", {"spancat", "spancat_singlelabel"}, false);
  const Json& c = cfg["components"];
  EXPECT_EQ(cfg["nlp"]["pipeline"], Json::array({"tok2vec", "spancat", "spancat_singlelabel"}));
  EXPECT_EQ(c["spancat"]["threshold"], 0.5);
  EXPECT_EQ(c["spancat"]["model"]["scorer"]["@layers"], "spacy.LinearLogistic.v1");
  EXPECT_EQ(c["spancat_singlelabel"]["model"]["scorer"]["@layers"], "Softmax.v2");
  EXPECT_EQ(c["spancat"]["model"]["tok2vec"]["@architectures"], "spacy.Tok2VecListener.v1");
  EXPECT_EQ(c["spancat"]["suggester"]["sizes"], Json::array({1, 2, 3}));
  Json filled = fill_config(cfg);
  EXPECT_DOUBLE_EQ(filled["training"]["score_weights"]["spans_sc_f"].get<double>(), 1.0);
  auto nlp = Language::from_config(interpolate(filled));
  EXPECT_EQ(nlp->pipe_names(), (std::vector<std::string>{"tok2vec", "spancat", "spancat_singlelabel"}));
  Json trf = quickstart_config("en", {"spancat"}, false, "some/folder");
  EXPECT_EQ(trf["components"]["spancat"]["model"]["tok2vec"]["@architectures"],
            "spacy-transformers.TransformerListener.v1");
  EXPECT_THROW(quickstart_config("en", {"spancatx"}, false), ValueError);
}

}  // namespace trfpipe
