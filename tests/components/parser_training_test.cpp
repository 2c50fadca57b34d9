// The parser and senter components: factories and defaults, overfitting hand-made parses (one
// non-projective) with their own tok2vec and through a shared tok2vec listener, save -> load ->
// identical parses, labels, min_action_freq backoff, partial annotation, preset sentence starts,
// and bad input (cyclic gold trees, wrong configs) as clear errors. After spaCy's
// spacy/tests/parser/test_parse.py, test_preset_sbd.py and tests/pipeline/test_senter.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <ATen/ATen.h>

#include "components/register.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "tests/pipeline/error_of.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

const std::vector<ParsedSent>& data() { return parsed_sentences(); }

std::vector<Example> examples(Language& nlp, const std::vector<ParsedSent>& d = parsed_sentences()) {
  std::vector<Example> out;
  for (const ParsedSent& s : d) out.push_back(Example::from_reference(parsed_reference_doc(nlp, s)));
  return out;
}

Json small_cnn() {
  return Json{{"@architectures", "spacy.HashEmbedCNN.v2"}, {"pretrained_vectors", nullptr},
              {"width", 32}, {"depth", 2}, {"embed_size", 300}, {"window_size", 1},
              {"maxout_pieces", 3}, {"subword_features", true}};
}
Json listener_cfg() { return Json{{"@architectures", "spacy.Tok2VecListener.v1"}, {"width", 32}}; }

std::unique_ptr<Language> blank() {
  register_components();
  at::manual_seed(0);
  return Language::blank("en");
}

// Initializes, checks `right` fails, trains until it holds; the updates needed (-1: never).
template <class F>
int overfit(Language& nlp, const std::vector<Example>& egs, F right, int max_updates = 300) {
  return overfit_examples(nlp, egs, right, max_updates);
}

bool parses_right(Language& nlp, const std::vector<ParsedSent>& d = parsed_sentences()) {
  return parses_match(predict_parsed(nlp, d), d);
}

