// The native Unigram tokenizer.json path (no libsentencepiece): parity with the reference
// sentencepiece golden through a tokenizer.json converted from the .model, Viterbi choices on a
// hand-made vocabulary, unknown merging, byte fallback, Precompiled offsets and error messages.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokenization/golden.hpp"
#include "tokenization/precompiled_normalizer.hpp"
#include "tokenization/unigram.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace {

using nlohmann::json;
using trfpipe::testing::kGolden;
const std::string kModel = trfpipe::testing::kTok + "albert-30k-clean.model";

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A temporary folder holding one file; removed afterwards.
class TempJson {
 public:
  explicit TempJson(const std::string& content, const std::string& name = "tokenizer.json") {
    char tmpl[] = "/tmp/trfpipe_unigram_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/" + name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempJson() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

// Makes the SentencePiece shim unloadable while alive, so a use of it would throw.
class NoShim {
 public:
  NoShim() {
    const char* v = std::getenv("TRFPIPE_SENTENCEPIECE_SHIM");
    had_ = v != nullptr;
    if (had_) old_ = v;
    ::setenv("TRFPIPE_SENTENCEPIECE_SHIM", "/nonexistent/libtrfpipe_sentencepiece.so", 1);
  }
  ~NoShim() {
    if (had_) ::setenv("TRFPIPE_SENTENCEPIECE_SHIM", old_.c_str(), 1);
    else ::unsetenv("TRFPIPE_SENTENCEPIECE_SHIM");
  }

 private:
  bool had_ = false;
  std::string old_;
};

std::vector<std::vector<int64_t>> pairs(const std::vector<trfpipe::Offset>& o) {
  std::vector<std::vector<int64_t>> v;
  for (const auto& p : o) v.push_back({p.first, p.second});
  return v;
}

const std::string& albert_json() {
  static const std::string j = trfpipe::subword::sentencepiece_model_to_tokenizer_json(slurp(kModel));
  return j;
}

TEST(UnigramNative, ConvertedAlbertTokenizerJsonMatchesSentencePieceOnEveryRow) {
  NoShim no_shim;
  TempJson file(albert_json());
  auto tok = trfpipe::load_subword_tokenizer(file.path());
  ASSERT_NE(dynamic_cast<const trfpipe::subword::UnigramTokenizer*>(tok.get()), nullptr);
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::SentencePiece);
  EXPECT_EQ(tok->vocab_size(), 30000u);
  std::string first;
  size_t rows = 0, mismatches = 0;
  for (const json& row : trfpipe::testing::read_jsonl(kGolden + "albert-30k-clean.spm.jsonl")) {
    std::string text = row["text"].get<std::string>();
    trfpipe::Encoding e = tok->encode(text, true);
    bool ok = e.ids == row["ids"].get<std::vector<int64_t>>() &&
              e.tokens == row["pieces"].get<std::vector<std::string>>() &&
              pairs(e.offsets) == row["offsets_utf8"].get<std::vector<std::vector<int64_t>>>() &&
              pairs(e.offsets_codepoints) ==
                  row["offsets_codepoints"].get<std::vector<std::vector<int64_t>>>();
    if (!ok && mismatches++ == 0) {
      json got;
      got["ids"] = e.ids;
      got["pieces"] = e.tokens;
      got["offsets_utf8"] = pairs(e.offsets);
      got["offsets_codepoints"] = pairs(e.offsets_codepoints);
      first = "row " + std::to_string(rows) + "\n expected: " + row.dump() + "\n got:      " + got.dump();
    }
    ++rows;
  }
  EXPECT_EQ(rows, 3658u);
  std::cout << "[ native Unigram parity ] " << (rows - mismatches) << " of " << rows << " rows match\n";
  EXPECT_EQ(mismatches, 0u) << mismatches << " of " << rows << " rows differ; first: " << first;
}

TEST(UnigramNative, TemplateProcessingMakesAlbert) {
  json j = json::parse(albert_json());
  j["post_processor"] = json::parse(R"({"type":"TemplateProcessing",
    "single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
              {"SpecialToken":{"id":"[SEP]","type_id":0}}],
    "pair":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
            {"SpecialToken":{"id":"[SEP]","type_id":0}},{"Sequence":{"id":"B","type_id":1}},
            {"SpecialToken":{"id":"[SEP]","type_id":1}}],
    "special_tokens":{}})");
  NoShim no_shim;
  TempJson file(j.dump());
  auto tok = trfpipe::load_subword_tokenizer(file.path());
  EXPECT_EQ(tok->family(), trfpipe::TokenizerFamily::Albert);
  trfpipe::Encoding e = tok->encode("hello world", true);
  ASSERT_GE(e.size(), 3u);
  EXPECT_EQ(e.tokens.front(), "[CLS]");
  EXPECT_EQ(e.tokens.back(), "[SEP]");
  EXPECT_EQ(e.ids.front(), tok->token_to_id("[CLS]"));
  EXPECT_EQ(tok->special_tokens().pad, "<pad>");
}

