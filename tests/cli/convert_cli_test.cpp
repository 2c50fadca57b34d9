// `trfpipe convert` run as a process: converts the shared corpora and reads the .spacy back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_cli.hpp"
#include "common/temp_dir.hpp"
#include "trfpipe/data.hpp"

namespace fs = std::filesystem;
using namespace trfpipe;

namespace {

struct CliResult {
  int rc = -1;
  std::string out;  // stdout then stderr
  std::string std_out;
};

CliResult run_convert(std::vector<std::string> args) {
  args.insert(args.begin(), "convert");
  trfpipe::testing::RunResult r = trfpipe::testing::run_cli(args);
  return {r.exit_code, r.out + r.err, r.out};
}

std::string shared(const std::string& rel) { return std::string(TRFPIPE_SHARED_DIR) + "/" + rel; }

class ConvertCli : public ::testing::Test {
 protected:
  std::string out_dir() const { return dir_.string(); }
  trfpipe::testing::TempDir tmp_{"trfpipe_convert_cli_"};
  const fs::path dir_ = tmp_.path;
};

}  // namespace

TEST_F(ConvertCli, ConvertsUdDevConlluAndReadsBack) {
  CliResult r = run_convert({shared("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), out_dir()});
  ASSERT_EQ(r.rc, 0) << r.out;
  const std::string out = (dir_ / "en_ewt-ud-dev.spacy").string();
  EXPECT_NE(r.out.find("\u2714 Generated output file (2001 documents): " + out), std::string::npos) << r.out;
  auto docs = read_docbin(out, std::make_shared<Vocab>());
  EXPECT_EQ(docs.size(), 2001u);
  size_t tokens = 0;
  for (auto& d : docs) tokens += d.size();
  EXPECT_EQ(tokens, 25147u);
}

TEST_F(ConvertCli, NSentsGroupsSentences) {
  CliResult r = run_convert({shared("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), out_dir(), "-n", "10"});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("(201 documents)"), std::string::npos) << r.out;
  EXPECT_EQ(read_docbin((dir_ / "en_ewt-ud-dev.spacy").string(), std::make_shared<Vocab>()).size(), 201u);
}

TEST_F(ConvertCli, ConvertsWnutConllWithAutoDetection) {
  CliResult r = run_convert({shared("data/corpora/wnut17/emerging.dev.conll"), out_dir()});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("Auto-detected token-per-line NER format"), std::string::npos) << r.out;
  auto docs = read_docbin((dir_ / "emerging.dev.spacy").string(), std::make_shared<Vocab>());
  EXPECT_EQ(docs.size(), 1009u);
  size_t ents = 0;
  for (auto& d : docs) ents += d.ents().size();
  EXPECT_EQ(ents, 836u);
}

TEST_F(ConvertCli, ConvertsGoemotionsWithLabels) {
  CliResult r = run_convert({shared("data/corpora/goemotions/dev.tsv"), out_dir(), "--labels",
                             shared("data/corpora/goemotions/labels.txt")});
  ASSERT_EQ(r.rc, 0) << r.out;
  auto docs = read_docbin((dir_ / "dev.spacy").string(), std::make_shared<Vocab>());
  ASSERT_EQ(docs.size(), 5426u);
  EXPECT_EQ(docs[0].cats().size(), 28u);
}

TEST_F(ConvertCli, JsonToStdout) {
  std::ofstream(dir_ / "s.iob") << "I|O like|O London|B-GPE\nBye|O\n";
  CliResult r = run_convert({(dir_ / "s.iob").string(), "-", "--file-type", "json"});
  ASSERT_EQ(r.rc, 0) << r.out;
  auto j = nlohmann::json::parse(r.std_out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["paragraphs"].size(), 2u);
  EXPECT_EQ(j[0]["paragraphs"][0]["entities"][0][2], "GPE");
}

TEST_F(ConvertCli, DirectoryInputPerFileAndConcatenated) {
  fs::create_directories(dir_ / "in" / "sub");
  std::ofstream(dir_ / "in" / "a.iob") << "I|O like|O London|B-GPE\nBye|O\n";
  std::ofstream(dir_ / "in" / "sub" / "b.conll") << "Paris B-LOC\n\nok O\n\nyes O\n";
  fs::create_directories(dir_ / "out");
  CliResult r = run_convert({(dir_ / "in").string(), (dir_ / "out").string()});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(read_docbin((dir_ / "out" / "a.spacy").string(), std::make_shared<Vocab>()).size(), 2u);
  EXPECT_EQ(read_docbin((dir_ / "out" / "sub" / "b.spacy").string(), std::make_shared<Vocab>()).size(), 3u);

  r = run_convert({(dir_ / "in").string(), out_dir(), "--concatenate"});
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("(5 documents)"), std::string::npos) << r.out;
  EXPECT_EQ(read_docbin((dir_ / "in.spacy").string(), std::make_shared<Vocab>()).size(), 5u);
}

TEST_F(ConvertCli, ErrorsExitNonZeroWithAMessage) {
  CliResult r = run_convert({(dir_ / "missing.conllu").string(), out_dir()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("Input file not found"), std::string::npos) << r.out;

  r = run_convert({shared("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), (dir_ / "nope").string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("Output directory not found"), std::string::npos) << r.out;

  r = run_convert({shared("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("Can't write .spacy data to stdout"), std::string::npos) << r.out;

  r = run_convert({shared("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), out_dir(), "-c", "xml"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("Can't find converter for xml"), std::string::npos) << r.out;

  const std::string bad = (dir_ / "bad.conllu").string();
  std::ofstream(bad) << "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n2\tthere\n";
  r = run_convert({bad, out_dir()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find(bad + ":2"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "bad.spacy"));
}