std::string temp_dir(const std::string& tag) {
  fs::path p = fs::temp_directory_path() / ("trfpipe_parser_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}

// Heads and deps of texts run through the pipeline, one string per doc.
std::vector<std::string> parse_strings(Language& nlp, const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (Doc& d : nlp.pipe(texts)) {
    std::string s;
    for (size_t i = 0; i < d.size(); ++i)
      s += std::string(d[i].text()) + "<" + std::to_string(d[i].head().i()) + ":" + d[i].dep_() + ">" +
           (d[i].is_sent_start().value_or(false) ? "|" : "") + " ";
    out.push_back(s);
  }
  return out;
}

const std::vector<std::string> kNewTexts = {"I like securities.", "Just a sentence.",
                                            "Then one more sentence about London. Bob reads.",
                                            "", "We saw it."};

}  // namespace

// ---- factories ----

TEST(ParserFactory, HasSpacysDefaultsAndScoreWeights) {
  register_components();
  const FactoryMeta& p = get_factory("parser");
  EXPECT_EQ(p.default_config["min_action_freq"], 30);
  EXPECT_EQ(p.default_config["update_with_oracle_cut_size"], 100);
  EXPECT_EQ(p.default_config["learn_tokens"], false);
  EXPECT_TRUE(p.default_config["moves"].is_null());
  EXPECT_EQ(p.default_config["model"]["@architectures"], "spacy.TransitionBasedParser.v2");
  EXPECT_EQ(p.default_config["model"]["state_type"], "parser");
  EXPECT_EQ(p.default_config["model"]["hidden_width"], 64);
  EXPECT_EQ(p.default_config["model"]["maxout_pieces"], 2);
  EXPECT_EQ(p.default_config["model"]["tok2vec"]["width"], 96);
  EXPECT_EQ(p.default_config["scorer"]["@scorers"], "spacy.parser_scorer.v1");
  EXPECT_EQ(p.default_score_weights,
            Json::parse(R"({"dep_uas":0.5,"dep_las":0.5,"dep_las_per_type":null,"sents_p":null,
                            "sents_r":null,"sents_f":0.0})"));
  EXPECT_EQ(p.assigns, (std::vector<std::string>{"token.dep", "token.head", "token.is_sent_start",
                                                 "doc.sents"}));
  const FactoryMeta& s = get_factory("senter");
  EXPECT_EQ(s.default_config["model"]["@architectures"], "spacy.Tagger.v2");
  EXPECT_EQ(s.default_config["model"]["tok2vec"]["width"], 12);
  EXPECT_EQ(s.default_config["model"]["tok2vec"]["depth"], 1);
  EXPECT_EQ(s.default_config["model"]["tok2vec"]["maxout_pieces"], 2);
  EXPECT_EQ(s.default_config["overwrite"], false);
  EXPECT_EQ(s.default_score_weights, Json::parse(R"({"sents_f":1.0,"sents_p":0.0,"sents_r":0.0})"));
}

TEST(ParserFactory, ConfigErrorsNameTheSetting) {
  auto nlp = blank();
  auto err = [&](const Json& cfg) {
    try {
      nlp->add_pipe("parser", "parser", cfg);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("<no ConfigError>");
  };
  EXPECT_NE(err({{"model", {{"state_type", "ner"}}}}).find("state_type"), std::string::npos);
  EXPECT_NE(err({{"learn_tokens", true}}).find("learn_tokens"), std::string::npos);
  EXPECT_NE(err({{"moves", "custom"}}).find("moves"), std::string::npos);
  // The ner refuses a parser model.
  EXPECT_THROW(nlp->add_pipe("ner", "ner", {{"model", {{"state_type", "parser"}}}}), ConfigError);
}

// ---- training ----

TEST(Parser, OverfitsNonProjectiveParsesAndReloadsIdentically) {
  auto nlp = blank();
  nlp->add_pipe("parser", "", {{"min_action_freq", 1}, {"model", {{"tok2vec", small_cnn()}}}});
  auto egs = examples(*nlp);
  int steps = overfit(*nlp, egs, [&] { return parses_right(*nlp); });
  ASSERT_GT(steps, 0) << "the parser did not reach 100% in 300 updates";
  // The decorated label of the lifted arc is a move ("R-relcl||dobj"); DependencyParser.labels
  // counts a decorated label by its head part only, so "relcl" is not listed, as in spaCy.
  Pipe& parser = nlp->get_pipe("parser");
  std::vector<std::string> labels = parser.labels();
  EXPECT_EQ(std::find(labels.begin(), labels.end(), "relcl"), labels.end());
  EXPECT_NE(std::find(labels.begin(), labels.end(), "dobj"), labels.end());
  EXPECT_NE(std::find(labels.begin(), labels.end(), "nsubj"), labels.end());
  EXPECT_TRUE(sents_match(predict_parsed(*nlp, data()), data()));

  const std::vector<std::string> before = parse_strings(*nlp, kNewTexts);
  EXPECT_EQ(before[3], "");  // an empty doc
  // pipe() in one batch == one doc at a time
  for (size_t i = 0; i < kNewTexts.size(); ++i)
    EXPECT_EQ(parse_strings(*nlp, {kNewTexts[i]})[0], before[i]) << i;
  const std::string dir = temp_dir("overfit");
  nlp->to_disk(dir);
  EXPECT_TRUE(fs::exists(fs::path(dir) / "parser" / "moves"));
  std::ifstream cfg(fs::path(dir) / "parser" / "cfg");
  Json c = Json::parse(cfg);
  EXPECT_EQ(c["min_action_freq"], 1);
  EXPECT_EQ(c["learn_tokens"], false);
  EXPECT_EQ(c["beam_width"], 1);
  auto loaded = Language::load(dir);
  EXPECT_TRUE(parses_right(*loaded));
  EXPECT_EQ(parse_strings(*loaded, kNewTexts), before);
  EXPECT_EQ(loaded->get_pipe("parser").labels(), labels);
  fs::remove_all(dir);
}

TEST(Parser, OverfitsTheSpacyWayWithAddLabel) {
  // test_parse.py test_overfitting_IO: spaCy's default model, labels added by hand, default
  // min_action_freq (30), 200 updates, then a sentence it has not seen.
  const std::vector<ParsedSent> train(data().begin(), data().begin() + 2);
  auto nlp = blank();
  auto& parser = dynamic_cast<TrainablePipe&>(nlp->add_pipe("parser"));
  for (const ParsedSent& s : train)
    for (const auto& d : s.deps) parser.add_label(d);
  EXPECT_FALSE(parser.add_label("nsubj"));  // already there
  auto egs = examples(*nlp, train);
  nlp->initialize([&] { return egs; });
  OptimizerOptions o;
  o.learn_rate = 0.001;  // thinc's Adam default, as the spaCy test
  o.use_averages = false;
  Optimizer opt(o);
  for (int i = 0; i < 200; ++i) train_step(*nlp, egs, opt);
  EXPECT_TRUE(parses_right(*nlp, train));
  Doc doc = (*nlp)("I like securities.");
  EXPECT_EQ(doc[0].dep_(), "nsubj");
  EXPECT_EQ(doc[2].dep_(), "dobj");
  EXPECT_EQ(doc[3].dep_(), "punct");
  EXPECT_EQ(doc[0].head().i(), 1u);
  EXPECT_EQ(doc[2].head().i(), 1u);
  EXPECT_EQ(doc[3].head().i(), 1u);
  // After initialization the model is sized: new labels are refused.
  EXPECT_THROW(parser.add_label("brand-new"), ValueError);
}

TEST(Parser, OverfitsThroughASharedTok2VecWithASenter) {
  auto nlp = blank();
  nlp->add_pipe("tok2vec", "", {{"model", small_cnn()}});
  nlp->add_pipe("senter", "", {{"model", {{"tok2vec", listener_cfg()}}}});
  nlp->add_pipe("parser", "", {{"min_action_freq", 1}, {"model", {{"tok2vec", listener_cfg()}}}});
  auto egs = examples(*nlp);
  // The senter runs first and sets boundaries the parser keeps: both must be right.
  int steps = overfit(*nlp, egs, [&] {
    auto docs = predict_parsed(*nlp, data());
    return parses_match(docs, data()) && sents_match(docs, data());
  });
  EXPECT_GT(steps, 0);
}

TEST(Parser, ExtraStateTokensAndTheV1ArchitectureTrain) {
  for (Json model : {Json{{"@architectures", "spacy.TransitionBasedParser.v2"}, {"state_type", "parser"},
                          {"extra_state_tokens", true}, {"hidden_width", 32}, {"maxout_pieces", 2},
                          {"use_upper", true}, {"tok2vec", small_cnn()}},
                     Json{{"@architectures", "spacy.TransitionBasedParser.v1"}, {"state_type", "parser"},
                          {"extra_state_tokens", false}, {"hidden_width", 32}, {"maxout_pieces", 2},
                          {"tok2vec", small_cnn()}},
                     Json{{"@architectures", "spacy.TransitionBasedParser.v2"}, {"state_type", "parser"},
                          {"extra_state_tokens", false}, {"hidden_width", 32}, {"maxout_pieces", 1},
                          {"use_upper", true}, {"tok2vec", small_cnn()}},
                     Json{{"@architectures", "spacy.TransitionBasedParser.v2"}, {"state_type", "parser"},
                          {"extra_state_tokens", false}, {"hidden_width", 32}, {"maxout_pieces", 3},
                          {"use_upper", false}, {"tok2vec", small_cnn()}}}) {
    auto nlp = blank();
    nlp->add_pipe("parser", "", {{"min_action_freq", 1}, {"model", model}});
    auto egs = examples(*nlp);
    EXPECT_GT(overfit(*nlp, egs, [&] { return parses_right(*nlp); }), 0) << model.dump();
  }
}

TEST(Parser, RareLabelsBackOffToDep) {
  // With min_action_freq 2 the labels seen once (compound, nmod, cc, conj, det, ...) have no
  // moves: their arcs are learnt as "dep", as spaCy does.
  auto nlp = blank();
  nlp->add_pipe("parser", "", {{"min_action_freq", 2}, {"model", {{"tok2vec", small_cnn()}}}});
  auto egs = examples(*nlp);
  // Moves count per direction: a left punct arc is as rare as a left compound arc.
  std::map<std::string, int> count;
  auto key = [](const ParsedSent& s, size_t i) {
    return s.deps[i] + (s.heads[i] > i ? "/L" : "/R");
  };
  for (const ParsedSent& s : data())
    for (size_t i = 0; i < s.deps.size(); ++i)
      if (s.heads[i] != i) ++count[key(s, i)];
  std::vector<ParsedSent> expected = data();
  for (ParsedSent& s : expected)
    for (size_t i = 0; i < s.deps.size(); ++i)
      if (s.heads[i] != i && count[key(s, i)] < 2) s.deps[i] = "dep";
  // The non-projective arc's decorated label is rare too: that arc stays lifted to "saw".
  expected[3].heads[6] = 1;
  ASSERT_GT(overfit(*nlp, egs, [&] { return parses_right(*nlp, expected); }), 0);
  std::vector<std::string> labels = nlp->get_pipe("parser").labels();
  EXPECT_EQ(std::find(labels.begin(), labels.end(), "compound"), labels.end());
  EXPECT_NE(std::find(labels.begin(), labels.end(), "dep"), labels.end());
}

TEST(Parser, TrainsOnPartialAnnotation) {
  // test_incomplete_data: the last token's head and dep are unknown.
  auto nlp = blank();
  nlp->add_pipe("parser", "", {{"min_action_freq", 1}, {"model", {{"tok2vec", small_cnn()}}}});
  auto ref = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"I", "like", "London", "."});
  ref->set_parse({1u, 1u, 1u, std::nullopt}, {"nsubj", "ROOT", "dobj", ""});
  std::vector<Example> egs{Example::from_reference(ref)};
  ASSERT_GT(overfit(*nlp, egs, [&] {
              Doc d = (*nlp)("I like London.");
              return d[0].dep_() == "nsubj" && d[2].dep_() == "dobj" && d[0].head().i() == 1 &&
                     d[2].head().i() == 1;
            }),
            0);
}