TEST(UnigramNative, SaveWritesATokenizerJsonThatLoadsNatively) {
  NoShim no_shim;
  TempJson file(albert_json());
  auto tok = trfpipe::load_subword_tokenizer(file.path());
  char tmpl[] = "/tmp/trfpipe_unigram_save_XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  tok->save(dir + "/out");
  auto again = trfpipe::load_subword_tokenizer(dir + "/out");
  std::system(("rm -rf '" + dir + "'").c_str());
  ASSERT_NE(dynamic_cast<const trfpipe::subword::UnigramTokenizer*>(again.get()), nullptr);
  std::string text = "Big, grey and imposing.  ﬁne!!!";
  auto a = tok->encode(text), b = again->encode(text);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_GT(a.size(), 5u);
}

// A small hand-made model: no normalizer unless given.
std::string small_json(const json& vocab, const json& pre = nullptr, const json& norm = nullptr,
                       const json& unk_id = 0, bool byte_fallback = false) {
  json j;
  j["normalizer"] = norm;
  j["pre_tokenizer"] = pre;
  j["post_processor"] = nullptr;
  j["model"] = {{"type", "Unigram"}, {"unk_id", unk_id}, {"vocab", vocab}, {"byte_fallback", byte_fallback}};
  return j.dump();
}

trfpipe::Encoding encode_with(const std::string& tokenizer_json, const std::string& text) {
  TempJson file(tokenizer_json);
  auto tok = trfpipe::load_subword_tokenizer(file.path());
  return tok->encode(text, false);
}

TEST(UnigramNative, ViterbiPicksTheBestTotalScore) {
  json vocab = json::parse(R"([["<unk>",0],["a",-1],["b",-1],["ab",-1.5],["c",-3],["abc",-10],["bc",-3.5]])");
  // "ab": ab (-1.5) beats a+b (-2).  "abc": ab+c (-4.5) beats abc (-10), a+bc (-4.5 tie: first
  // found at the end node keeps it: ab+c reaches c's end later... both -4.5; a strict '>' keeps
  // the first candidate written at node 3, which is a+bc? no: candidates for end 3 arrive in
  // start order: abc (start 0), bc (start 1, -4.5), c (start 2, -4.5): bc wins the tie.
  auto e = encode_with(small_json(vocab), "ab");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"ab"}));
  e = encode_with(small_json(vocab), "abc");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{1, 6}));
  EXPECT_EQ(pairs(e.offsets), (std::vector<std::vector<int64_t>>{{0, 1}, {1, 3}}));
  // Make c cheaper: ab + c (-1.5 - 0.5) wins.
  vocab[4][1] = -0.5;
  e = encode_with(small_json(vocab), "abc");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"ab", "c"}));
}

TEST(UnigramNative, UnknownRunsMergeIntoOnePiece) {
  json vocab = json::parse(R"([["<unk>",0],["a",-1],["b",-1]])");
  auto e = encode_with(small_json(vocab), "xÿab z");
  // x, ÿ unknown (merged), a, b, then " z" unknown (merged).
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"xÿ", "a", "b", " z"}));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{0, 1, 2, 0}));
  EXPECT_EQ(pairs(e.offsets), (std::vector<std::vector<int64_t>>{{0, 3}, {3, 4}, {4, 5}, {5, 7}}));
  // The unknown score is min score - 10 = -30: "xabc" = unk(x) + abc (-30 - 0.4) beats
  // xa + bc (-20 - 10.5); with abc at -0.6 the known path wins.
  json v2 = json::parse(R"([["<unk>",0],["xa",-20],["bc",-10.5],["abc",-0.4]])");
  e = encode_with(small_json(v2), "xabc");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"x", "abc"}));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{0, 3}));
  v2[3][1] = -0.6;
  e = encode_with(small_json(v2), "xabc");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"xa", "bc"}));
}

