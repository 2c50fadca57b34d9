// The CLI options and commands spaCy users type (issue 14): `train -V` and a config from stdin
// ("-"), `evaluate --per-component`, `apply --text-key` with a directory of inputs, `info`,
// `benchmark speed` and `find-threshold`, each run as a process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"
#include "sample_data.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::run_process;
using trfpipe::testing::RunOptions;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;
using trfpipe::testing::review_cats_sample;
using trfpipe::testing::ud_sample_with_ents;

namespace {

std::string read(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kTaggerConfig =
    "[paths]\ntrain = null\ndev = null\n\n[system]\nseed = 1\n\n[nlp]\nlang = \"en\"\n"
    "pipeline = [\"tagger\"]\n\n[components]\n\n[components.tagger]\nfactory = \"tagger\"\n\n"
    "[components.tagger.model]\n@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
    "[components.tagger.model.tok2vec]\n@architectures = \"spacy.HashEmbedCNN.v2\"\n"
    "pretrained_vectors = null\nwidth = 32\ndepth = 1\nembed_size = 500\nwindow_size = 1\n"
    "maxout_pieces = 2\nsubword_features = true\n\n"
    "[corpora]\n\n[corpora.train]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.train}\n\n"
    "[corpora.dev]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.dev}\n\n"
    "[training]\nmax_steps = 4\neval_frequency = 2\n\n"
    "[training.batcher]\n@batchers = \"spacy.batch_by_words.v1\"\nsize = 300\n";

const std::string kSentencizerConfig =
    "[nlp]\nlang = \"en\"\npipeline = [\"sentencizer\"]\n\n[components]\n\n"
    "[components.sentencizer]\nfactory = \"sentencizer\"\n";

}  // namespace

TEST(SpacyOptionsCli, TrainReadsTheConfigFromStdinAndVerboseLogs) {
  TempDir tmp("trfpipe_options_");
  const std::string data = ud_sample_with_ents(tmp, 10);
  RunOptions in;
  in.stdin_text = kTaggerConfig;
  RunResult r = run_process({"train", "-", "--output", tmp / "out", "--paths.train", data,
                             "--paths.dev", data, "-V"},
                            in);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.err.find("] [INFO] Set up nlp object from config"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("] [INFO] Pipeline: ['tagger']"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("] [INFO] Initialized pipeline components: ['tagger']"), std::string::npos);
  EXPECT_TRUE(fs::exists(tmp / "out/model-last/config.cfg"));
  // Without -V: no logger lines.
  r = run_process({"train", "-", "--paths.train", data, "--paths.dev", data}, in);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("[INFO]"), std::string::npos) << r.err;

  // Errors in a config from stdin name <stdin>.
  RunOptions bad;
  bad.stdin_text = "[nlp]\nlang = \"en\"\npipeline = [\"tagger\"]\n[components]\n";
  r = run_process({"debug", "config", "-"}, bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("<stdin>"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tagger"), std::string::npos) << r.err;
  bad.stdin_text = "[nlp\nlang = \"en\"\n";
  r = run_process({"config", "dump", "-"}, bad);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("<stdin>"), std::string::npos) << r.err;
  RunOptions good;
  good.stdin_text = kSentencizerConfig;
  r = run_process({"assemble", "-", tmp / "assembled"}, good);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read(tmp / "assembled/config.cfg").find("[components.sentencizer]"), std::string::npos);
}

TEST(SpacyOptionsCli, EvaluatePerComponentWritesScoresPerComponent) {
  TempDir tmp("trfpipe_options_");
  const std::string data = ud_sample_with_ents(tmp, 10);
  RunResult r = run_cli({"train", tmp.file("c.cfg", kTaggerConfig), "--output", tmp / "out",
                         "--paths.train", data, "--paths.dev", data});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = run_cli({"evaluate", tmp / "out/model-last", data, "--per-component", "--output",
               tmp / "scores.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("Per-component scores will be saved to output JSON file."), std::string::npos);
  EXPECT_EQ(r.out.find("Results"), std::string::npos) << r.out;  // no tables
  nlohmann::json s = nlohmann::json::parse(read(tmp / "scores.json"));
  ASSERT_TRUE(s.contains("tagger")) << s.dump();
  EXPECT_TRUE(s["tagger"].contains("tag_acc")) << s.dump();
  EXPECT_TRUE(s["tokenizer"].contains("token_acc")) << s.dump();
  EXPECT_FALSE(s.contains("tag_acc"));
  EXPECT_TRUE(s.contains("speed"));
  r = run_cli({"evaluate", tmp / "out/model-last", data, "-P"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no output JSON file"), std::string::npos) << r.out;
}

TEST(SpacyOptionsCli, ApplyReadsADirectoryWithATextKey) {
  TempDir tmp("trfpipe_options_");
  fs::create_directories(tmp.path / "in/sub");
  fs::create_directories(tmp.path / "in/.hidden");
  tmp.file("in/a.jsonl", "{\"body\": \"First text.\"}\n{\"body\": \"Second one.\"}\n");
  tmp.file("in/sub/b.txt", "Third line.\nFourth line.\n");
  tmp.file("in/.hidden/c.txt", "Never read.\n");
  RunResult r = run_cli({"apply", "blank:en", tmp / "in", tmp / "out.jsonl", "--text-key", "body"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::vector<std::string> texts;
  std::ifstream f(tmp / "out.jsonl");
  for (std::string line; std::getline(f, line);) texts.push_back(nlohmann::json::parse(line)["text"]);
  EXPECT_EQ(texts, (std::vector<std::string>{"First text.", "Second one.", "Third line.", "Fourth line."}));
  // A JSONL file of the directory without the key: the error names its file and line.
  tmp.file("in/z.jsonl", "{\"text\": \"no body\"}\n");
  r = run_cli({"apply", "blank:en", tmp / "in", tmp / "out2.jsonl", "-tk", "body"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(tmp / "in/z.jsonl" + ":1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"body\""), std::string::npos) << r.err;
}

TEST(SpacyOptionsCli, InfoAboutTrfpipeAndAPipeline) {
  TempDir tmp("trfpipe_options_");
  RunResult r = run_cli({"info"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Info about trfpipe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("trfpipe version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Platform"), std::string::npos) << r.out;
  r = run_cli({"assemble", tmp.file("c.cfg", kSentencizerConfig), tmp / "p"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"info", tmp / "p"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Info about pipeline '" + tmp / "p" + "'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("['sentencizer']"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("labels"), std::string::npos) << r.out;  // excluded by default
  r = run_cli({"info", tmp / "p", "--markdown", "-e", "lang,version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("## Info about pipeline"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* **trfpipe_version:** 0.1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* **labels:**"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("* **lang:**"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("* **source:**"), std::string::npos) << r.out;  // an existing path
  r = run_cli({"info", tmp / "missing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Can't find pipeline"), std::string::npos) << r.err;
}

TEST(SpacyOptionsCli, BenchmarkSpeedPrintsOutliersAndAConfidenceInterval) {
  TempDir tmp("trfpipe_options_");
  const std::string data = ud_sample_with_ents(tmp, 10);
  RunResult r = run_cli({"benchmark", "speed", "blank:en", data, "--batches", "30", "-b", "2",
                         "-w", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("Warming up for 1 epochs..."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Benchmarking 30 batches..."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Outliers: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("%, extreme outliers: "), std::string::npos) << r.out;
  const size_t mean = r.out.find("Mean: ");
  ASSERT_NE(mean, std::string::npos) << r.out;
  double wps = 0, low = 0, high = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str() + mean, "Mean: %lf words/s (95%% CI: %lf +%lf)", &wps, &low,
                        &high),
            3)
      << r.out;
  EXPECT_GT(wps, 0);
  EXPECT_LE(low, 0);
  EXPECT_GE(high, 0);
  r = run_cli({"benchmark", "speed", "blank:en", data, "--batches", "29"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--batches must be at least 30"), std::string::npos) << r.err;
  r = run_cli({"benchmark", "speed", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--no-shuffle"), std::string::npos) << r.out;
}

// The GEMM backend chosen when libtrfpipe.so loads is reported by `info` and in `benchmark
// speed`'s header; TRFPIPE_GEMM=aten switches oneDNN off, =sgemm the packed weights, and both say so.
TEST(SpacyOptionsCli, InfoAndBenchmarkSpeedReportTheGemmBackend) {
  TempDir tmp("trfpipe_options_");
  // The value of the "Inference GEMM" row or line ("" when there is none).
  auto gemm_line = [](const std::string& out) {
    size_t at = out.find("Inference GEMM");
    if (at == std::string::npos) return std::string();
    at = out.find_first_not_of(": ", at + 14);
    std::string value = out.substr(at, out.find('\n', at) - at);
    return value.erase(value.find_last_not_of(' ') + 1);  // table cells are padded
  };
  RunResult r = run_cli({"info"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string chosen = gemm_line(r.out);
  ASSERT_FALSE(chosen.empty()) << r.out;
  // Debian's LibTorch links oneDNN: its sgemm is the default wherever it is found.
  EXPECT_TRUE(chosen.rfind("oneDNN dnnl_sgemm (", 0) == 0 ||
              chosen.find("no oneDNN in this LibTorch") != std::string::npos)
      << chosen;
  // Packing for oneDNN's matmul primitive is said where it runs, and TRFPIPE_GEMM=sgemm turns it off.
  const std::string packed = "encoder weights from files packed for oneDNN's matmul primitive";
  if (chosen.find(packed) != std::string::npos) {
    RunOptions sgemm;
    sgemm.env = {"TRFPIPE_GEMM=sgemm"};
    r = run_process({"info"}, sgemm);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(gemm_line(r.out).rfind("oneDNN dnnl_sgemm (", 0), 0u) << r.out;
    EXPECT_EQ(gemm_line(r.out).find(packed), std::string::npos) << r.out;
  }
  RunOptions aten;
  aten.env = {"TRFPIPE_GEMM=aten"};
  r = run_process({"info"}, aten);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(gemm_line(r.out).find("ATen"), std::string::npos) << r.out;
  EXPECT_NE(gemm_line(r.out).find("(TRFPIPE_GEMM=aten)"), std::string::npos) << r.out;
  EXPECT_EQ(gemm_line(r.out).find("oneDNN"), std::string::npos) << r.out;

  const std::string data = ud_sample_with_ents(tmp, 10);
  RunOptions train;
  train.stdin_text = kTaggerConfig;
  r = run_process({"train", "-", "--output", tmp / "out", "--paths.train", data, "--paths.dev", data}, train);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  r = run_process({"benchmark", "speed", tmp / "out/model-last", data, "--batches", "30", "-b", "1", "-w", "0"},
                  aten);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.out.rfind("Inference GEMM: ATen", 0), 0u) << r.out;  // the header's first line
  EXPECT_NE(gemm_line(r.out).find("(TRFPIPE_GEMM=aten)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Threads per operation: "), std::string::npos) << r.out;
  r = run_cli({"benchmark", "speed", tmp / "out/model-last", data, "--batches", "30", "-b", "1", "-w", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(gemm_line(r.out), chosen) << r.out;
  // A pipeline without LibTorch components does not load it to answer.
  r = run_cli({"benchmark", "speed", "blank:en", data, "--batches", "30", "-b", "2", "-w", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(gemm_line(r.out), "none (no LibTorch component)") << r.out;
}

TEST(SpacyOptionsCli, FindThresholdOfAMultilabelTextcat) {
  TempDir tmp("trfpipe_options_");
  const std::string data = review_cats_sample(tmp);
  RunResult r;
  r = run_cli({"init", "config", tmp / "c.cfg", "-p", "textcat_multilabel"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"train", tmp / "c.cfg", "--output", tmp / "out", "--paths.train", data,
               "--paths.dev", data, "--training.max_steps", "6", "--training.eval_frequency", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::string model = tmp / "out/model-last";
  r = run_cli({"find-threshold", model, data, "textcat_multilabel", "threshold", "cats_macro_f",
               "-n", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("Optimizing for cats_macro_f for component 'textcat_multilabel' with 5 trials."),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Threshold    cats_macro_f"), std::string::npos) << r.out;
  for (const char* t : {"\n0.0    ", "\n0.25   ", "\n0.5    ", "\n0.75   ", "\n1.0    "})
    EXPECT_NE(r.out.find(t), std::string::npos) << t << "\n" << r.out;
  // At threshold 1.0 nothing is positive, at 0.0 everything: the scores differ.
  EXPECT_NE(r.out.find("Best threshold: "), std::string::npos) << r.out;

  r = run_cli({"find-threshold", model, data, "textcat_multilabel", "nope", "cats_macro_f"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("E1042"), std::string::npos) << r.err;
  r = run_cli({"find-threshold", model, data, "textcat_multilabel", "threshold", "nope", "-n", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("E1041"), std::string::npos) << r.err;
  r = run_cli({"find-threshold", model, data, "nope", "threshold", "cats_macro_f"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("E001"), std::string::npos) << r.err;
}

TEST(SpacyOptionsCli, ConfigDumpHelpWorks) {
  RunResult r = run_cli({"config", "dump", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--format"), std::string::npos) << r.out;
}

TEST(SpacyOptionsCli, ConvertMergesSubtokensAndSegmentsSentences) {
  TempDir tmp("trfpipe_options_");
  const std::string conllu = tmp.file(
      "mwt.conllu",
      "# text = I don't know.\n"
      "1\tI\tI\tPRON\tPRP\tCase=Nom|Person=1\t4\tnsubj\t_\t_\n"
      "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
      "2\tdo\tdo\tAUX\tVBP\tMood=Ind|Tense=Pres\t4\taux\t_\tSpaceAfter=No\n"
      "3\tn't\tnot\tPART\tRB\tPolarity=Neg\t4\tadvmod\t_\t_\n"
      "4\tknow\tknow\tVERB\tVB\tVerbForm=Inf\t0\troot\t_\tSpaceAfter=No\n"
      "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_\n\n");
  auto tokens_of = [](const std::string& out) {
    nlohmann::json j = nlohmann::json::parse(out);
    return j[0]["paragraphs"][0]["sentences"][0]["tokens"];
  };
  RunResult r = run_cli({"convert", conllu, "-", "--file-type", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(tokens_of(r.out).size(), 5u) << r.out;
  r = run_cli({"convert", conllu, "-", "--file-type", "json", "--merge-subtokens"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json toks = tokens_of(r.out);
  ASSERT_EQ(toks.size(), 4u) << r.out;
  EXPECT_EQ(toks[1]["orth"], "don't") << r.out;
  EXPECT_EQ(toks[1]["tag"], "VBP_RB") << r.out;
  EXPECT_EQ(toks[1]["head"], 1) << r.out;  // relative: "know"
  EXPECT_EQ(toks[1]["dep"], "aux") << r.out;
  EXPECT_EQ(toks[2]["head"], 0) << r.out;

  // --seg-sents: token-per-line NER data without blank lines gets sentences from the sentencizer.
  const std::string ner = tmp.file("words.ner",
                                   "Alice B-PER\nsleeps O\n. O\nBob B-PER\nreads O\n. O\n");
  r = run_cli({"convert", ner, "-", "--file-type", "json", "-c", "ner", "-n", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["paragraphs"].size(), 1u) << r.out;  // no boundaries
  r = run_cli({"convert", ner, "-", "--file-type", "json", "-c", "ner", "-n", "1", "--seg-sents"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)[0]["paragraphs"].size(), 2u) << r.out;  // one per sentence
}

TEST(SpacyOptionsCli, DebugDataReportsNerLabelsAndWarnings) {
  TempDir tmp("trfpipe_options_");
  const std::string data = ud_sample_with_ents(tmp, 20);
  RunResult r = run_cli({"init", "config", tmp / "c.cfg", "-p", "ner"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"debug", "data", tmp / "c.cfg", "--paths.train", data, "--paths.dev", data, "-V"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("=== Vocab & Vectors ==="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" unique)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Labels in train data: 'ORG' ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\u26a0 Low number of examples for label 'ORG' ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\u2714 No entities consisting of or starting/ending with whitespace"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\u2714 No entities crossing sentence boundaries"), std::string::npos) << r.out;
  // Without -V no label list.
  r = run_cli({"debug", "data", tmp / "c.cfg", "--paths.train", data, "--paths.dev", data});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("Labels in train data"), std::string::npos) << r.out;
}
