// `trfpipe debug pieces` run as a process. The binary links libtorch, so the ALBERT run also
// proves the SentencePiece shim's isolation (protobuf 3.14 vs libtorch's 3.21) in a real process.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "run_cli.hpp"
#include "common/temp_dir.hpp"
#include "tokenization/golden.hpp"

namespace {

using trfpipe::testing::kGolden;
using trfpipe::testing::kTok;
using trfpipe::testing::read_jsonl;

struct PiecesRun {
  int rc = -1;
  std::string out;  // stdout and stderr together
};

// `trfpipe debug pieces ARGS`; `env` entries ("NAME=value") are added to the child's environment.
PiecesRun pieces(std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), {"debug", "pieces"});
  trfpipe::testing::RunOptions options;
  options.env = std::move(env);
  trfpipe::testing::RunResult r = trfpipe::testing::run_process(args, options);
  return {r.exit_code, r.out + r.err};
}

class DebugPiecesCli : public ::testing::Test {
 protected:
  // Runs the CLI over texts.jsonl and compares with a golden file; returns the mismatch count.
  size_t compare(const std::vector<std::string>& tok_args, const std::string& golden,
                 const char* tokens_key, const char* golden_offsets, const char* our_offsets) {
    std::string out = dir_ + "/out.jsonl";
    std::vector<std::string> args = tok_args;
    args.insert(args.end(), {"--codepoints", kGolden + "texts.jsonl", out});
    PiecesRun r = pieces(args);
    EXPECT_EQ(r.rc, 0) << r.out;
    auto got = read_jsonl(out);
    auto want = read_jsonl(kGolden + golden);
    EXPECT_EQ(got.size(), want.size());
    size_t bad = 0;
    std::string first;
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
      bool same = got[i]["ids"] == want[i]["ids"] && got[i]["tokens"] == want[i][tokens_key] &&
                  got[i][our_offsets] == want[i][golden_offsets];
      if (!same && bad++ == 0)
        first = "row " + std::to_string(i) + "\n expected " + want[i].dump() + "\n got " + got[i].dump();
    }
    EXPECT_EQ(bad, 0u) << golden << ": " << bad << " rows differ; first: " << first;
    return bad;
  }
  trfpipe::testing::TempDir tmp_{"trfpipe_pieces_"};
  const std::string dir_ = tmp_.path.string();
};

TEST_F(DebugPiecesCli, AlbertSentencePieceThroughShimMatchesReference) {
  // Byte offsets against byte offsets, code points against code points.
  compare({"--tokenizer", kTok + "albert-30k-clean.model"}, "albert-30k-clean.spm.jsonl", "pieces",
          "offsets_utf8", "offsets_utf8");
  compare({"--tokenizer", kTok + "albert-30k-clean.model"}, "albert-30k-clean.spm.jsonl", "pieces",
          "offsets_codepoints", "offsets_codepoints");
}

TEST_F(DebugPiecesCli, BertVocabTxtMatchesHuggingFace) {
  compare({"--tokenizer", kTok + "bert-base-uncased-vocab.txt", "--lowercase"}, "bert-base-uncased.jsonl",
          "tokens", "offsets_utf8", "offsets_utf8");
}

TEST_F(DebugPiecesCli, Gpt2VocabAndMergesMatchHuggingFace) {
  compare({"--tokenizer", kTok + "gpt2-encoder.json", "--merges", kTok + "gpt2-vocab.bpe"}, "gpt2.jsonl",
          "tokens", "offsets_utf8", "offsets_utf8");
}

TEST_F(DebugPiecesCli, TokenizerJsonMatchesHuggingFace) {
  compare({"--tokenizer", kGolden + "gpt2.tokenizer.json"}, "gpt2.jsonl", "tokens", "offsets_codepoints",
          "offsets_codepoints");
}

TEST_F(DebugPiecesCli, MissingTokenizerOptionFails) {
  PiecesRun r = pieces({kGolden + "texts.jsonl", dir_ + "/out.jsonl"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("--tokenizer"), std::string::npos) << r.out;
}

TEST_F(DebugPiecesCli, BadInputLineNamesFileAndLine) {
  std::string in = dir_ + "/in.jsonl";
  std::ofstream(in) << "{\"text\": \"ok\"}\n{\"txt\": 1}\n";
  PiecesRun r = pieces({"--tokenizer", kTok + "bert-base-uncased-vocab.txt", in, dir_ + "/out.jsonl"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("in.jsonl"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2"), std::string::npos) << r.out;
}

TEST_F(DebugPiecesCli, ShimNotFoundIsAClearError) {
  PiecesRun r = pieces({"--tokenizer", kTok + "albert-30k-clean.model", kGolden + "texts.jsonl", dir_ + "/out.jsonl"},
                       {"TRFPIPE_SENTENCEPIECE_SHIM=/nonexistent/libtrfpipe_sentencepiece.so"});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("not found"), std::string::npos) << r.out;
}

}  // namespace