TEST(UnigramNative, ByteFallbackSpellsUnknownsAsBytes) {
  json vocab = json::parse(R"([["<unk>",0],["a",-1],["<0xC3>",-2],["<0xBF>",-2],["<0x78>",-2]])");
  auto e = encode_with(small_json(vocab, nullptr, nullptr, 0, true), "aÿx");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"a", "<0xC3>", "<0xBF>", "<0x78>"}));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{1, 2, 3, 4}));
  // A byte missing from the vocabulary: the run stays one unknown piece.
  e = encode_with(small_json(vocab, nullptr, nullptr, 0, true), "aé");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"a", "é"}));
  EXPECT_EQ(e.ids, (std::vector<int64_t>{1, 0}));
}

TEST(UnigramNative, MetaspaceAndNormalizersKeepOriginalOffsets) {
  json vocab = json::parse(R"([["<unk>",0],["▁",-1],["▁ab",-1],["▁c",-1],["ab",-2],["c",-2],["▁fi",-1]])");
  json meta = {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "always"}, {"split", true}};
  json norm = json::parse(R"({"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"},
     {"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "},{"type":"Strip","strip_left":true,"strip_right":true}]})");
  // "  ＡB   ﬁ c " : full-width A (3 bytes), ligature ﬁ (3 bytes).
  std::string text = "  \xEF\xBC\xA1" "B   \xEF\xAC\x81 c ";
  auto e = encode_with(small_json(vocab, meta, norm), text);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"▁ab", "▁fi", "▁c"}));
  // ▁ab: from Ａ (byte 2) to the space after B (6); ▁fi: the first collapsed space (6) to 12.
  EXPECT_EQ(pairs(e.offsets), (std::vector<std::vector<int64_t>>{{2, 6}, {6, 12}, {12, 14}}));
  // prepend_scheme never: no prefix, the leading "ab" is not "▁ab".
  meta["prepend_scheme"] = "never";
  e = encode_with(small_json(vocab, meta, norm), "ab c");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"ab", "▁c"}));
  // WhitespaceSplit then Metaspace (T5's shape).
  json seq = {{"type", "Sequence"}, {"pretokenizers", json::array({{{"type", "WhitespaceSplit"}}, meta})}};
  seq["pretokenizers"][1]["prepend_scheme"] = "always";
  e = encode_with(small_json(vocab, seq), "ab\tc");
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"▁ab", "▁c"}));
  EXPECT_EQ(pairs(e.offsets), (std::vector<std::vector<int64_t>>{{0, 2}, {3, 4}}));
}

TEST(UnigramNative, PrecompiledCharsmapMapsNormalizedBytesToTheOriginal) {
  json j = json::parse(albert_json());
  std::string b64 = j["normalizer"]["normalizers"][0]["precompiled_charsmap"].get<std::string>();
  trfpipe::subword::PrecompiledCharsmap map(trfpipe::subword::base64_decode(b64));
  // ﬁ (3 bytes) -> "fi"; full-width Ｘ (3 bytes) -> "X"; 'y' stays.
  auto t = trfpipe::subword::aligned_identity("\xEF\xAC\x81\xEF\xBC\xB8y");
  map.normalize(t);
  EXPECT_EQ(t.text, "fiXy");
  EXPECT_EQ(t.map, (std::vector<int64_t>{0, 0, 3, 6, 7}));
  // Through the whole ALBERT pipeline, pieces slice the original text.
  NoShim no_shim;
  TempJson file(albert_json());
  auto tok = trfpipe::load_subword_tokenizer(file.path());
  std::string text = "\xEF\xAC\x81nd \xEF\xBD\x86\xEF\xBD\x8F\xEF\xBD\x8F";  // "ﬁnd ｆｏｏ"
  auto e = tok->encode(text, false);
  std::string joined;
  for (const auto& s : e.tokens) joined += s;
  EXPECT_EQ(joined, "▁find▁foo");
  ASSERT_FALSE(e.offsets.empty());
  EXPECT_EQ(e.offsets.front().first, 0);
  EXPECT_EQ(e.offsets.back().second, static_cast<int64_t>(text.size()));
  for (size_t k = 1; k < e.size(); ++k) EXPECT_GE(e.offsets[k].first, e.offsets[k - 1].first);
}

