// Sourcing components from trained pipelines (spaCy's `source = "..."` blocks), as the issue
// checks it: train a ner (tok2vec or transformer listener), then a second config that sources it
// with `replace_listeners = ["model.tok2vec"]`, adds a tagger listening to a new tok2vec and
// trains with the ner frozen: the ner's predictions stay identical. Also spaCy's "fine-tune ner on
// top of a trained pipeline" workflow, Language::replace_listeners from C++, [initialize]
// init_tok2vec, and the errors of bad `source` blocks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"
#include "trfpipe/trfpipe.hpp"
#include "sample_data.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;
using trfpipe::testing::ud_sample_with_ents;

namespace {

const char* kTexts =
    "{\"text\": \"Google and Microsoft opened offices in Paris and Berlin.\"}\n"
    "{\"text\": \"John Smith flew from London to New York on Monday.\"}\n"
    "{\"text\": \"The Eiffel Tower is in France, said Mary.\"}\n";

std::string read(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kTok2Vec =
    "[components.tok2vec]\nfactory = \"tok2vec\"\n\n"
    "[components.tok2vec.model]\n@architectures = \"spacy.HashEmbedCNN.v2\"\n"
    "pretrained_vectors = null\nwidth = 32\ndepth = 1\nembed_size = 500\nwindow_size = 1\n"
    "maxout_pieces = 2\nsubword_features = true\n\n";

const std::string kTok2VecListener =
    "@architectures = \"spacy.Tok2VecListener.v1\"\nwidth = 32\nupstream = \"*\"\n\n";

const std::string kTrainingTail =
    "[corpora]\n\n[corpora.train]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.train}\n\n"
    "[corpora.dev]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.dev}\n\n"
    "[training.batcher]\n@batchers = \"spacy.batch_by_words.v1\"\nsize = 300\n";

std::string ner_block(const std::string& listener) {
  return "[components.ner]\nfactory = \"ner\"\n\n"
         "[components.ner.model]\n@architectures = \"spacy.TransitionBasedParser.v2\"\n"
         "state_type = \"ner\"\nextra_state_tokens = false\nhidden_width = 32\nmaxout_pieces = 2\n"
         "use_upper = true\nnO = null\n\n[components.ner.model.tok2vec]\n" + listener;
}

const std::string kNoLearning =
    "\n[training.optimizer]\n@optimizers = \"Adam.v1\"\nlearn_rate = 0.0\nL2 = 0.0\n";

// tok2vec + ner (listening), trained `steps` steps; `extra` sections appended.
std::string ner_config(int steps, const std::string& extra = "") {
  return "[paths]\ntrain = null\ndev = null\n\n[system]\nseed = 1\n\n[nlp]\nlang = \"en\"\n"
         "pipeline = [\"tok2vec\",\"ner\"]\n\n[components]\n\n" + kTok2Vec +
         ner_block(kTok2VecListener) + "[training]\nmax_steps = " + std::to_string(steps) +
         "\neval_frequency = 10\n\n" + kTrainingTail + extra;
}

// A new tok2vec + a tagger listening to it + the ner sourced from `source`.
std::string tagger_with_sourced_ner(const std::string& source, const std::string& ner_extra,
                                    const std::string& training) {
  return "[paths]\ntrain = null\ndev = null\n\n[system]\nseed = 2\n\n[nlp]\nlang = \"en\"\n"
         "pipeline = [\"tok2vec\",\"tagger\",\"ner\"]\n\n[components]\n\n" + kTok2Vec +
         "[components.tagger]\nfactory = \"tagger\"\n\n[components.tagger.model]\n"
         "@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n[components.tagger.model.tok2vec]\n" +
         kTok2VecListener + "[components.ner]\nsource = \"" + source + "\"\n" + ner_extra + "\n" +
         "[training]\nmax_steps = 6\neval_frequency = 3\n" + training + "\n" + kTrainingTail;
}

// The `ents` of every doc `apply` writes for kTexts.
std::vector<nlohmann::json> predicted_ents(const TempDir& tmp, const std::string& pipeline) {
  const std::string in = tmp.file("texts.jsonl", kTexts);
  const std::string out = tmp / "pred.jsonl";
  RunResult r = run_cli({"apply", pipeline, in, out, "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  std::vector<nlohmann::json> ents;
  std::ifstream f(out);
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) ents.push_back(nlohmann::json::parse(line).value("ents", nlohmann::json::array()));
  EXPECT_EQ(ents.size(), 3u);
  return ents;
}

size_t count_ents(const std::vector<nlohmann::json>& ents) {
  size_t n = 0;
  for (const auto& e : ents) n += e.size();
  return n;
}

RunResult train(const TempDir& tmp, const std::string& cfg, const std::string& out,
                const std::string& data, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"train", cfg, "--paths.train", data, "--paths.dev", data};
  if (!out.empty()) args.insert(args.end(), {"--output", out});
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cli(args);
}

// A trained tok2vec + ner pipeline (tmp/a/model-last) whose ner finds entities in kTexts.
std::string trained_ner(const TempDir& tmp, const std::string& data) {
  const std::string cfg = tmp.file("a.cfg", ner_config(40));
  RunResult r = train(tmp, cfg, tmp / "a", data);
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  return tmp / "a/model-last";
}

}  // namespace

TEST(SourcingCli, FrozenSourcedNerWithReplacedListenersKeepsItsPredictions) {
  TempDir tmp("trfpipe_sourcing_");
  const std::string data = ud_sample_with_ents(tmp, 40);
  const std::string a = trained_ner(tmp, data);
  const std::vector<nlohmann::json> original = predicted_ents(tmp, a);
  ASSERT_GT(count_ents(original), 0u) << "the trained ner finds no entity: the check would be empty";

  const std::string cfg = tmp.file(
      "b.cfg", tagger_with_sourced_ner(a, "replace_listeners = [\"model.tok2vec\"]\n",
                                       "frozen_components = [\"ner\"]\n"));
  RunResult r = train(tmp, cfg, tmp / "b", data);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("Frozen components: ['ner']"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("[W087]"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("LOSS TAGGER"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("LOSS NER"), std::string::npos) << r.out;
  EXPECT_EQ(predicted_ents(tmp, tmp / "b/model-last"), original);

  // The saved config holds the ner's full block with its own tok2vec, not `source`.
  const std::string saved = read(tmp / "b/model-last/config.cfg");
  EXPECT_EQ(saved.find("source ="), std::string::npos) << saved;
  EXPECT_NE(saved.find("[components.ner]\nfactory = \"ner\""), std::string::npos) << saved;
  EXPECT_NE(saved.find("[components.ner.model.tok2vec]\n@architectures = \"spacy.HashEmbedCNN.v2\""),
            std::string::npos)
      << saved;
  // Without replace_listeners the frozen ner would listen to the new, trained tok2vec: spaCy's W087.
  const std::string shared = tmp.file(
      "shared.cfg", tagger_with_sourced_ner(a, "", "frozen_components = [\"ner\"]\n"));
  r = train(tmp, shared, "", data, {"--training.max_steps", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[W087] Component 'tok2vec' will be (re)trained, but the component 'ner'"),
            std::string::npos)
      << r.err;
  // The tagger trained on top.
  RunResult t = run_cli({"apply", tmp / "b/model-last", tmp.file("one.txt", "I like tea.\n"),
                         tmp / "one.jsonl"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(read(tmp / "one.jsonl").find("\"tag\""), std::string::npos);
}

TEST(SourcingCli, FineTuneNerOnTopOfATrainedPipeline) {
  // spaCy's docs: source tok2vec and ner from a trained pipeline and keep training them. The
  // sourced components resume with their weights (not initialized again): with a learn rate of
  // 0 the predictions are the source's.
  TempDir tmp("trfpipe_sourcing_");
  const std::string data = ud_sample_with_ents(tmp, 40);
  const std::string a = trained_ner(tmp, data);
  const std::vector<nlohmann::json> original = predicted_ents(tmp, a);
  ASSERT_GT(count_ents(original), 0u);
  const std::string cfg = tmp.file(
      "c.cfg", "[paths]\ntrain = null\ndev = null\n\n[nlp]\nlang = \"en\"\n"
               "pipeline = [\"tok2vec\",\"ner\"]\n\n[components]\n\n[components.tok2vec]\nsource = \"" +
                   a + "\"\n\n[components.ner]\nsource = \"" + a +
                   "\"\n\n[training]\nmax_steps = 4\neval_frequency = 2\n\n" + kTrainingTail +
                   kNoLearning);
  RunResult r = train(tmp, cfg, tmp / "c", data);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("LOSS NER"), std::string::npos) << r.out;
  EXPECT_EQ(predicted_ents(tmp, tmp / "c/model-last"), original);

  // With a learn rate the ner trains further from there.
  RunResult more = train(tmp, cfg, tmp / "d", data, {"--training.optimizer.learn_rate", "0.01"});
  ASSERT_EQ(more.exit_code, 0) << more.err << more.out;
  RunResult e = run_cli({"evaluate", tmp / "d/model-last", data});
  ASSERT_EQ(e.exit_code, 0) << e.err << e.out;
  EXPECT_NE(e.out.find("NER F"), std::string::npos) << e.out;
}

TEST(SourcingCli, TransformerListenerBecomesItsOwnTransformer) {
  TempDir tmp("trfpipe_sourcing_");
  const std::string data = ud_sample_with_ents(tmp, 30);
  RunResult m = run_cli({"init", "model", tmp / "bert", "--arch", "bert", "--tokenizer",
                         std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt",
                         "--width", "32", "--layers", "1", "--heads", "2"});
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  const std::string trf =
      "[components.transformer]\nfactory = \"transformer\"\n\n[components.transformer.model]\n"
      "@architectures = \"spacy-transformers.TransformerModel.v3\"\nname = \"" + tmp / "bert" +
      "\"\n\n[components.transformer.model.get_spans]\n"
      "@span_getters = \"spacy-transformers.strided_spans.v1\"\nwindow = 128\nstride = 96\n\n";
  const std::string listener =
      "@architectures = \"spacy-transformers.TransformerListener.v1\"\ngrad_factor = 1.0\n"
      "upstream = \"*\"\n\n[components.ner.model.tok2vec.pooling]\n@layers = \"reduce_mean.v1\"\n\n";
  const std::string cfg = tmp.file(
      "a.cfg", "[paths]\ntrain = null\ndev = null\n\n[system]\nseed = 1\n\n[nlp]\nlang = \"en\"\n"
               "pipeline = [\"transformer\",\"ner\"]\n\n[components]\n\n" + trf + ner_block(listener) +
                   "[training]\nmax_steps = 30\neval_frequency = 10\n\n"
                   "[training.optimizer]\n@optimizers = \"Adam.v1\"\nlearn_rate = 0.01\n\n" +
                   kTrainingTail);
  RunResult r = train(tmp, cfg, tmp / "a", data);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::vector<nlohmann::json> original = predicted_ents(tmp, tmp / "a/model-last");
  ASSERT_GT(count_ents(original), 0u);

  fs::rename(tmp / "bert", tmp / "moved");  // the sourced ner needs only the trained pipeline
  const std::string b = tmp.file(
      "b.cfg", tagger_with_sourced_ner(tmp / "a/model-last", "replace_listeners = [\"model.tok2vec\"]\n",
                                       "frozen_components = [\"ner\"]\n"));
  r = train(tmp, b, tmp / "b", data);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(predicted_ents(tmp, tmp / "b/model-last"), original);
  const std::string saved = read(tmp / "b/model-last/config.cfg");
  EXPECT_NE(saved.find("@architectures = \"spacy-transformers.Tok2VecTransformer.v3\""),
            std::string::npos)
      << saved;
  EXPECT_EQ(saved.find("TransformerListener"), std::string::npos) << saved;
  EXPECT_TRUE(fs::exists(tmp / "b/model-last/ner/transformer/config.json"));
}

TEST(SourcingCli, ReplaceListenersFromCpp) {
  // nlp.replace_listeners without Python: the ner gets its own tok2vec, the shared one can go.
  TempDir tmp("trfpipe_sourcing_");
  const std::string data = ud_sample_with_ents(tmp, 40);
  const std::string a = trained_ner(tmp, data);
  auto nlp = trfpipe::Language::load(a);
  auto ents_of = [](trfpipe::Language& l) {
    std::vector<std::string> out;
    for (const char* t : {"Google and Microsoft opened offices in Paris and Berlin.",
                          "John Smith flew from London to New York on Monday."}) {
      trfpipe::Doc doc = l(t);
      for (const trfpipe::Span& s : doc.ents()) out.push_back(std::string(s.text()) + "/" + std::string(s.label_()));
    }
    return out;
  };
  const std::vector<std::string> before = ents_of(*nlp);
  ASSERT_FALSE(before.empty());
  EXPECT_THROW(nlp->replace_listeners("tok2vec", "ner", {"model.nope"}), trfpipe::ValueError);
  EXPECT_THROW(nlp->replace_listeners("nope", "ner", {"model.tok2vec"}), trfpipe::ValueError);
  nlp->replace_listeners("tok2vec", "ner", {"model.tok2vec"});
  nlp->remove_pipe("tok2vec");
  EXPECT_EQ(ents_of(*nlp), before);
  EXPECT_EQ(nlp->config()["components"]["ner"]["model"]["tok2vec"]["@architectures"],
            "spacy.HashEmbedCNN.v2");
  // Saved and loaded, it works alone.
  nlp->to_disk(tmp / "alone");
  auto loaded = trfpipe::Language::load(tmp / "alone");
  EXPECT_EQ(loaded->pipe_names(), std::vector<std::string>{"ner"});
  EXPECT_EQ(ents_of(*loaded), before);
}

TEST(SourcingCli, BadSourcesNameTheConfigPath) {
  TempDir tmp("trfpipe_sourcing_");
  // A pipeline trained one step is enough to source from.
  const std::string data = ud_sample_with_ents(tmp, 10);
  RunResult r = train(tmp, tmp.file("a.cfg", ner_config(1)), tmp / "trained", data);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  fs::rename(tmp / "trained/model-last", tmp / "a");
  struct Case {
    std::string source, extra, path, message;
  };
  const std::vector<Case> cases = {
      {tmp / "missing", "", "components -> ner -> source", "is not a pipeline folder"},
      {tmp.path.string(), "", "components -> ner -> source", "it has no config.cfg"},
      {tmp / "a", "component = \"parser\"\n", "components -> ner -> component",
       "has no component 'parser'"},
      {tmp / "a", "replace_listeners = [\"model.nope\"]\n", "components -> ner -> replace_listeners",
       "E886"},
      {tmp / "a", "replace_listeners = \"model.tok2vec\"\n",
       "components -> ner -> replace_listeners", "expected a list"},
      {tmp / "a", "hidden_width = 64\n", "components -> ner -> hidden_width",
       "takes its settings from its source"},
  };
  for (const Case& c : cases) {
    const std::string cfg = tmp.file("b.cfg", tagger_with_sourced_ner(c.source, c.extra, ""));
    RunResult b = run_cli({"assemble", cfg, tmp / "b"});
    EXPECT_EQ(b.exit_code, 1) << c.path << "\n" << b.err;
    EXPECT_NE(b.err.find(c.path), std::string::npos) << b.err;
    EXPECT_NE(b.err.find(c.message), std::string::npos) << b.err;
  }
  // `debug config` reports the same.
  const std::string cfg = tmp.file("b.cfg", tagger_with_sourced_ner(tmp / "missing", "", ""));
  RunResult d = run_cli({"debug", "config", cfg});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE((d.out + d.err).find("components -> ner -> source"), std::string::npos) << d.out << d.err;

  // Good sources assemble (without initializing them again): the weights are the source's.
  const std::string good = tmp.file(
      "good.cfg", "[nlp]\nlang = \"en\"\npipeline = [\"tok2vec\",\"ner\"]\n\n[components]\n\n"
                  "[components.tok2vec]\nsource = \"" + tmp / "a" + "\"\n\n"
                  "[components.ner]\nsource = \"" + tmp / "a" + "\"\ncomponent = \"ner\"\n");
  RunResult g = run_cli({"assemble", good, tmp / "good"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(read(tmp / "good/ner/model"), read(tmp / "a/ner/model"));
  EXPECT_EQ(read(tmp / "good/tok2vec/model"), read(tmp / "a/tok2vec/model"));
}

TEST(SourcingCli, InitTok2VecLoadsSavedTok2VecWeights) {
  TempDir tmp("trfpipe_sourcing_");
  const std::string data = ud_sample_with_ents(tmp, 20);
  RunResult r = train(tmp, tmp.file("a.cfg", ner_config(1)), tmp / "trained", data);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::rename(tmp / "trained/model-last", tmp / "a");
  // Initialized from the saved tok2vec and trained without learning: the weights are the file's.
  const std::string cfg = tmp.file(
      "b.cfg", ner_config(2, kNoLearning + "\n[initialize]\ninit_tok2vec = \"" +
                                 tmp / "a/tok2vec/model" + "\"\n"));
  r = train(tmp, cfg, tmp / "b", data);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(read(tmp / "b/model-last/tok2vec/model"), read(tmp / "a/tok2vec/model"));

  // Not a weights file: a clear error naming [initialize] init_tok2vec.
  const std::string bad = tmp.file(
      "bad.cfg", ner_config(2, "\n[initialize]\ninit_tok2vec = \"" +
                                   tmp.file("pretrain.bin", "\x84\xa5nodes") + "\"\n"));
  r = train(tmp, bad, tmp / "c", data);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("initialize -> init_tok2vec"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("spacy pretrain"), std::string::npos) << r.err;
}