TEST(Parser, KeepsPresetSentenceStarts) {
  auto nlp = blank();
  nlp->add_pipe("parser", "", {{"min_action_freq", 1}, {"model", {{"tok2vec", small_cnn()}}}});
  auto egs = examples(*nlp);
  ASSERT_GT(overfit(*nlp, egs, [&] { return parses_right(*nlp); }), 0);
  // "I like London and Berlin ." with a preset boundary before "and": no arc crosses it.
  Doc doc = nlp->make_doc("I like London and Berlin.");
  doc[3].set_is_sent_start(true);
  doc[1].set_is_sent_start(false);
  nlp->get_pipe("parser")(doc);
  EXPECT_TRUE(doc[3].is_sent_start().value());
  EXPECT_FALSE(doc[1].is_sent_start().value());
  for (Span& s : doc.sents())
    for (size_t i = s.start(); i < s.end(); ++i) {
      const size_t h = doc[i].head().i();
      EXPECT_TRUE(h >= s.start() && h < s.end()) << i;
    }
}

TEST(Parser, BadInputGivesClearErrors) {
  auto nlp = blank();
  nlp->add_pipe("parser", "", {{"min_action_freq", 1}, {"model", {{"tok2vec", small_cnn()}}}});
  // Before initialization.
  EXPECT_NE(error_of([&] { (*nlp)("Some text ."); }).find("before initialization"), std::string::npos);
  // A cyclic gold tree: an error naming the component, the example and the cycle.
  auto cyc = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"a", "b", "c", "d"});
  cyc->set_parse({1u, 2u, 0u, 3u}, {"x", "x", "x", "ROOT"});
  auto good = parsed_reference_doc(*nlp, data()[0]);
  std::vector<Example> egs{Example::from_reference(good), Example::from_reference(cyc)};
  std::string msg = error_of([&] { nlp->initialize([&] { return egs; }); });
  EXPECT_NE(msg.find("Found cycle"), std::string::npos) << msg;
  EXPECT_NE(msg.find("example 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'parser'"), std::string::npos) << msg;
  // Initialized on good data, an update with a cyclic gold tree fails the same way.
  std::vector<Example> ok{Example::from_reference(good)};
  nlp->initialize([&] { return ok; });
  Losses losses;
  msg = error_of([&] { nlp->update(egs, 0.0, nullptr, losses); });
  EXPECT_NE(msg.find("Found cycle"), std::string::npos) << msg;
  // Docs without any dep annotation are skipped (no gold), not an error.
  auto plain = std::make_shared<Doc>(nlp->vocab_ptr(), std::vector<std::string>{"no", "parse"});
  std::vector<Example> none{Example::from_reference(plain)};
  EXPECT_NO_THROW(nlp->update(none, 0.0, nullptr, losses));
}

