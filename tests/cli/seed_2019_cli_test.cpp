// The 2019 spacy-pytorch-transformers seed flow from the command line: `init model` (BERT with the
// real bert-base-uncased vocabulary, XLNet with the test spiece.model) -> a sentencizer +
// trf_wordpiecer + trf_tok2vec config -> `assemble` -> `apply --include-trf` prints the word
// pieces, ids, alignment, doc.tensor and the wordpiece outputs; XLNet under the v3 `transformer`
// too; trf_textcat trains with `train` (model-best by cats_score) and `evaluate` reports it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "tests/cli/run_cli.hpp"
#include "tests/cli/sample_data.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

const std::string kBertVocab = std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt";
const std::string kSpiece = std::string(TRFPIPE_SOURCE_DIR) + "/tests/tokenization/fixtures/xlnet/spiece.model";
constexpr int kWidth = 32;

std::string init_model(const TempDir& tmp, const std::string& arch) {
  const std::string dir = tmp / arch;
  auto r = run_cli({"init", "model", dir, "--arch", arch, "--tokenizer", arch == "xlnet" ? kSpiece : kBertVocab,
                    "--layers", "1", "--width", std::to_string(kWidth), "--heads", "2", "--seed", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return dir;
}

std::string legacy_config(const std::string& model, const std::string& extra_pipes = "") {
  return "[nlp]\nlang = \"en\"\npipeline = [\"sentencizer\", \"trf_wordpiecer\", \"trf_tok2vec\"" + extra_pipes +
         "]\n\n[components]\n\n[components.sentencizer]\nfactory = \"sentencizer\"\n\n"
         "[components.trf_wordpiecer]\nfactory = \"trf_wordpiecer\"\ntrf_name = \"" + model + "\"\n\n"
         "[components.trf_tok2vec]\nfactory = \"trf_tok2vec\"\ntrf_name = \"" + model + "\"\n";
}

// assemble CONFIG -> apply --include-trf over `texts`; one JSON object per text.
std::vector<json> apply_include_trf(const TempDir& tmp, const std::string& name, const std::string& cfg,
                                    const std::vector<std::string>& texts) {
  const std::string cfg_path = tmp.file(name + ".cfg", cfg);
  auto r = run_cli({"assemble", cfg_path, tmp / (name + "-pipe")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string jsonl;
  for (const auto& t : texts) jsonl += json{{"text", t}}.dump() + "\n";
  const std::string in = tmp.file(name + ".jsonl", jsonl);
  r = run_cli({"apply", tmp / (name + "-pipe"), in, tmp / (name + "-out.jsonl"), "--include-trf"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<json> docs;
  std::ifstream f(tmp / (name + "-out.jsonl"));
  for (std::string line; std::getline(f, line);) docs.push_back(json::parse(line));
  EXPECT_EQ(docs.size(), texts.size());
  return docs;
}

// doc.tensor keeps the sum of the wordpiece rows (the 2019 boundary-sensitive weighting).
void expect_tensor_sums_match(const json& doc) {
  const auto& tensor = doc["tensor"]["rows"];
  const auto& lhs = doc["trf_last_hidden_state"]["rows"];
  for (int c = 0; c < kWidth; ++c) {
    double a = 0, b = 0;
    for (const auto& row : tensor) a += row[c].get<double>();
    for (const auto& row : lhs) b += row[c].get<double>();
    EXPECT_NEAR(a, b, 1e-4) << "column " << c;
  }
}

}  // namespace

TEST(Seed2019Cli, BertSeedSentenceThroughApplyIncludeTrf) {
  TempDir tmp("trfpipe_seed_bert_");
  const std::string model = init_model(tmp, "bert");
  auto docs = apply_include_trf(tmp, "bert", legacy_config(model), {"Here is some text to encode."});
  ASSERT_EQ(docs.size(), 1u);
  const json& d = docs[0];
  EXPECT_EQ(d["trf_word_pieces"], json({101, 2182, 2003, 2070, 3793, 2000, 4372, 16044, 1012, 102}));
  EXPECT_EQ(d["trf_word_pieces_"], json({"[CLS]", "here", "is", "some", "text", "to", "en", "##code", ".", "[SEP]"}));
  EXPECT_EQ(d["trf_alignment"], json({{1}, {2}, {3}, {4}, {5}, {6, 7}, {8}}));
  EXPECT_EQ(d["tensor"]["shape"], json({7, kWidth}));
  EXPECT_EQ(d["tensor"]["rows"].size(), 7u);
  EXPECT_EQ(d["trf_last_hidden_state"]["shape"], json({10, kWidth}));
  EXPECT_EQ(d["trf_last_hidden_state"]["rows"].size(), 10u);
  EXPECT_EQ(d["trf_pooler_output"]["shape"], json({1, kWidth}));
  EXPECT_FALSE(d.contains("trf_data"));  // the v3 transformer's annotation is not there
  expect_tensor_sums_match(d);
}

TEST(Seed2019Cli, XlnetPiecesEndInSepClsAndTheAlignmentSkipsThem) {
  TempDir tmp("trfpipe_seed_xlnet_");
  const std::string model = init_model(tmp, "xlnet");
  auto docs = apply_include_trf(tmp, "xlnet", legacy_config(model),
                                {"Here is some text to encode.", "Apple pie is delicious. It is."});
  ASSERT_EQ(docs.size(), 2u);
  const json& d = docs[0];
  const auto pieces = d["trf_word_pieces_"].get<std::vector<std::string>>();
  ASSERT_GE(pieces.size(), 9u);
  EXPECT_EQ(pieces[pieces.size() - 2], "<sep>");
  EXPECT_EQ(pieces.back(), "<cls>");
  EXPECT_EQ(d["trf_word_pieces"].size(), pieces.size());
  EXPECT_EQ(d["trf_word_pieces"][pieces.size() - 1], 3);  // <cls>
  const auto alignment = d["trf_alignment"].get<std::vector<std::vector<int64_t>>>();
  ASSERT_EQ(alignment.size(), 7u);
  std::vector<int64_t> covered;
  for (const auto& a : alignment) {
    EXPECT_FALSE(a.empty());
    covered.insert(covered.end(), a.begin(), a.end());
  }
  std::vector<int64_t> all_but_specials(pieces.size() - 2);
  for (size_t i = 0; i < all_but_specials.size(); ++i) all_but_specials[i] = static_cast<int64_t>(i);
  EXPECT_EQ(covered, all_but_specials);  // every piece but <sep> <cls>, in order, once
  EXPECT_EQ(d["tensor"]["shape"], json({7, kWidth}));
  EXPECT_EQ(d["trf_last_hidden_state"]["shape"], json({static_cast<int64_t>(pieces.size()), kWidth}));
  EXPECT_FALSE(d.contains("trf_pooler_output"));  // XLNetModel has no pooler
  expect_tensor_sums_match(d);
  // Two sentences: each ends in <sep> <cls>, and both are in the flat piece list.
  const auto two = docs[1]["trf_word_pieces_"].get<std::vector<std::string>>();
  EXPECT_EQ(std::count(two.begin(), two.end(), "<cls>"), 2);
  expect_tensor_sums_match(docs[1]);
}

TEST(Seed2019Cli, XlnetUnderTheV3TransformerPadsLeft) {
  TempDir tmp("trfpipe_seed_xlnet_v3_");
  const std::string model = init_model(tmp, "xlnet");
  const std::string cfg =
      "[nlp]\nlang = \"en\"\npipeline = [\"sentencizer\", \"transformer\"]\n\n[components]\n\n"
      "[components.sentencizer]\nfactory = \"sentencizer\"\n\n"
      "[components.transformer]\nfactory = \"transformer\"\nmax_batch_items = 4096\nset_doc_tensor = true\n\n"
      "[components.transformer.model]\n@architectures = \"spacy-transformers.TransformerModel.v3\"\n"
      "name = \"" + model + "\"\ntokenizer_config = {\"use_fast\": true}\ntransformer_config = {}\n"
      "mixed_precision = false\ngrad_scaler_config = {}\n\n"
      "[components.transformer.model.get_spans]\n@span_getters = \"spacy-transformers.sent_spans.v1\"\n";
  // sent_spans: two sentences of different lengths in one batch.
  const std::string cfg_path = tmp.file("v3.cfg", cfg);
  auto r = run_cli({"assemble", cfg_path, tmp / "v3-pipe"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string in = tmp.file("in.jsonl", "{\"text\": \"Here is some text to encode. Hi.\"}\n");
  r = run_cli({"apply", tmp / "v3-pipe", in, tmp / "out.jsonl", "--include-trf"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::ifstream f(tmp / "out.jsonl");
  std::string line;
  std::getline(f, line);
  const json d = json::parse(line);
  EXPECT_FALSE(d.contains("trf_word_pieces_"));  // the v3 output is unchanged
  ASSERT_TRUE(d.contains("trf_data")) << line;
  const auto& strings = d["trf_data"]["wordpieces"]["strings"];
  ASSERT_EQ(strings.size(), 2u);
  EXPECT_EQ(strings[0].back(), "<cls>");
  EXPECT_EQ(strings[1].back(), "<cls>");
  EXPECT_EQ(strings[1][0], "<pad>");  // the short sentence is padded on the left
  EXPECT_EQ(d["trf_data"]["wordpieces"]["lengths"][1].get<int64_t>() + 1,
            static_cast<int64_t>(strings[1].size()) -
                std::count(strings[1].begin(), strings[1].end(), json("<pad>")) + 1);
  EXPECT_EQ(d["tensor"]["shape"], json({9, kWidth}));
  // No token is left without pieces (the alignment indexes the left-padded rows correctly).
  for (const auto& n : d["trf_data"]["align"]["lengths"]) EXPECT_GT(n.get<int64_t>(), 0);
}

TEST(Seed2019Cli, TrfTextcatTrainsOnCatsScoreAndEvaluateReportsIt) {
  TempDir tmp("trfpipe_seed_textcat_");
  const std::string model = init_model(tmp, "bert");
  const std::string spacy = trfpipe::testing::review_cats_sample(tmp);
  std::string cfg = legacy_config(model, ", \"trf_textcat\"") +
                    "\n[components.trf_textcat]\nfactory = \"trf_textcat\"\ntrf_name = \"" + model +
                    "\"\narchitecture = \"softmax_last_hidden\"\n\n"
                    "[corpora]\n\n[corpora.train]\n@readers = \"spacy.Corpus.v1\"\npath = \"" + spacy + "\"\n\n"
                    "[corpora.dev]\n@readers = \"spacy.Corpus.v1\"\npath = \"" + spacy + "\"\n\n"
                    "[training]\nmax_steps = 6\neval_frequency = 3\nannotating_components = [\"sentencizer\"]\n\n"
                    "[training.batcher]\n@batchers = \"spacy.batch_by_sequence.v1\"\nsize = 3\n";
  const std::string cfg_path = tmp.file("textcat.cfg", cfg);
  auto r = run_cli({"train", cfg_path, "--output", tmp / "out"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("CATS_SCORE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LOSS TRF_T..."), std::string::npos) << r.out;  // spaCy cuts long names
  ASSERT_TRUE(fs::exists(tmp / "out/model-best/trf_textcat/model"));
  std::ifstream meta_file(tmp / "out/model-best/meta.json");
  const json meta = json::parse(meta_file);
  EXPECT_TRUE(meta["performance"].contains("cats_score")) << meta.dump();
  r = run_cli({"evaluate", tmp / "out/model-best", spacy, "--output", tmp / "scores.json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("TEXTCAT"), std::string::npos) << r.out;
  std::ifstream sf(tmp / "scores.json");
  const json scores = json::parse(sf);
  ASSERT_TRUE(scores.contains("cats_score")) << scores.dump();
  EXPECT_GE(scores["cats_score"].get<double>(), 0.0);
  EXPECT_LE(scores["cats_score"].get<double>(), 1.0);
  EXPECT_TRUE(scores.contains("cats_f_per_type"));
}
