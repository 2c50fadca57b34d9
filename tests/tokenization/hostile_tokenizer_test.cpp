// Hostile tokenizer files (issue #19): fields missing or of the wrong JSON type (nlohmann's const
// operator[] on a missing key is undefined behaviour in release builds, and type errors escaped
// as "Unexpected error"), ids that would size huge tables, deeply nested JSON, and a Replace
// regex normalizer over very long runs of spaces (std::regex recursed once per character). Every
// error is a trfpipe::Error that names the file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "common/temp_dir.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"
#include "tokenization/unigram.hpp"

namespace {

using nlohmann::json;
using trfpipe::testing::TempDir;

// The message of the trfpipe::Error loading `path` throws (a failure for any other outcome).
std::string load_error(const std::string& path) {
  try {
    trfpipe::load_subword_tokenizer(path);
  } catch (const trfpipe::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a trfpipe::Error: " << e.what();
    return "";
  }
  ADD_FAILURE() << "loaded " << path;
  return "";
}

json wordpiece() {
  return json::parse(R"({"version": "1.0", "added_tokens": [],
    "normalizer": {"type": "BertNormalizer", "lowercase": true},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 100,
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5}}})");
}

json unigram(const json& normalizer) {
  json j = json::parse(R"({"version": "1.0", "added_tokens": [], "post_processor": null,
    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": false},
    "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
              "vocab": [["<unk>", 0.0], ["\u2581", -2.0], ["a", -1.0], ["\u2581a", -0.5], ["b", -1.0]]}})");
  j["normalizer"] = normalizer;
  return j;
}

TEST(HostileTokenizerJson, MissingOrMistypedFieldsAreErrorsNamingTheFile) {
  TempDir tmp;
  const std::string ok = tmp.file("ok.json", wordpiece().dump());
  ASSERT_NO_THROW(trfpipe::load_subword_tokenizer(ok));
  std::vector<std::function<void(json&)>> breakages = {
      [](json& j) { j["post_processor"].erase("cls"); },
      [](json& j) { j["post_processor"].erase("sep"); },
      [](json& j) { j["post_processor"] = {{"type", "TemplateProcessing"}}; },
      [](json& j) { j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", 7}}; },
      [](json& j) {
        j["post_processor"] = {{"type", "TemplateProcessing"}, {"single", {{{"SpecialToken", 5}}}}};
      },
      [](json& j) { j["model"]["unk_token"] = 12; },
      [](json& j) { j["model"]["continuing_subword_prefix"] = json::array(); },
      [](json& j) { j["model"]["max_input_chars_per_word"] = "many"; },
      [](json& j) { j["model"]["max_input_chars_per_word"] = -1; },
      [](json& j) { j["model"]["type"] = 3; },
      [](json& j) { j["added_tokens"] = {{{"content", 5}, {"id", 9}}}; },
      [](json& j) { j["added_tokens"] = {{{"content", "x"}, {"id", "9"}}}; },
      [](json& j) { j["added_tokens"] = {{{"content", "x"}, {"id", int64_t(1) << 40}}}; },
      [](json& j) { j["added_tokens"] = {{{"content", "x"}, {"id", -3}}}; },
      [](json& j) { j["normalizer"] = 5; },
      [](json& j) { j["pre_tokenizer"] = json::array(); },
  };
  for (size_t k = 0; k < breakages.size(); ++k) {
    json j = wordpiece();
    breakages[k](j);
    const std::string path = tmp.file("broken" + std::to_string(k) + ".json", j.dump());
    const std::string msg = load_error(path);
    EXPECT_NE(msg.find(path), std::string::npos) << k << ": " << msg;
    EXPECT_EQ(msg.find("json.exception"), std::string::npos) << k << ": " << msg;
  }
}

TEST(HostileTokenizerJson, SparseIdsCannotSizeHugeTables) {
  TempDir tmp;
  json j = wordpiece();
  j["model"]["vocab"]["far"] = 9999999;  // one entry more, ten million table slots
  const std::string path = tmp.file("sparse.json", j.dump());
  std::string msg = load_error(path);
  EXPECT_NE(msg.find("far beyond"), std::string::npos) << msg;
  // vocab.json + merges.txt the same.
  tmp.file("merges.txt", "#version: 0.2\na b\n");
  const std::string vocab = tmp.file("vocab.json", R"({"a": 0, "b": 1, "ab": 5000000})");
  msg = load_error(vocab);
  EXPECT_NE(msg.find("far beyond"), std::string::npos) << msg;
  EXPECT_NE(msg.find(vocab), std::string::npos) << msg;
}

TEST(HostileTokenizerJson, DeepNestingIsAnErrorNamingTheFile) {
  TempDir tmp;
  const std::string path =
      tmp.file("deep.json", "{\"model\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  const std::string msg = load_error(path);
  EXPECT_NE(msg.find("nested deeper"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

TEST(HostileTokenizerJson, LoaderErrorsWithoutAFileNameGetOne) {
  TempDir tmp;
  // A vocab.txt without [CLS]/[SEP]: the BERT template's error comes from deep in the loader.
  const std::string path = tmp.file("vocab.txt", "a\nb\n[UNK]\n");
  const std::string msg = load_error(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("cls and sep"), std::string::npos) << msg;
}

TEST(HostileUnigram, ReplaceRegexHandlesVeryLongRunsOfSpaces) {
  TempDir tmp;
  json norm = {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", " "}};
  auto tok = trfpipe::load_subword_tokenizer(tmp.file("tokenizer.json", unigram(norm).dump()));
  const std::string text = "a" + std::string(200000, ' ') + "a";
  trfpipe::Encoding e = tok->encode(text, false);
  ASSERT_EQ(e.tokens, (std::vector<std::string>{"\xE2\x96\x81" "a", "\xE2\x96\x81" "a"}));
  // Offsets still point into the original text: the second piece ends with its last byte.
  EXPECT_EQ(e.offsets.back().second, int64_t(text.size()));
}

TEST(HostileUnigram, BadOrCatastrophicPatternsAreErrorsNotCrashesOrHangs) {
  TempDir tmp;
  json bad = {{"type", "Replace"}, {"pattern", {{"Regex", "(unclosed"}}}, {"content", ""}};
  const std::string path = tmp.file("bad.json", unigram(bad).dump());
  std::string msg = load_error(path);
  EXPECT_NE(msg.find("Regex"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  // Exponential backtracking on a long input stops at ICU's time limit with an error.
  json slow = {{"type", "Replace"}, {"pattern", {{"Regex", "(a|aa)+$"}}}, {"content", "b"}};
  auto tok = trfpipe::load_subword_tokenizer(tmp.file("slow.json", unigram(slow).dump()));
  try {
    tok->encode(std::string(200, 'a') + "!", false);
  } catch (const trfpipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("Replace pattern"), std::string::npos) << e.what();
  }
}

// A SentencePiece .model whose piece is not UTF-8: converting it to tokenizer.json ended in
// nlohmann's type_error 316 ("Unexpected error"); found by fuzz_spm_model.
TEST(HostileSentencePiece, InvalidUtf8PieceIsAValueError) {
  const std::string piece = std::string("\x0a\x02") + "a\xff";       // ModelProto.SentencePiece.piece
  const std::string model = std::string("\x0a") + char(piece.size()) + piece;  // ModelProto.pieces
  try {
    trfpipe::subword::sentencepiece_model_to_tokenizer_json(model);
    ADD_FAILURE() << "no error";
  } catch (const trfpipe::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("piece 0 is not valid UTF-8"), std::string::npos) << e.what();
  }
}

}  // namespace
