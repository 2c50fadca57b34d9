// XLNet's SentencePiece tokenizer against Hugging Face transformers 5.12 (XLNetTokenizer): a tiny
// XLNet-style spiece.model (tests/tokenization/fixtures/xlnet, see its README) loaded from a
// folder as HF loads it, and from the tokenizer.json HF saves for it; every golden row's ids,
// pieces, token types and offsets; left padding; the errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "tokenization/golden.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kXlnet = fs::path(TRFPIPE_SOURCE_DIR) / "tests/tokenization/fixtures/xlnet";

struct Folder {
  fs::path path;
  explicit Folder(const std::string& name) {
    path = fs::temp_directory_path() / ("trfpipe_xlnet_tok_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path / name) << text; }
  void copy(const fs::path& from, const std::string& name) const { fs::copy_file(from, path / name); }
};

const char* kTokenizerConfig = R"({"tokenizer_class": "XLNetTokenizer", "do_lower_case": false})";

std::vector<trfpipe::Offset> offsets(const json& rows) {
  std::vector<trfpipe::Offset> out;
  for (const auto& o : rows) out.emplace_back(o[0].get<int64_t>(), o[1].get<int64_t>());
  return out;
}

void expect_golden(const trfpipe::SubwordTokenizer& tok) {
  auto rows = trfpipe::testing::read_jsonl((kXlnet / "hf_xlnet_golden.jsonl").string());
  ASSERT_GT(rows.size(), 300u);
  size_t failures = 0;
  for (const auto& row : rows) {
    const std::string text = row["text"].get<std::string>();
    auto e = tok.encode(text);
    const bool same = e.ids == row["ids"].get<std::vector<int64_t>>() &&
                      e.tokens == row["tokens"].get<std::vector<std::string>>() &&
                      e.type_ids == row["type_ids"].get<std::vector<int64_t>>() &&
                      e.offsets == offsets(row["offsets_utf8"]) &&
                      e.offsets_codepoints == offsets(row["offsets_codepoints"]);
    if (!same && ++failures <= 5) {
      json ours{{"ids", e.ids}, {"tokens", e.tokens}, {"type_ids", e.type_ids}};
      for (const auto* o : {&e.offsets, &e.offsets_codepoints}) {
        json a = json::array();
        for (const auto& [b, x] : *o) a.push_back({b, x});
        ours[o == &e.offsets ? "offsets_utf8" : "offsets_codepoints"] = a;
      }
      ADD_FAILURE() << "differs from Hugging Face: " << row.dump() << "\n ours: " << ours.dump();
    }
    // Every piece's offsets slice the original text.
    for (size_t i = 0; i < e.size(); ++i)
      ASSERT_LE(e.offsets[i].second, static_cast<int64_t>(text.size())) << text;
  }
  EXPECT_EQ(failures, 0u) << "of " << rows.size() << " rows";
}

// The message of the trfpipe::Error loading `dir` throws ("" and a test failure when none).
std::string load_error(const fs::path& dir) {
  try {
    trfpipe::load_subword_tokenizer(dir.string());
  } catch (const trfpipe::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error loading " << dir;
  return "";
}

}  // namespace

TEST(XlnetTokenizer, SpieceModelFolderMatchesHuggingFace) {
  Folder d("spiece");
  d.copy(kXlnet / "spiece.model", "spiece.model");
  d.write("tokenizer_config.json", kTokenizerConfig);
  auto tok = trfpipe::load_subword_tokenizer(d.path.string());
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Xlnet);
  EXPECT_TRUE(tok->pads_left());
  EXPECT_EQ(tok->model_max_length(), 0u);  // no limit, as HF for XLNet
  EXPECT_EQ(tok->special_tokens().cls, "<cls>");
  EXPECT_EQ(tok->special_tokens().sep, "<sep>");
  EXPECT_EQ(tok->pad_id(), 5);
  auto e = tok->encode("Here is some text to encode.");
  ASSERT_GE(e.size(), 3u);
  EXPECT_EQ(e.tokens[e.size() - 2], "<sep>");
  EXPECT_EQ(e.tokens.back(), "<cls>");
  EXPECT_EQ(e.type_ids.back(), 2);
  expect_golden(*tok);
}

TEST(XlnetTokenizer, ConfigJsonModelTypeIsEnoughAndTokenizerJsonMatchesToo) {
  Folder by_type("model_type");
  by_type.copy(kXlnet / "spiece.model", "spiece.model");
  by_type.write("config.json", R"({"model_type": "xlnet", "vocab_size": 2000})");
  auto tok = trfpipe::load_subword_tokenizer(by_type.path.string());
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Xlnet);
  // The tokenizer.json transformers saved for this spiece.model (no spiece.model beside it).
  Folder saved("tokenizer_json");
  saved.copy(kXlnet / "tokenizer.json", "tokenizer.json");
  saved.write("tokenizer_config.json", kTokenizerConfig);
  auto from_json = trfpipe::load_subword_tokenizer(saved.path.string());
  EXPECT_EQ(from_json->family(), trfpipe::TokenizerFamily::Xlnet);
  expect_golden(*from_json);
}

