// `trfpipe init model` -> config with a transformer -> `trfpipe assemble` -> the pipeline
// directory loads and annotates; `trfpipe apply --include-trf` writes tensor and wordpieces.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "tests/cli/run_cli.hpp"
#include "trfpipe/transformer.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

std::string transformer_cfg(const std::string& model_dir) {
  return "[nlp]\nlang = \"en\"\npipeline = [\"transformer\"]\n\n[components]\n\n"
         "[components.transformer]\nfactory = \"transformer\"\nmax_batch_items = 4096\n"
         "set_doc_tensor = true\n\n"
         "[components.transformer.model]\n@architectures = \"spacy-transformers.TransformerModel.v3\"\n"
         "name = \"" + model_dir + "\"\ntokenizer_config = {\"use_fast\": true}\n"
         "transformer_config = {}\nmixed_precision = false\ngrad_scaler_config = {}\n\n"
         "[components.transformer.model.get_spans]\n@span_getters = \"spacy-transformers.strided_spans.v1\"\n"
         "window = 128\nstride = 96\n";
}

}  // namespace

TEST(TransformerCli, InitModelAssembleApplyIncludeTrf) {
  TempDir tmp("trfpipe_trfcli_flow_");
  const std::string dir = tmp.path.string();
  const std::string model = dir + "/bert";
  auto r = run_cli({"init", "model", model, "--arch", "bert", "--tokenizer",
                    std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt",
                    "--width", "32", "--layers", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  write(dir + "/config.cfg", transformer_cfg(model));
  r = run_cli({"assemble", dir + "/config.cfg", dir + "/pipe"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("transformer"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir + "/pipe/transformer/model.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/pipe/config.cfg"));

  // The directory works without the original model folder.
  fs::rename(model, dir + "/moved");
  {
    auto nlp = trfpipe::Language::load(dir + "/pipe");
    trfpipe::Doc doc = (*nlp)("Here is some text to encode.");
    nlohmann::ordered_json j = trfpipe::transformer_doc_json(doc);
    EXPECT_EQ(j["tensor"]["shape"], nlohmann::ordered_json::array({7, 32}));
    EXPECT_EQ(j["trf_data"]["wordpieces"]["input_ids"][0],
              nlohmann::ordered_json::array({101, 2182, 2003, 2070, 3793, 2000, 4372, 16044, 1012, 102}));
  }

  // apply --include-trf.
  write(dir + "/in.jsonl", "{\"text\": \"Here is some text to encode.\"}\n{\"text\": \"Short.\"}\n");
  r = run_cli({"apply", dir + "/pipe", dir + "/in.jsonl", dir + "/out.jsonl", "--include-trf"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::ifstream f(dir + "/out.jsonl");
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(f, line))
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["tensor"]["shape"], nlohmann::json::array({7, 32}));
  EXPECT_EQ(lines[0]["tensor"]["rows"].size(), 7u);
  EXPECT_EQ(lines[0]["trf_data"]["wordpieces"]["strings"][0][7], "##code");
  EXPECT_EQ(lines[0]["trf_data"]["wordpieces"]["input_ids"][0][7], 16044);
  EXPECT_EQ(lines[0]["trf_data"]["align"]["lengths"], nlohmann::json::array({1, 1, 1, 1, 1, 2, 1}));
  EXPECT_EQ(lines[1]["tensor"]["shape"], nlohmann::json::array({2, 32}));
  fs::remove_all(dir);
}

TEST(TransformerCli, AssembleWithHubNameIsAClearError) {
  TempDir tmp("trfpipe_trfcli_hub_");
  const std::string dir = tmp.path.string();
  write(dir + "/config.cfg", transformer_cfg("roberta-base"));
  auto r = run_cli({"assemble", dir + "/config.cfg", dir + "/pipe"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("is not a local folder"), std::string::npos) << r.out << r.err;
  fs::remove_all(dir);
}

TEST(TransformerCli, AssembleMissingArgumentsAndBadOverride) {
  auto r = run_cli({"assemble"});
  EXPECT_NE(r.exit_code, 0);
  TempDir tmp("trfpipe_trfcli_args_");
  const std::string dir = tmp.path.string();
  write(dir + "/config.cfg", transformer_cfg(dir + "/nowhere"));
  r = run_cli({"assemble", dir + "/config.cfg", dir + "/pipe", "--components.transformer.max_batch_items", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("max_batch_items"), std::string::npos) << r.out << r.err;
  fs::remove_all(dir);
}
