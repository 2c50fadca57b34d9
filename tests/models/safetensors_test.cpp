// safetensors reader/writer, pytorch_model.bin reading and config.json parsing.
#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "models/safetensors.hpp"
#include "models/test_util.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/hf_config.hpp"

namespace fs = std::filesystem;
using namespace trfpipe;
using namespace trfpipe::models::testing;
using namespace trfpipe::models;

namespace {

void write_bytes(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

// A file whose header is `header` (raw JSON text) followed by `data_bytes` zero bytes.
std::string raw_file(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\0');
}

}  // namespace

TEST(Safetensors, RoundTripsEveryDtype) {
  const at::ScalarType types[] = {at::kDouble, at::kFloat, at::kHalf, at::kBFloat16, at::kLong,
                                  at::kInt,    at::kShort, at::kChar, at::kByte,     at::kBool};
  TensorMap tensors;
  int k = 0;
  for (auto t : types) {
    at::Tensor x = at::arange(0, 12, at::kDouble).reshape({3, 4}).mul(k % 2 ? 1.5 : 1.0);
    if (t == at::kBool) x = x.remainder(2);
    tensors["t" + std::to_string(k++) + "." + c10::toString(t)] = x.to(t);
  }
  tensors["scalar"] = at::scalar_tensor(3.25, at::kFloat);
  tensors["empty"] = at::empty({0, 5}, at::kFloat);
  auto dir = temp_dir("roundtrip");
  auto path = (dir / "x.safetensors").string();
  write_safetensors(path, tensors, {{"format", "pt"}});
  auto back = read_safetensors(path);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  EXPECT_EQ(back.metadata.at("format"), "pt");
  for (const auto& [name, t] : tensors) {
    ASSERT_TRUE(back.tensors.count(name)) << name;
    const auto& b = back.tensors.at(name);
    EXPECT_EQ(b.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(b.sizes(), t.sizes()) << name;
    EXPECT_TRUE(at::equal(b, t)) << name;
  }
  // Header length is a multiple of 8, as the reference writer pads it.
  auto bytes = read_file_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
}

TEST(Safetensors, TruncatedFileIsDataErrorNamingFile) {
  auto dir = temp_dir("trunc");
  auto path = (dir / "model.safetensors").string();
  write_safetensors(path, {{"w", at::ones({4, 4})}});
  auto bytes = read_file_bytes(path);
  write_bytes(path, bytes.substr(0, bytes.size() - 3));
  auto msg = data_error_message([&] { read_safetensors(path); });
  EXPECT_NE(msg.find("model.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  write_bytes(path, bytes.substr(0, 5));
  msg = data_error_message([&] { read_safetensors(path); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  write_bytes(path, bytes.substr(0, 20));
  msg = data_error_message([&] { read_safetensors(path); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Safetensors, BadHeaderJsonIsDataError) {
  auto msg = data_error_message([] { parse_safetensors(raw_file("{\"a\": [1, 2", 0), "bad.st"); });
  EXPECT_NE(msg.find("bad.st"), std::string::npos);
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  msg = data_error_message([] { parse_safetensors(raw_file("[1, 2]  ", 0), "bad.st"); });
  EXPECT_NE(msg.find("does not start with"), std::string::npos) << msg;
}

TEST(Safetensors, OffsetsOutOfRangeIsDataError) {
  auto msg = data_error_message([] {
    parse_safetensors(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8), "o.st");
  });
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
}

TEST(Safetensors, SizeNotMatchingShapeIsDataError) {
  auto msg = data_error_message([] {
    parse_safetensors(raw_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "s.st");
  });
  EXPECT_NE(msg.find("need 12"), std::string::npos) << msg;
}

TEST(Safetensors, OverlappingOrGappedOffsetsAreDataError) {
  auto msg = data_error_message([] {
    parse_safetensors(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12), "ov.st");
  });
  EXPECT_NE(msg.find("overlapping"), std::string::npos) << msg;
  msg = data_error_message([] {
    parse_safetensors(raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8), "gap.st");
  });
  EXPECT_NE(msg.find("cover 4 bytes"), std::string::npos) << msg;
}

TEST(Safetensors, UnknownDtypeAndBadEntriesAreDataError) {
  auto msg = data_error_message([] {
    parse_safetensors(raw_file(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", 8), "d.st");
  });
  EXPECT_NE(msg.find("unsupported dtype 'C64'"), std::string::npos) << msg;
  msg = data_error_message([] { parse_safetensors(raw_file(R"({"a":{"shape":[1]}})", 0), "d.st"); });
  EXPECT_NE(msg.find("missing 'dtype'"), std::string::npos) << msg;
  msg = data_error_message([] {
    parse_safetensors(raw_file(R"({"__metadata__":{"k":1}})", 0), "m.st");
  });
  EXPECT_NE(msg.find("__metadata__"), std::string::npos) << msg;
  std::string huge(8, '\xff');
  msg = data_error_message([&] { parse_safetensors(huge, "h.st"); });
  EXPECT_NE(msg.find("100 MB"), std::string::npos) << msg;
}

TEST(Safetensors, WriterRejectsUnsupportedDtype) {
  EXPECT_THROW(serialize_safetensors({{"c", at::ones({2}, at::kComplexFloat)}}), ValueError);
  EXPECT_THROW(serialize_safetensors({{"u", at::Tensor()}}), ValueError);
}

TEST(Safetensors, MissingFileIsDataError) {
  auto msg = data_error_message([] { read_safetensors("/nonexistent/model.safetensors"); });
  EXPECT_NE(msg.find("/nonexistent/model.safetensors"), std::string::npos);
}

// read_safetensors maps the file: the tensors are views of it (no copy) and equal what copying
// the bytes gives; a write to one copies its page and never reaches the file; a file replaced
// (write_safetensors renames) or removed under them leaves them as they were.
TEST(Safetensors, MappedTensorsEqualCopiedOnesAndSurviveTheFileChanging) {
  auto dir = temp_dir("mapped");
  auto path = (dir / "model.safetensors").string();
  const at::Tensor w = at::randn({64, 32}), b = at::randn({32}), h = at::randn({5}).to(at::kHalf);
  const at::Tensor ids = at::arange(0, 7, at::kLong);
  write_safetensors(path, {{"w", w}, {"b", b}, {"h", h}, {"ids", ids}});
  SafetensorsContent mapped = read_safetensors(path);
  const SafetensorsContent copied = parse_safetensors(read_file_bytes(path), path);
  ASSERT_EQ(mapped.tensors.size(), copied.tensors.size());
  for (const auto& [name, t] : copied.tensors) {
    EXPECT_TRUE(at::equal(mapped.tensors.at(name), t)) << name;
    EXPECT_FALSE(is_file_mapped(t)) << name;
  }
  for (const char* name : {"w", "b", "h", "ids"})
    EXPECT_TRUE(is_file_mapped(mapped.tensors.at(name))) << name << " was copied";

  mapped.tensors.at("w").add_(1.0);  // copy-on-write: the file keeps its values
  EXPECT_TRUE(at::equal(parse_safetensors(read_file_bytes(path), path).tensors.at("w"), w));
  EXPECT_TRUE(at::equal(mapped.tensors.at("w"), w + 1.0));

  write_safetensors(path, {{"w", at::zeros({64, 32})}, {"b", at::zeros({32})}});
  EXPECT_TRUE(at::equal(mapped.tensors.at("b"), b));  // still the old file's pages
  EXPECT_TRUE(at::equal(read_safetensors(path).tensors.at("b"), at::zeros({32})));
  fs::remove(path);
  EXPECT_TRUE(at::equal(mapped.tensors.at("ids"), ids));
  EXPECT_TRUE(at::equal(mapped.tensors.at("h"), h));
  fs::remove_all(dir);
}

TEST(TorchBin, RoundTripsTorchSaveZipArchive) {
  auto dir = temp_dir("bin");
  auto path = (dir / "pytorch_model.bin").string();
  TensorMap tensors = {{"a.weight", at::randn({3, 5})},
                       {"b.bias", at::arange(7, at::kLong)},
                       {"c", at::randn({4}).to(at::kHalf)},
                       {"strided", at::randn({6, 4}).t()}};
  write_torch_bin(path, tensors);
  auto back = read_torch_bin(path);
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [k, t] : tensors) {
    ASSERT_TRUE(back.count(k)) << k;
    EXPECT_EQ(back[k].scalar_type(), t.scalar_type()) << k;
    EXPECT_TRUE(at::equal(back[k], t.contiguous())) << k;
  }
}

// The bytes Python's torch.save writes for a state dict (protocol 2): an OrderedDict filled by
// SETITEMS, then BUILD with its `_metadata` attribute; tensors via _rebuild_tensor_v2 over a
// persistent-id storage. torch::pickle_load cannot read this (OrderedDict becomes None).
TEST(TorchBin, ReadsPythonStyleOrderedDictWithMetadata) {
  auto u = [](const std::string& s) {  // BINUNICODE
    std::string out = "X";
    uint32_t n = s.size();
    out.append(reinterpret_cast<const char*>(&n), 4);
    return out + s;
  };
  using namespace std::string_literals;
  std::string pkl = "\x80\x02"s;
  pkl += "ccollections\nOrderedDict\nq\x00)Rq\x01("s;
  pkl += u("bert.embeddings.LayerNorm.gamma") + "q\x02"s;
  pkl += "ctorch._utils\n_rebuild_tensor_v2\nq\x03(("s + u("storage") + "q\x04" "ctorch\nFloatStorage\nq\x05"s +
         u("0") + "q\x06"s + u("cpu") + "q\x07K\x06tq\x08Q"s;
  pkl += "K\x00K\x02K\x03\x86q\x09K\x01K\x02\x86q\x0a\x89" "ccollections\nOrderedDict\nq\x0b)Rq\x0ctq\x0dRq\x0e"s;
  pkl += u("ids") + "q\x0fh\x03((h\x04" "ctorch\nLongStorage\nq\x10"s + u("1") + "h\x07K\x02tq\x11Q"s +
         "K\x00K\x02\x85K\x01\x85\x89h\x0b)Rtq\x12Rq\x13"s;
  pkl += "u}q\x14"s + u("_metadata") + "h\x0b)Rq\x15"s + u("") + "}"s + u("version") + "K\x01sssb."s;
  std::vector<float> storage = {0, 1, 2, 3, 4, 5};
  std::vector<int64_t> ids = {7, -3};
  auto dir = temp_dir("pybin");
  auto path = (dir / "pytorch_model.bin").string();
  {
    std::ofstream out(path, std::ios::binary);
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* buf, size_t n) -> size_t {
      out.write(static_cast<const char*>(buf), static_cast<std::streamsize>(n));
      return n;
    });
    writer.writeRecord("data.pkl", pkl.data(), pkl.size());
    writer.writeRecord("data/0", storage.data(), storage.size() * sizeof(float));
    writer.writeRecord("data/1", ids.data(), ids.size() * sizeof(int64_t));
    writer.writeRecord("version", "3\n", 2);
    writer.writeEndOfFile();
  }
  auto t = read_torch_bin(path);
  ASSERT_EQ(t.size(), 2u);
  auto w = t.at("bert.embeddings.LayerNorm.gamma");
  EXPECT_EQ(w.sizes(), (at::IntArrayRef{2, 3}));
  // stride (1, 2): column-major view of the storage
  EXPECT_EQ(w[0][1].item<float>(), 2.0f);
  EXPECT_EQ(w[1][0].item<float>(), 1.0f);
  EXPECT_TRUE(at::equal(t.at("ids"), at::tensor(ids, at::kLong)));
}

TEST(TorchBin, NonArchiveAndLegacyFilesAreDataError) {
  auto dir = temp_dir("binbad");
  auto path = (dir / "pytorch_model.bin").string();
  write_bytes(path, "hello, not a zip");
  auto msg = data_error_message([&] { read_torch_bin(path); });
  EXPECT_NE(msg.find("not a torch.save zip archive"), std::string::npos) << msg;
  write_bytes(path, std::string("\x80\x02\x8a\x0a", 4) + "legacy");
  msg = data_error_message([&] { read_torch_bin(path); });
  EXPECT_NE(msg.find("legacy"), std::string::npos) << msg;
  write_bytes(path, "PK\x03\x04 truncated zip");
  msg = data_error_message([&] { read_torch_bin(path); });
  EXPECT_NE(msg.find("pytorch_model.bin"), std::string::npos) << msg;
}

// ---------------------------------------------------------------------------------------------
TEST(HFConfig, ParsesBertNames) {
  auto c = HFConfig::from_json(Json::parse(R"({"model_type":"bert","vocab_size":100,"hidden_size":32,
    "num_hidden_layers":3,"num_attention_heads":4,"intermediate_size":64,"hidden_act":"gelu",
    "max_position_embeddings":128,"type_vocab_size":2,"layer_norm_eps":1e-12,"pad_token_id":0})"));
  EXPECT_EQ(c.family, EncoderFamily::Bert);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_EQ(c.intermediate_size, 64);
  EXPECT_EQ(c.base_model_prefix(), "bert.");
  EXPECT_TRUE(c.has_pooler());
  EXPECT_FALSE(c.output_hidden_states);
}

TEST(HFConfig, MapsDistilBertAndGpt2Names) {
  auto d = HFConfig::from_json(Json::parse(R"({"model_type":"distilbert","vocab_size":100,"dim":48,
    "n_layers":2,"n_heads":3,"hidden_dim":96,"activation":"relu","dropout":0.2,"attention_dropout":0.3,
    "sinusoidal_pos_embds":true})"));
  EXPECT_EQ(d.hidden_size, 48);
  EXPECT_EQ(d.num_hidden_layers, 2);
  EXPECT_EQ(d.num_attention_heads, 3);
  EXPECT_EQ(d.intermediate_size, 96);
  EXPECT_EQ(d.hidden_act, "relu");
  EXPECT_DOUBLE_EQ(d.hidden_dropout_prob, 0.2);
  EXPECT_DOUBLE_EQ(d.attention_probs_dropout_prob, 0.3);
  EXPECT_TRUE(d.sinusoidal_pos_embds);
  EXPECT_FALSE(d.has_pooler());
  auto g = HFConfig::from_json(Json::parse(R"({"model_type":"gpt2","vocab_size":100,"n_embd":32,
    "n_layer":2,"n_head":2,"n_positions":64,"n_inner":null,"activation_function":"gelu_new",
    "resid_pdrop":0.1,"embd_pdrop":0.2,"attn_pdrop":0.3,"layer_norm_epsilon":1e-5})"));
  EXPECT_EQ(g.family, EncoderFamily::Gpt2);
  EXPECT_EQ(g.intermediate_size, 128);
  EXPECT_EQ(g.max_position_embeddings, 64);
  EXPECT_DOUBLE_EQ(g.embedding_dropout_prob, 0.2);
  EXPECT_DOUBLE_EQ(g.attention_probs_dropout_prob, 0.3);
  EXPECT_DOUBLE_EQ(g.layer_norm_eps, 1e-5);
  EXPECT_EQ(g.pad_token_id, -1);
  EXPECT_EQ(g.base_model_prefix(), "transformer.");
}

TEST(HFConfig, RobertaFamilyTypes) {
  for (const char* t : {"roberta", "xlm-roberta", "camembert"}) {
    auto c = HFConfig::from_json(Json{{"model_type", t}, {"vocab_size", 50}, {"hidden_size", 16},
                                      {"num_attention_heads", 2}, {"pad_token_id", 1}});
    EXPECT_EQ(c.family, EncoderFamily::Roberta) << t;
    EXPECT_EQ(c.base_model_prefix(), "roberta.");
  }
}

TEST(HFConfig, UnknownModelTypeListsSupported) {
  try {
    HFConfig::from_json(Json{{"model_type", "t5"}, {"vocab_size", 10}});
    FAIL();
  } catch (const ValueError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("'t5'"), std::string::npos);
    for (const auto& t : HFConfig::supported_model_types()) EXPECT_NE(m.find(t), std::string::npos) << t;
  }
}

TEST(HFConfig, InvalidValuesAreErrors) {
  Json base = {{"model_type", "bert"}, {"vocab_size", 10}, {"hidden_size", 16}, {"num_attention_heads", 2}};
  auto with = [&](const char* k, Json v) {
    Json j = base;
    j[k] = v;
    return j;
  };
  EXPECT_THROW(HFConfig::from_json(with("num_attention_heads", 3)), ValueError);
  EXPECT_THROW(HFConfig::from_json(with("hidden_act", "mish")), ValueError);
  EXPECT_THROW(HFConfig::from_json(with("hidden_size", "big")), ValueError);
  EXPECT_THROW(HFConfig::from_json(with("position_embedding_type", "relative_key")), ValueError);
  EXPECT_THROW(HFConfig::from_json(with("pad_token_id", 10)), ValueError);
  EXPECT_THROW(HFConfig::from_json(with("hidden_dropout_prob", 1.5)), ValueError);
  Json no_vocab = base;
  no_vocab.erase("vocab_size");
  EXPECT_THROW(HFConfig::from_json(no_vocab), ValueError);
  EXPECT_THROW(HFConfig::from_json(Json::array()), ValueError);
}

TEST(HFConfig, OverridesApplyAndKeepRaw) {
  auto c = HFConfig::from_json(Json{{"model_type", "bert"}, {"vocab_size", 10}, {"hidden_size", 16},
                                    {"num_attention_heads", 2}});
  auto o = c.with_overrides(Json{{"output_hidden_states", true}, {"hidden_dropout_prob", 0.0}});
  EXPECT_TRUE(o.output_hidden_states);
  EXPECT_DOUBLE_EQ(o.hidden_dropout_prob, 0.0);
  EXPECT_EQ(o.raw["output_hidden_states"], true);
  EXPECT_FALSE(c.output_hidden_states);
  EXPECT_THROW(c.with_overrides(Json::array({1})), ValueError);
  EXPECT_THROW(c.with_overrides(Json{{"output_attentions", "yes"}}), ValueError);
}

TEST(HFConfig, ToJsonRoundTripsFieldsEditedInCode) {
  for (const char* type : {"bert", "distilbert", "gpt2", "albert"}) {
    auto c = HFConfig::from_json(Json{{"model_type", type}, {"vocab_size", 40}});
    c.hidden_size = 24;
    c.num_attention_heads = 3;
    c.num_hidden_layers = 5;
    c.intermediate_size = 50;
    c.hidden_act = "relu";
    c.output_hidden_states = true;
    auto back = HFConfig::from_json(c.to_json());
    EXPECT_EQ(back.hidden_size, 24) << type;
    EXPECT_EQ(back.num_attention_heads, 3) << type;
    EXPECT_EQ(back.num_hidden_layers, 5) << type;
    EXPECT_EQ(back.intermediate_size, 50) << type;
    EXPECT_EQ(back.hidden_act, "relu") << type;
    EXPECT_TRUE(back.output_hidden_states) << type;
    EXPECT_EQ(back.family, c.family) << type;
    EXPECT_DOUBLE_EQ(back.layer_norm_eps, c.layer_norm_eps) << type;
    EXPECT_EQ(back.embedding_width(), c.embedding_width()) << type;
  }
}

TEST(HFConfig, FromFileErrorsNameTheFile) {
  auto dir = temp_dir("cfg");
  auto path = (dir / "config.json").string();
  write_bytes(path, "{not json");
  auto msg = data_error_message([&] { HFConfig::from_file(path); });
  EXPECT_NE(msg.find(path), std::string::npos);
  write_bytes(path, R"({"model_type":"llama","vocab_size":3})");
  msg = data_error_message([&] { HFConfig::from_file(path); });
  EXPECT_NE(msg.find("llama"), std::string::npos);
  msg = data_error_message([&] { HFConfig::from_file((dir / "missing.json").string()); });
  EXPECT_NE(msg.find("missing.json"), std::string::npos);
}