TEST(XlnetTokenizer, BatchPadsOnTheLeftAsHuggingFace) {
  Folder d("batch");
  d.copy(kXlnet / "spiece.model", "spiece.model");
  d.write("tokenizer_config.json", kTokenizerConfig);
  auto tok = trfpipe::load_subword_tokenizer(d.path.string());
  std::ifstream in(kXlnet / "hf_xlnet_batch.json");
  json hf = json::parse(in);
  auto batch = tok->encode_batch(hf["texts"].get<std::vector<std::string>>());
  ASSERT_EQ(batch.size(), 3u);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].ids, hf["input_ids"][i].get<std::vector<int64_t>>()) << i;
    EXPECT_EQ(batch[i].attention_mask, hf["attention_mask"][i].get<std::vector<int64_t>>()) << i;
    // Token types of the pieces as HF's; padding gets XLNet's pad type 3 (transformers 4's
    // pad_token_type_id; 5.12 writes 0 there, which the attention mask hides anyway).
    for (size_t j = 0; j < batch[i].size(); ++j)
      EXPECT_EQ(batch[i].type_ids[j], batch[i].attention_mask[j] ? hf["token_type_ids"][i][j].get<int64_t>() : 3);
  }
  EXPECT_EQ(batch[0].offsets.front(), (trfpipe::Offset{0, 0}));  // a pad
}

TEST(XlnetTokenizer, SaveWritesAFolderThatReloadsAsXlnet) {
  Folder d("save_src"), out("save_out");
  d.copy(kXlnet / "spiece.model", "spiece.model");
  d.write("tokenizer_config.json", kTokenizerConfig);
  auto tok = trfpipe::load_subword_tokenizer(d.path.string());
  tok->save(out.path.string());
  std::ifstream in(out.path / "tokenizer_config.json");
  json cfg = json::parse(in);
  EXPECT_EQ(cfg["tokenizer_class"], "XLNetTokenizer");
  EXPECT_EQ(cfg["padding_side"], "left");
  EXPECT_GT(cfg["model_max_length"].get<double>(), 1e20);  // HF's "no limit"
  auto back = trfpipe::load_subword_tokenizer(out.path.string());
  EXPECT_EQ(back->family(), trfpipe::TokenizerFamily::Xlnet);
  EXPECT_EQ(back->model_max_length(), 0u);
  const std::string text = "A ``quoted'' café, 1,000 dollars  and  9,5.";
  EXPECT_EQ(back->encode(text).ids, tok->encode(text).ids);
  EXPECT_EQ(back->encode(text).offsets, tok->encode(text).offsets);
}

TEST(XlnetTokenizer, MissingSpieceModelNamesTheFileAndTheKey) {
  Folder d("missing");
  d.write("tokenizer_config.json", kTokenizerConfig);
  std::string msg = load_error(d.path);
  EXPECT_NE(msg.find((d.path / "spiece.model").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'tokenizer_class'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("XLNetTokenizer"), std::string::npos) << msg;
  Folder by_type("missing_type");
  by_type.write("config.json", R"({"model_type": "xlnet"})");
  msg = load_error(by_type.path);
  EXPECT_NE(msg.find((by_type.path / "spiece.model").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'model_type'"), std::string::npos) << msg;
}

TEST(XlnetTokenizer, SpieceModelWithoutXlnetPiecesIsAnError) {
  Folder d("albert_spm");
  d.copy(trfpipe::testing::kTok + "albert-30k-clean.model", "spiece.model");
  d.write("tokenizer_config.json", kTokenizerConfig);
  const std::string msg = load_error(d.path);
  EXPECT_NE(msg.find((d.path / "spiece.model").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("XLNet's template needs the piece <sep>"), std::string::npos) << msg;
}