TEST(UnigramNative, MalformedFieldsNameTheField) {
  auto expect_error = [](const std::string& content, const std::string& needle) {
    TempJson file(content);
    try {
      trfpipe::load_subword_tokenizer(file.path());
      ADD_FAILURE() << "no error for " << needle;
    } catch (const trfpipe::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  json vocab = json::parse(R"([["<unk>",0],["a",-1]])");
  json j = json::parse(small_json(vocab));
  auto with = [&](const char* key, const json& v) {
    json c = j;
    c["model"][key] = v;
    return c.dump();
  };
  expect_error(with("vocab", "a"), "model.vocab");
  expect_error(with("vocab", json::parse(R"([["a",-1],["b"]])")), "model.vocab[1]");
  expect_error(with("vocab", json::parse(R"([["a","x"]])")), "model.vocab[0]");
  expect_error(with("vocab", json::array()), "model.vocab is empty");
  expect_error(with("unk_id", 7), "model.unk_id");
  expect_error(with("unk_id", "0"), "model.unk_id");
  expect_error(with("byte_fallback", "yes"), "model.byte_fallback");
  expect_error(small_json(vocab, nullptr, json{{"type", "Bogus"}}), "normalizer: unsupported normalizer type 'Bogus'");
  expect_error(small_json(vocab, nullptr, json{{"type", "Sequence"}, {"normalizers", json::array({{{"type", "Precompiled"}, {"precompiled_charsmap", "!!!"}}})}}),
               "normalizer.normalizers[0].precompiled_charsmap");
  expect_error(small_json(vocab, nullptr, json{{"type", "Precompiled"}, {"precompiled_charsmap", "AQID"}}),
               "normalizer.precompiled_charsmap");
  expect_error(small_json(vocab, nullptr, json{{"type", "Replace"}, {"pattern", "x"}, {"content", ""}}), "normalizer.pattern");
  expect_error(small_json(vocab, nullptr, json{{"type", "Replace"}, {"pattern", {{"String", "x"}}}}), "normalizer.content");
  expect_error(small_json(vocab, nullptr, json{{"type", "Strip"}, {"strip_left", 1}}), "normalizer.strip_left");
  expect_error(small_json(vocab, json{{"type", "Metaspace"}, {"prepend_scheme", "sometimes"}}), "pre_tokenizer.prepend_scheme");
  expect_error(small_json(vocab, json{{"type", "ByteLevel"}}), "pre_tokenizer: unsupported pre_tokenizer type 'ByteLevel'");
  expect_error(small_json(vocab, json{{"replacement", "x"}}), "pre_tokenizer.type is missing");
  // No unk_id and an unknown character: an error at encode time.
  TempJson file(small_json(vocab, nullptr, nullptr, nullptr));
  auto tok = trfpipe::load_subword_tokenizer(file.path());
  EXPECT_THROW(tok->encode("z", false), trfpipe::Error);
  EXPECT_EQ(tok->encode("a", false).tokens, (std::vector<std::string>{"a"}));
}

TEST(UnigramNative, ConverterRejectsMalformedModels) {
  EXPECT_THROW(trfpipe::subword::sentencepiece_model_to_tokenizer_json(""), trfpipe::ValueError);
  EXPECT_THROW(trfpipe::subword::sentencepiece_model_to_tokenizer_json("\x0a\xff"), trfpipe::ValueError);
  std::string model = slurp(kModel);
  EXPECT_THROW(trfpipe::subword::sentencepiece_model_to_tokenizer_json(model.substr(0, model.size() / 2)),
               trfpipe::ValueError);
}

}  // namespace
