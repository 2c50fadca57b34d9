// Hostile inputs through the real CLI (issue #19): each kind the reviewer found a crash, unbounded
// resource use, an escape or an "Unexpected error" with, generated small here. Every run must end
// with exit code 1 or 2, no signal, within 60 s and 2 GB of address space (ulimit -v in the
// child), with a message naming the file and never "Unexpected error".
#include <gtest/gtest.h>

#include <caffe2/serialize/inline_container.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "tests/cli/run_cli.hpp"

namespace fs = std::filesystem;
using namespace std::string_literals;
using nlohmann::json;
using trfpipe::testing::RunOptions;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;

namespace {

const std::string kVocab = std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt";

RunResult run_limited(const std::vector<std::string>& args) {
  RunOptions o;
  o.timeout_seconds = 60;
  o.address_space_limit = uint64_t(2) << 30;
  return trfpipe::testing::run_process(args, o);
}

// The command fails cleanly: exit 1 or 2, in time, a message naming `names`, no "Unexpected".
void expect_clean_failure(const std::vector<std::string>& args, const std::string& names,
                          const std::string& says = "") {
  std::string cmd;
  for (const auto& a : args) cmd += (a.size() > 80 ? a.substr(0, 80) + "..." : a) + " ";
  SCOPED_TRACE(cmd);
  const auto start = std::chrono::steady_clock::now();
  RunResult r = run_limited(args);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(r.timed_out) << "took over 60 s";
  EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << "exit " << r.exit_code << " after " << s << " s\n" << r.err;
  EXPECT_EQ(r.err.find("Unexpected error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(names), std::string::npos) << "the message does not name " << names << ":\n" << r.err;
  if (!says.empty()) EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
}

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::string u(const std::string& s) {  // pickle BINUNICODE
  std::string out = "X";
  uint32_t n = uint32_t(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + s;
}

std::string torch_archive(const std::string& pkl) {
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* buf, size_t n) -> size_t {
    out.append(static_cast<const char*>(buf), n);
    return n;
  });
  writer.writeRecord("data.pkl", pkl.data(), pkl.size());
  writer.writeEndOfFile();
  return out;
}

std::string transformer_cfg(const std::string& model_dir) {
  return "[nlp]\nlang = \"en\"\npipeline = [\"transformer\"]\n\n[components]\n\n"
         "[components.transformer]\nfactory = \"transformer\"\n\n"
         "[components.transformer.model]\n@architectures = \"spacy-transformers.TransformerModel.v3\"\n"
         "name = \"" + model_dir + "\"\n\n"
         "[components.transformer.model.get_spans]\n@span_getters = \"spacy-transformers.strided_spans.v1\"\n"
         "window = 128\nstride = 96\n";
}

// One tiny BERT folder made by `trfpipe init model`, copied for each hostile variant.
class HostileCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = new TempDir("trfpipe_hostile_cli_");
    RunResult r = trfpipe::testing::run_cli({"init", "model", (base_->path / "bert").string(), "--arch",
                                             "bert", "--tokenizer", kVocab, "--width", "16", "--layers", "1",
                                             "--heads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete base_; }

  // A copy of the tiny model under `name`, and a config that assembles a pipeline with it.
  fs::path model(const std::string& name) {
    fs::path d = tmp_.path / name;
    fs::copy(base_->path / "bert", d, fs::copy_options::recursive);
    write(tmp_.path / (name + ".cfg"), transformer_cfg(d.string()));
    return d;
  }
  std::vector<std::string> assemble(const std::string& name) {
    return {"assemble", tmp_ / (name + ".cfg"), tmp_ / (name + "-out")};
  }
  void set_config(const fs::path& dir, const std::string& key, const json& value) {
    std::ifstream in(dir / "config.json");
    json cfg = json::parse(in);
    cfg[key] = value;
    write(dir / "config.json", cfg.dump());
  }

  static TempDir* base_;
  TempDir tmp_{"trfpipe_hostile_case_"};
};
TempDir* HostileCli::base_ = nullptr;

TEST_F(HostileCli, TheUntouchedModelAssembles) {
  model("ok");
  RunResult r = run_limited(assemble("ok"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(HostileCli, PicklesThatReferToThemselvesOrNestDeep) {
  const std::string self = "\x80\x02"s + "ctorch._tensor\n_rebuild_from_type_v2\nq\x00"s + "]q\x01" +
                           "h\x01h\x00"s "a" "h\x01Na" "h\x01h\x01" "a" "h\x00h\x01R."s;
  std::string nested = "\x80\x02)"s;
  for (int i = 0; i < 100000; ++i) nested += "\x80\x02\x85"s;
  nested += ".";
  const std::string memo = "\x80\x02}r\xff\xff\xff\xff."s;  // a 9-byte pickle, index 2^32-1
  int k = 0;
  for (const std::string& pkl : {self, nested, memo, "\x80\x02"s + std::string(1 << 20, ']') + "."}) {
    const std::string name = "pickle" + std::to_string(k++);
    fs::path d = model(name);
    fs::remove(d / "model.safetensors");
    write(d / "pytorch_model.bin", torch_archive(pkl));
    expect_clean_failure(assemble(name), (d / "pytorch_model.bin").string());
  }
}

TEST_F(HostileCli, ConfigJsonSizesBeyondTheWeights) {
  // Beyond the sane limits or far beyond the weights (over 2^24 values more): config.json is
  // named before any module is built. A model only a few MB larger than its weights (1000 layers
  // or an inner size of 200000 at width 16) is built and fails on the weights it lacks or their
  // shapes, naming model.safetensors: either way a file of the folder.
  struct Case {
    std::string key;
    int64_t value;
    bool names_config;
  };
  for (const Case& c : std::vector<Case>{{"num_hidden_layers", 1000000, true}, {"hidden_size", 1000000, true},
                                         {"hidden_size", 4096, true}, {"vocab_size", 5000000, true},
                                         {"num_hidden_layers", 1000, false}, {"intermediate_size", 200000, false}}) {
    const std::string name = c.key + std::to_string(c.value);
    fs::path d = model(name);
    set_config(d, c.key, c.value);
    if (c.key == "hidden_size") set_config(d, "num_attention_heads", 1);
    expect_clean_failure(assemble(name), c.names_config ? (d / "config.json").string() : d.string());
  }
  fs::path d = model("deepjson");
  write(d / "config.json", "{\"model_type\": \"bert\", \"x\": " + std::string(300000, '[') + std::string(300000, ']') + "}");
  expect_clean_failure(assemble("deepjson"), (d / "config.json").string(), "nested deeper");
}

TEST_F(HostileCli, ShardIndexOutsideTheFolderOrADevice) {
  model("ok");  // "../ok/model.safetensors" names a real checkpoint, outside the folder
  for (const std::string& shard : {"/dev/zero"s, "../../../../../../etc/passwd"s, "../ok/model.safetensors"s}) {
    const std::string name = "shard" + std::to_string(shard.size());
    fs::path d = model(name);
    fs::rename(d / "model.safetensors", d / "part.safetensors");
    json index = {{"metadata", json::object()}, {"weight_map", {{"embeddings.word_embeddings.weight", shard}}}};
    write(d / "model.safetensors.index.json", index.dump());
    expect_clean_failure(assemble(name), (d / "model.safetensors.index.json").string());
  }
}

TEST_F(HostileCli, SafetensorsDeclaringMoreThanTheFileHolds) {
  fs::path d = model("st");
  std::string header = R"({"embeddings.word_embeddings.weight": {"dtype": "F32", "shape": [100000000, 100000], "data_offsets": [0, 40000000000000]}})";
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  write(d / "model.safetensors", bytes + header + std::string(64, '\0'));
  expect_clean_failure(assemble("st"), (d / "model.safetensors").string());
  std::string huge_header(8, '\xff');
  write(d / "model.safetensors", huge_header + "{}");
  expect_clean_failure(assemble("st"), (d / "model.safetensors").string());
}

TEST_F(HostileCli, TokenizerJsonWithMissingAndMistypedFields) {
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/golden/tokenization/bert-base-uncased.tokenizer.json");
  json good = json::parse(in);
  std::vector<json> bad(4, good);
  bad[0]["post_processor"].erase("cls");
  bad[1]["added_tokens"][0]["content"] = 17;
  bad[2]["model"]["max_input_chars_per_word"] = "x";
  bad[3]["post_processor"] = {{"type", "TemplateProcessing"}};
  fs::path texts = tmp_.path / "in.jsonl";
  write(texts, "{\"text\": \"Hello world\"}\n");
  for (size_t k = 0; k < bad.size(); ++k) {
    fs::path t = tmp_.path / ("tok" + std::to_string(k) + ".json");
    write(t, bad[k].dump());
    expect_clean_failure({"debug", "pieces", "--tokenizer", t.string(), texts.string(), tmp_ / "out.jsonl"},
                         t.string());
  }
}

TEST_F(HostileCli, DocBinsThatDeclareMoreThanTheyHold) {
  // Nested arrays each declaring as many items as bytes remain (9.7 KB of msgpack).
  std::string msg;
  for (int level = 0; level < 500; ++level) {
    const uint32_t n = uint32_t(10000 - 5 * level);
    msg += "\xdd"s + char(n >> 24) + char((n >> 16) & 0xff) + char((n >> 8) & 0xff) + char(n & 0xff);
  }
  msg += std::string(7000, '\0');
  // (zlib-compressed by a tiny stored-block writer: no zlib in the test)
  auto stored_zlib = [](const std::string& raw) {
    std::string out = "\x78\x01"s;
    for (size_t p = 0; p < raw.size() || p == 0; p += 65535) {
      const size_t len = std::min<size_t>(65535, raw.size() - p);
      const bool last = p + len >= raw.size();
      out += char(last ? 1 : 0);
      out += char(len & 0xff);
      out += char(len >> 8);
      out += char(~len & 0xff);
      out += char((~len >> 8) & 0xff);
      out += raw.substr(p, len);
      if (last) break;
    }
    uint32_t a = 1, b = 0;
    for (unsigned char c : raw) {
      a = (a + c) % 65521;
      b = (b + a) % 65521;
    }
    const uint32_t adler = (b << 16) | a;
    for (int k = 3; k >= 0; --k) out += char((adler >> (8 * k)) & 0xff);
    return out;
  };
  fs::path spacy = tmp_.path / "nested.spacy";
  write(spacy, stored_zlib(msg));
  expect_clean_failure({"evaluate", "blank:en", spacy.string()}, spacy.string());
  fs::path bomb = tmp_.path / "values.spacy";
  write(bomb, stored_zlib("\xdd\x00\x98\x96\x80"s + std::string(10000000, '\0')));
  expect_clean_failure({"evaluate", "blank:en", bomb.string()}, bomb.string());
}

TEST_F(HostileCli, ConvertWithVeryLongLines) {
  // Token-per-line NER with a 100,000-character token, and sentence-per-line IOB with a
  // 100,000-character line: the format detection overflowed the stack (std::regex) on both.
  fs::create_directories(tmp_.path / "conv");
  const std::string long_ner = std::string(100000, 'x') + " O\ny B-PER\n";
  const std::string long_iob = std::string(100000, 'y') + "|NN|B-PER z|NN|O\n";
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"long.ner", long_ner},
                                   {"long.conll", long_ner}, {"long.iob", long_iob}}) {
    fs::path p = tmp_.path / name;
    write(p, text);
    for (const auto& extra : {std::vector<std::string>{"--converter", "ner"}, std::vector<std::string>{}}) {
      std::vector<std::string> args = {"convert", p.string(), tmp_ / "conv"};
      args.insert(args.end(), extra.begin(), extra.end());
      SCOPED_TRACE(name + (extra.empty() ? "" : " --converter ner"));
      RunResult r = run_limited(args);
      EXPECT_FALSE(r.timed_out);
      EXPECT_EQ(r.exit_code, 0) << r.err;  // a stack overflow was exit 139
      EXPECT_NE(r.out.find("Generated output file"), std::string::npos) << r.out << r.err;
    }
  }
}

TEST_F(HostileCli, ComponentNamedWithAnAbsolutePathWritesNothingOutside) {
  const fs::path outside = tmp_.path / "outside";
  ASSERT_EQ(outside.string().find('.'), std::string::npos);
  fs::path cfg = tmp_.path / "abs.cfg";
  write(cfg, "[nlp]\nlang = \"en\"\npipeline = [\"" + outside.string() + "\"]\n\n[components]\n\n[components." +
                 outside.string() + "]\nfactory = \"sentencizer\"\n");
  expect_clean_failure({"assemble", cfg.string(), tmp_ / "pipe"}, outside.string(), "component name");
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_FALSE(fs::exists(tmp_.path / "pipe"));
}

TEST_F(HostileCli, TrainAndDebugConfigRejectTheSameSettings) {
  for (const std::string& setting : {"eval_frequency = 0"s, "dropout = []"s}) {
    fs::path cfg = tmp_.path / "c.cfg";
    write(cfg, "[paths]\ntrain = null\ndev = null\n\n[nlp]\nlang = \"en\"\npipeline = [\"sentencizer\"]\n\n"
               "[components]\n\n[components.sentencizer]\nfactory = \"sentencizer\"\n\n[training]\n" +
                   setting + "\n");
    RunResult d = run_limited({"debug", "config", cfg.string()});
    EXPECT_EQ(d.exit_code, 1) << setting << "\n" << d.out << d.err;
    EXPECT_EQ(d.out.find("Config is valid"), std::string::npos) << d.out;
    const std::string key = setting.substr(0, setting.find(' '));
    EXPECT_NE(d.err.find(key), std::string::npos) << d.err;
  }
}

TEST_F(HostileCli, ThreadsAreCappedAtTheCoreCount) {
  fs::path in = tmp_.path / "in.jsonl";
  write(in, "{\"text\": \"One. Two.\"}\n");
  RunResult r = run_limited({"apply", "blank:en", in.string(), tmp_ / "o.jsonl", "--pipe", "sentencizer",
                             "--threads", "100000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("100000 threads requested"), std::string::npos) << r.err;
}

TEST_F(HostileCli, DeeplyNestedJsonlInputAndPatterns) {
  // 100,000 levels of '[' in an input line of apply and in an entity_ruler pattern file: parsed,
  // then copied or dumped recursively, they overflowed the stack.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  fs::path in = tmp_.path / "deep.jsonl";
  write(in, "{\"text\": \"One.\"}\n{\"text\": " + deep + "}\n");
  expect_clean_failure({"apply", "blank:en", in.string(), tmp_ / "o.jsonl"}, in.string(), "nested deeper");
  fs::path patterns = tmp_.path / "patterns.jsonl";
  write(patterns, "{\"label\": \"X\", \"pattern\": " + deep + "}\n");
  fs::path cfg = tmp_.path / "ruler.cfg";
  write(cfg, "[nlp]\nlang = \"en\"\npipeline = [\"entity_ruler\"]\n\n[components]\n\n"
             "[components.entity_ruler]\nfactory = \"entity_ruler\"\n\n[initialize]\n\n"
             "[initialize.components]\n\n[initialize.components.entity_ruler]\n\n"
             "[initialize.components.entity_ruler.patterns]\n@readers = \"srsly.read_jsonl.v1\"\n"
             "path = \"" + patterns.string() + "\"\n");
  expect_clean_failure({"assemble", cfg.string(), tmp_ / "ruler-out"}, patterns.string());
}

TEST_F(HostileCli, HundredThousandSectionConfig) {
  std::string text = "[paths]\ntrain = null\n";
  for (int i = 0; i < 100000; ++i) text += "[s" + std::to_string(i) + "]\nv = " + std::to_string(i) + "\n";
  fs::path cfg = tmp_.path / "big.cfg";
  write(cfg, text);
  RunResult r = run_limited({"config", "dump", cfg.string(), "--format", "json"});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
}

}  // namespace
