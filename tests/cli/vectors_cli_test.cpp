// trfpipe init vectors end to end: a GloVe-format file -> a blank pipeline with vocab/vectors ->
// a tagger config with include_static_vectors = true and [initialize] vectors trains, saves, and
// its saved pipeline gives the same outputs on every load; bad vectors files fail naming the
// file and line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;

namespace {

// GloVe format (no header): a vector for frequent English words, made from the word's letters
// and its rank.
std::string glove_file(const TempDir& tmp) {
  std::ostringstream out;
  const char* words[] = {"the", "a", ",", ".", "I", "to", "and", "of", "is", "in", "it",
                         "you", "that", "for", "was", "on", "this", "with", "have", "be"};
  int i = 0;
  for (const char* w : words) {  // distinct rows (identical ones would be stored once)
    out << w;
    const std::string s(w);
    out << " " << (float(i) / 10.f - 1.f);  // a first value of its own per word
    for (int k = 1; k < 6; ++k)
      out << " " << (float((uint8_t(s[size_t(k) % s.size()]) + 7 * i + 3 * k) % 17) / 8.f - 1.f);
    out << "\n";
    ++i;
  }
  return tmp.file("glove.6d.txt", out.str());
}

std::string ud_sample(const TempDir& tmp, size_t n) {
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) +
                   "/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu");
  std::ostringstream out;
  size_t sents = 0;
  for (std::string line; std::getline(in, line);) {
    out << line << "\n";
    if (line.empty() && ++sents == n) break;
  }
  tmp.file("sample.conllu", out.str());
  fs::create_directories(tmp / "data");
  RunResult r = run_cli({"convert", tmp / "sample.conllu", tmp / "data", "-n", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  return tmp / "data/sample.spacy";
}

std::string vectors_config(const TempDir& tmp) {
  return tmp.file(
      "config.cfg",
      "[paths]\ntrain = null\ndev = null\nvectors = null\n\n[system]\nseed = 1\n\n"
      "[nlp]\nlang = \"en\"\npipeline = [\"tok2vec\",\"tagger\"]\n\n[components]\n\n"
      "[components.tok2vec]\nfactory = \"tok2vec\"\n\n"
      "[components.tok2vec.model]\n@architectures = \"spacy.Tok2Vec.v2\"\n\n"
      "[components.tok2vec.model.embed]\n@architectures = \"spacy.MultiHashEmbed.v2\"\n"
      "width = 32\nattrs = [\"NORM\",\"PREFIX\",\"SUFFIX\",\"SHAPE\"]\nrows = [500,250,250,250]\n"
      "include_static_vectors = true\n\n"
      "[components.tok2vec.model.encode]\n@architectures = \"spacy.MaxoutWindowEncoder.v2\"\n"
      "width = 32\ndepth = 1\nwindow_size = 1\nmaxout_pieces = 2\n\n"
      "[components.tagger]\nfactory = \"tagger\"\n\n"
      "[components.tagger.model]\n@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
      "[components.tagger.model.tok2vec]\n@architectures = \"spacy.Tok2VecListener.v1\"\n"
      "width = 32\nupstream = \"*\"\n\n"
      "[corpora]\n\n[corpora.train]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.train}\n\n"
      "[corpora.dev]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.dev}\n\n"
      "[training]\nmax_steps = 6\neval_frequency = 3\n\n"
      "[training.batcher]\n@batchers = \"spacy.batch_by_words.v1\"\nsize = 200\n\n"
      "[initialize]\nvectors = ${paths.vectors}\n");
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST(InitVectorsCli, GloveToPipelineTrainSaveAndReloadWithIdenticalOutputs) {
  TempDir tmp;
  RunResult v = run_cli({"init", "vectors", "en", glove_file(tmp), tmp / "vectors", "--name",
                         "test.glove.6d"});
  ASSERT_EQ(v.exit_code, 0) << v.err << v.out;
  EXPECT_NE(v.out.find("\u2714 Successfully converted 20 vectors"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("'vectors' setting in [initialize]"), std::string::npos) << v.out;
  ASSERT_TRUE(fs::exists(tmp / "vectors/vocab/vectors"));
  ASSERT_TRUE(fs::exists(tmp / "vectors/vocab/key2row"));
  ASSERT_TRUE(fs::exists(tmp / "vectors/vocab/vectors.cfg"));
  nlohmann::json meta = read_json(tmp / "vectors/meta.json");
  EXPECT_EQ(meta["vectors"]["width"], 6);
  EXPECT_EQ(meta["vectors"]["vectors"], 20);
  EXPECT_EQ(meta["vectors"]["keys"], 20);
  EXPECT_EQ(meta["vectors"]["name"], "test.glove.6d");

  const std::string data = ud_sample(tmp, 40);
  RunResult t = run_cli({"train", vectors_config(tmp), "--output", tmp / "out", "--paths.train",
                         data, "--paths.dev", data, "--paths.vectors", tmp / "vectors"});
  ASSERT_EQ(t.exit_code, 0) << t.err << t.out;
  ASSERT_TRUE(fs::exists(tmp / "out/model-last/vocab/vectors"));
  EXPECT_EQ(read_json(tmp / "out/model-last/meta.json")["vectors"]["name"], "test.glove.6d");

  // Two loads of the saved pipeline (the vectors mapped from model-last/vocab) agree to the bit.
  tmp.file("in.txt", "I have a book and it is on the table .\nThis was in the news of the day .\n");
  RunResult a1 = run_cli({"apply", tmp / "out/model-last", tmp / "in.txt", tmp / "a1.jsonl"});
  ASSERT_EQ(a1.exit_code, 0) << a1.err;
  RunResult a2 = run_cli({"apply", tmp / "out/model-last", tmp / "in.txt", tmp / "a2.jsonl"});
  ASSERT_EQ(a2.exit_code, 0) << a2.err;
  std::ifstream f1(tmp / "a1.jsonl"), f2(tmp / "a2.jsonl");
  std::string s1((std::istreambuf_iterator<char>(f1)), {}), s2((std::istreambuf_iterator<char>(f2)), {});
  EXPECT_FALSE(s1.empty());
  EXPECT_EQ(s1, s2);
  EXPECT_NE(s1.find("\"tag\""), std::string::npos);

  // The same config without vectors fails clearly at its first update.
  RunResult n = run_cli({"train", tmp / "config.cfg", "--output", tmp / "out2", "--paths.train",
                         data, "--paths.dev", data});
  EXPECT_EQ(n.exit_code, 1);
  EXPECT_NE(n.err.find("E896"), std::string::npos) << n.err;
  // [initialize] vectors naming a folder without vectors: E884 with the config path.
  RunResult m = run_cli({"train", tmp / "config.cfg", "--output", tmp / "out3", "--paths.train",
                         data, "--paths.dev", data, "--paths.vectors", tmp / "data"});
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_NE(m.err.find("E884"), std::string::npos) << m.err;
}

TEST(InitVectorsCli, PruneTruncateAndGzip) {
  TempDir tmp;
  const std::string glove = glove_file(tmp);
  RunResult p = run_cli({"init", "vectors", "en", glove, tmp / "pruned", "--prune", "5"});
  ASSERT_EQ(p.exit_code, 0) << p.err << p.out;
  nlohmann::json meta = read_json(tmp / "pruned/meta.json");
  EXPECT_EQ(meta["vectors"]["vectors"], 5);
  EXPECT_EQ(meta["vectors"]["keys"], 20);  // every word still has a (shared) row
  EXPECT_EQ(meta["vectors"]["name"], "en_pipeline.vectors");
  RunResult t = run_cli({"init", "vectors", "en", glove, tmp / "short", "-t", "3"});
  ASSERT_EQ(t.exit_code, 0) << t.err << t.out;
  EXPECT_EQ(read_json(tmp / "short/meta.json")["vectors"]["keys"], 3);
  ASSERT_EQ(std::system(("gzip -k " + glove).c_str()), 0);
  RunResult g = run_cli({"init", "vectors", "en", glove + ".gz", tmp / "gz"});
  ASSERT_EQ(g.exit_code, 0) << g.err << g.out;
  EXPECT_NE(g.out.find("converted 20 vectors"), std::string::npos);
  RunResult f = run_cli({"init", "vectors", "en", glove, tmp / "floret", "--mode", "floret"});
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.err.find("floret"), std::string::npos) << f.err;
}

TEST(InitVectorsCli, BadVectorsFilesNameTheFileAndLine) {
  TempDir tmp;
  const std::string ragged = tmp.file("ragged.txt", "the 0.1 0.2 0.3\nof 0.4 0.5 0.6\nand 0.7 0.8\n");
  RunResult r = run_cli({"init", "vectors", "en", ragged, tmp / "out"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(ragged + ":3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has 2 values"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out"));
  const std::string word = tmp.file("word.txt", "3 2\nthe 0.1 0.2\nof 0.4 zero\n");
  r = run_cli({"init", "vectors", "en", word, tmp / "out"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(word + ":3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'zero' is not a number"), std::string::npos) << r.err;
  const std::string empty = tmp.file("empty.txt", "");
  r = run_cli({"init", "vectors", "en", empty, tmp / "out"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(empty), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("empty"), std::string::npos) << r.err;
  r = run_cli({"init", "vectors", "en", ragged, tmp / "out", "--prune", "x"});
  EXPECT_EQ(r.exit_code, 2);  // a usage error
}

TEST(InitVectorsCli, InitConfigForAccuracyIncludesTheGivenVectors) {
  TempDir tmp;
  RunResult v = run_cli({"init", "vectors", "en", glove_file(tmp), tmp / "vectors"});
  ASSERT_EQ(v.exit_code, 0) << v.err << v.out;
  // As spaCy's quickstart for accuracy on the CPU: [paths] vectors and include_static_vectors.
  RunResult c = run_cli({"init", "config", tmp / "acc.cfg", "-p", "tagger", "-o", "accuracy",
                         "--vectors", tmp / "vectors"});
  ASSERT_EQ(c.exit_code, 0) << c.err << c.out;
  std::ifstream in(tmp / "acc.cfg");
  const std::string cfg((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(cfg.find("vectors = \"" + (tmp / "vectors") + "\""), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("include_static_vectors = true"), std::string::npos) << cfg;
  const std::string data = ud_sample(tmp, 10);
  RunResult t = run_cli({"train", tmp / "acc.cfg", "--output", tmp / "out", "--paths.train", data,
                         "--paths.dev", data, "--training.max_steps", "2",
                         "--training.eval_frequency", "1"});
  ASSERT_EQ(t.exit_code, 0) << t.err << t.out;
  EXPECT_TRUE(fs::exists(tmp / "out/model-last/vocab/vectors"));
  // For efficiency (spaCy: no word vectors) they are left out, and the command says so.
  RunResult e = run_cli({"init", "config", tmp / "eff.cfg", "-p", "tagger", "--vectors",
                         tmp / "vectors"});
  ASSERT_EQ(e.exit_code, 0) << e.err << e.out;
  EXPECT_NE(e.out.find("not included"), std::string::npos) << e.out;
  std::ifstream in2(tmp / "eff.cfg");
  const std::string eff((std::istreambuf_iterator<char>(in2)), {});
  EXPECT_NE(eff.find("include_static_vectors = false"), std::string::npos) << eff;
  // A folder without vectors is refused before anything is written.
  RunResult bad = run_cli({"init", "config", tmp / "bad.cfg", "-p", "tagger", "-o", "accuracy",
                           "--vectors", tmp / "data"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE((bad.out + bad.err).find("Vectors not found"), std::string::npos) << bad.out << bad.err;
  EXPECT_FALSE(fs::exists(tmp / "bad.cfg"));
}