// ---- senter ----

TEST(Senter, OverfitsSavesAndReloads) {
  auto nlp = blank();
  nlp->add_pipe("senter");
  EXPECT_EQ(nlp->get_pipe("senter").labels(), (std::vector<std::string>{"I", "S"}));
  EXPECT_THROW(dynamic_cast<TrainablePipe&>(nlp->get_pipe("senter")).add_label("X"), Error);
  auto egs = examples(*nlp);
  ASSERT_GT(overfit(*nlp, egs, [&] { return sents_match(predict_parsed(*nlp, data()), data()); }), 0);
  const std::string dir = temp_dir("senter");
  nlp->to_disk(dir);
  auto loaded = Language::load(dir);
  EXPECT_TRUE(sents_match(predict_parsed(*loaded, data()), data()));
  for (const auto& text : kNewTexts) {
    Doc a = (*nlp)(text), b = (*loaded)(text);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].is_sent_start(), b[i].is_sent_start());
  }
  // overwrite = false (the default) keeps boundaries set before it; true replaces them.
  Doc doc = nlp->make_doc("Bob sleeps . Ann reads books .");
  doc[1].set_is_sent_start(true);
  nlp->get_pipe("senter")(doc);
  EXPECT_TRUE(doc[1].is_sent_start().value());
  EXPECT_TRUE(doc[3].is_sent_start().value());
  fs::remove_all(dir);
}
