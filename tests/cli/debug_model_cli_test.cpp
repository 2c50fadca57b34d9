// `trfpipe debug model CONFIG COMPONENT` (spaCy's debug model): the model tree of a tagger on a
// tok2vec listener and on a transformer listener (a tiny random BERT) at spaCy's stages, the
// fallback to sample sentences without a corpus, and an unknown component.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

std::string shared(const std::string& rel) { return std::string(TRFPIPE_SHARED_DIR) + "/data/" + rel; }

// The first `n` sentences of UD EWT dev as a .spacy corpus; `tags` gets their distinct XPOS.
std::string ud_corpus(const TempDir& tmp, size_t n, std::set<std::string>& tags) {
  std::ifstream in(shared("corpora/ud_english_ewt/en_ewt-ud-dev.conllu"));
  std::ofstream out(tmp / "ud.conllu");
  size_t sents = 0;
  for (std::string line; std::getline(in, line);) {
    out << line << "\n";
    if (!line.empty() && line[0] != '#') {
      std::vector<std::string> cols;
      std::stringstream ss(line);
      for (std::string c; std::getline(ss, c, '\t');) cols.push_back(c);
      if (cols.size() > 4 && cols[0].find_first_of("-.") == std::string::npos) tags.insert(cols[4]);
    }
    if (line.empty() && ++sents == n) break;
  }
  out.close();
  fs::create_directories(tmp / "corpus");
  RunResult r = run_cli({"convert", tmp / "ud.conllu", tmp / "corpus", "-n", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return tmp / "corpus";
}

// The text of `out` from the divider line containing `title` to the next divider (or the end).
std::string stage(const std::string& out, const std::string& title) {
  const size_t at = out.find(title);
  if (at == std::string::npos) return "";
  const size_t end = out.find("\n=====", at);
  return out.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The numbers after each " - norm " in `text`.
std::vector<double> grad_norms(const std::string& text) {
  std::vector<double> out;
  for (size_t at = text.find(" - norm "); at != std::string::npos; at = text.find(" - norm ", at + 1))
    out.push_back(std::strtod(text.c_str() + at + 8, nullptr));
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(DebugModelCli, TaggerOnATok2VecListenerAtEveryStage) {
  TempDir tmp;
  std::set<std::string> tags;
  const std::string corpus = ud_corpus(tmp, 30, tags);
  ASSERT_GT(tags.size(), 5u);
  const std::string cfg = tmp / "tagger.cfg";
  RunResult init = run_cli({"init", "config", cfg, "-l", "en", "-p", "tagger"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  RunResult r = run_cli({"debug", "model", cfg, "tagger", "-DIM", "-PAR", "-GRAD", "-ATTR", "-P0",
                         "-P1", "-P2", "-P3", "--paths.train", corpus, "--paths.dev", corpus});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string before = stage(r.out, "STEP 0 - before training");
  const std::string after_init = stage(r.out, "STEP 1 - after initialization");
  const std::string trained = stage(r.out, "STEP 2 - after training");
  const std::string prediction = stage(r.out, "STEP 3 - prediction");
  // The tree: the architecture, the listener, the output layer (known once initialized).
  EXPECT_TRUE(contains(before, "Layer 0: 'spacy.Tagger.v2' at model")) << r.out;
  EXPECT_TRUE(contains(before, "'spacy.Tok2VecListener.v1' at model.tok2vec")) << r.out;
  EXPECT_TRUE(contains(before, "dim nO: null")) << before;
  EXPECT_TRUE(contains(before, "attr upstream: *")) << before;
  const std::string n_tags = std::to_string(tags.size());
  EXPECT_TRUE(contains(after_init, "dim nO: " + n_tags + " (from softmax.W)")) << after_init;
  EXPECT_TRUE(contains(after_init, "param W: (" + n_tags + ", 96)")) << after_init;
  EXPECT_TRUE(contains(after_init, "grad W: False")) << after_init;
  EXPECT_TRUE(contains(r.out, "Initialized the model with the training corpus")) << r.out;
  EXPECT_TRUE(contains(r.out, "Updated ['tok2vec', 'tagger'] 3 times")) << r.out;
  // Training on tagged sentences leaves gradients on the output layer's W and b.
  std::vector<double> norms = grad_norms(trained);
  ASSERT_EQ(norms.size(), 2u) << trained;
  EXPECT_GT(norms[0], 0.0);
  EXPECT_GT(norms[1], 0.0);
  // The prediction: the first 5 examples, tagged.
  EXPECT_EQ(count(prediction, "\"tag\":"), count(prediction, "\"id\":")) << prediction;
  EXPECT_EQ(count(prediction, "{\"text\":"), 5u) << prediction;
  EXPECT_TRUE(contains(r.out, "Successfully ended analysis")) << r.out;

  // -l picks layers by their number; nothing printed without -P.
  RunResult one = run_cli({"debug", "model", cfg, "tagger", "-l", "1", "-PAR", "-P1",
                           "--paths.train", corpus, "--paths.dev", corpus});
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_TRUE(contains(one.out, "Layer 1: 'softmax' at model.softmax")) << one.out;
  EXPECT_FALSE(contains(one.out, "Layer 0:")) << one.out;
  EXPECT_FALSE(contains(one.out, "Layer 2:")) << one.out;
  RunResult quiet = run_cli({"debug", "model", cfg, "tagger", "--paths.train", corpus,
                             "--paths.dev", corpus});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;
  EXPECT_FALSE(contains(quiet.out, "Layer ")) << quiet.out;
}

TEST(DebugModelCli, TaggerOnATransformerListener) {
  TempDir tmp;
  std::set<std::string> tags;
  const std::string corpus = ud_corpus(tmp, 10, tags);
  RunResult model = run_cli({"init", "model", tmp / "tiny-bert", "--arch", "bert", "--layers", "1",
                             "--width", "32", "--heads", "2", "--tokenizer",
                             shared("tokenizers/bert-base-uncased-vocab.txt")});
  ASSERT_EQ(model.exit_code, 0) << model.out << model.err;
  const std::string cfg = tmp / "trf.cfg";
  RunResult init = run_cli({"init", "config", cfg, "-l", "en", "-p", "tagger", "--transformer",
                            tmp / "tiny-bert"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  RunResult r = run_cli({"debug", "model", cfg, "tagger", "-DIM", "-GRAD", "-P2", "-P3",
                         "--paths.train", corpus, "--paths.dev", corpus, "--seed", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "Fixing random seed: 1")) << r.out;
  const std::string trained = stage(r.out, "STEP 2 - after training");
  EXPECT_TRUE(contains(trained, "'spacy-transformers.TransformerListener.v1' at model.tok2vec"))
      << trained;
  EXPECT_TRUE(contains(trained, "'reduce_mean.v1' at model.tok2vec.pooling")) << trained;
  EXPECT_TRUE(contains(trained, "dim nI: 32")) << trained;  // the tiny BERT's width
  EXPECT_TRUE(contains(r.out, "Updated ['transformer', 'tagger'] 3 times")) << r.out;
  std::vector<double> norms = grad_norms(trained);
  ASSERT_EQ(norms.size(), 2u) << trained;
  EXPECT_GT(norms[0], 0.0);

  // The transformer itself: its encoder's parameter groups by their Hugging Face names.
  RunResult trf = run_cli({"debug", "model", cfg, "transformer", "-PAR", "-P1", "--paths.train",
                           corpus, "--paths.dev", corpus});
  ASSERT_EQ(trf.exit_code, 0) << trf.out << trf.err;
  EXPECT_TRUE(contains(trf.out, "Layer 0: 'spacy-transformers.TransformerModel.v3' at model"))
      << trf.out;
  EXPECT_TRUE(contains(trf.out, "'embeddings.word_embeddings' at model.embeddings.word_embeddings"))
      << trf.out;
  EXPECT_TRUE(contains(trf.out, "param weight: (30522, 32)")) << trf.out;
}

TEST(DebugModelCli, WithoutACorpusUsesSampleSentencesAndAnUnknownComponentIsNamed) {
  TempDir tmp;
  const std::string cfg = tmp / "tagger.cfg";
  RunResult init = run_cli({"init", "config", cfg, "-l", "en", "-p", "tagger"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  RunResult r = run_cli({"debug", "model", cfg, "tagger", "-DIM", "-P1", "-P3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "Initialized the model with dummy data")) << r.out;
  EXPECT_TRUE(contains(r.out, "dim nO: 7 (from softmax.W)")) << r.out;
  const std::string prediction = stage(r.out, "STEP 3 - prediction");
  EXPECT_TRUE(contains(prediction, "Apple is looking at buying U.K. startup for $1 billion"))
      << prediction;
  EXPECT_EQ(count(prediction, "{\"text\":"), 4u) << prediction;

  RunResult bad = run_cli({"debug", "model", cfg, "parser"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  const std::string all = bad.out + bad.err;
  EXPECT_TRUE(contains(all, "No component 'parser' found in pipeline")) << all;
  EXPECT_TRUE(contains(all, "['tok2vec', 'tagger']")) << all;
  RunResult layers = run_cli({"debug", "model", cfg, "tagger", "-l", "1,x"});
  EXPECT_NE(layers.exit_code, 0);
  EXPECT_TRUE(contains(layers.out + layers.err, "'x'")) << layers.out << layers.err;
}
