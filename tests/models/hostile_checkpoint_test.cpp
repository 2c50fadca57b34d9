// Hostile checkpoints (issue #19): pickles that refer to themselves or nest 100k deep, declared
// sizes larger than the file, compressed or out-of-range zip records, tensor views beyond their
// storage, config.json sizes far beyond the weights, shard names outside the model folder. Each
// must end in a DataError naming the file, quickly and without allocating what it claims.
#include <gtest/gtest.h>

#include <caffe2/serialize/inline_container.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "models/safetensors.hpp"
#include "test_util.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace fs = std::filesystem;
using namespace std::string_literals;
using trfpipe::models::testing::data_error_message;
using trfpipe::models::testing::temp_dir;

namespace trfpipe::models {
namespace {

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::string u(const std::string& s) {  // BINUNICODE
  std::string out = "X";
  uint32_t n = uint32_t(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + s;
}

// A torch.save-style archive holding `pkl` as data.pkl and one 6-float storage "0".
std::string archive(const std::string& pkl, bool with_storage = true) {
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* buf, size_t n) -> size_t {
    out.append(static_cast<const char*>(buf), n);
    return n;
  });
  writer.writeRecord("data.pkl", pkl.data(), pkl.size());
  const std::vector<float> storage = {0, 1, 2, 3, 4, 5};
  if (with_storage) writer.writeRecord("data/0", storage.data(), storage.size() * sizeof(float));
  writer.writeEndOfFile();
  return out;
}

// {'w': _rebuild_tensor_v2(storage 0 (6 floats), offset, size, stride)}
std::string tensor_pickle(const std::string& size_stride, const std::string& offset = "K\x00"s) {
  return "\x80\x02}("s + u("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" + u("storage") +
         "ctorch\nFloatStorage\n" + u("0") + u("cpu") + "K\x06tQ" + offset + size_stride +
         "\x89)tRu."s;
}

std::string read_error(const std::string& bytes) {
  auto dir = temp_dir("hostile_bin");
  auto path = (dir / "pytorch_model.bin").string();
  write_bytes(path, bytes);
  std::string msg = data_error_message([&] { read_torch_bin(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  return msg;
}

TEST(HostilePickle, ReduceArgumentsThatContainThemselvesAreAnError) {
  // A list that holds itself, passed as the arguments of _rebuild_from_type_v2 whose first
  // argument is _rebuild_from_type_v2 again: followed naively, the call never ends.
  // L = [f, None, L] through the memo; REDUCE f with L as its arguments.
  const std::string self_list = "\x80\x02"s + "ctorch._tensor\n_rebuild_from_type_v2\nq\x00"s + "]q\x01" +
                                "h\x01h\x00"s "a" "h\x01Na" "h\x01h\x01" "a";
  std::string pkl = self_list + "h\x00h\x01R."s;
  // The arguments a tuple (f, None, L) holding that list.
  std::string pkl2 = self_list + "h\x00(h\x00Nh\x01tR."s;
  std::string msg = read_error(archive(pkl));
  EXPECT_NE(msg.find("cannot read the torch.save archive"), std::string::npos) << msg;
  msg = read_error(archive(pkl2));
  EXPECT_NE(msg.find("cannot read the torch.save archive"), std::string::npos) << msg;
}

TEST(HostilePickle, HundredThousandNestedTuplesAreFreedWithoutRecursion) {
  std::string pkl = "\x80\x02)"s;
  // TUPLE1 around the previous tuple, after a PROTO opcode (two bytes that make no object: a
  // pickle of one object per byte is refused as denser than any state dict).
  for (int i = 0; i < 100000; ++i) pkl += "\x80\x02\x85";
  pkl += ".";
  std::string msg = read_error(archive(pkl));
  EXPECT_NE(msg.find("does not hold a dict of tensors"), std::string::npos) << msg;
  // The same depth through a list that appends itself, and 100k MARKs never closed.
  std::string marks = "\x80\x02"s + std::string(100000, '(') + "N.";
  read_error(archive(marks));
}

TEST(HostilePickle, HugeMemoIndexCostsOneEntry) {
  // LONG_BINPUT 0xffffffff: a table indexed by it would take gigabytes.
  std::string pkl = "\x80\x02}r\xff\xff\xff\xff" "h\x00."s;
  std::string msg = read_error(archive(pkl));
  EXPECT_NE(msg.find("bad memo reference"), std::string::npos) << msg;
  // The index itself is fine: a dict memoised at 0xffffffff and fetched back.
  std::string ok = "\x80\x02}r\xff\xff\xff\xff" "j\xff\xff\xff\xff" "."s;
  auto dir = temp_dir("memo_ok");
  write_bytes(dir / "m.bin", archive(ok));
  EXPECT_TRUE(read_torch_bin((dir / "m.bin").string()).empty());
}

TEST(HostilePickle, TensorViewsMustStayInsideTheirStorage) {
  // sizes (1e12,) stride (0,): a view of 1e12 floats over a 6-float storage
  std::string huge = "\x8a\x06\x00\x10\xa5\xd4\xe8\x00\x85K\x00\x85"s;
  std::string msg = read_error(archive(tensor_pickle(huge)));
  EXPECT_NE(msg.find("more elements than its storage"), std::string::npos) << msg;
  // (3,) stride (3,): reaches element 6 of 6
  msg = read_error(archive(tensor_pickle("K\x03\x85K\x03\x85"s)));
  EXPECT_NE(msg.find("exceeds its storage"), std::string::npos) << msg;
  // negative size
  msg = read_error(archive(tensor_pickle("J\xff\xff\xff\xff\x85K\x01\x85"s)));
  EXPECT_NE(msg.find("non-negative"), std::string::npos) << msg;
  // offset past the end
  msg = read_error(archive(tensor_pickle("K\x01\x85K\x01\x85"s, "K\x06"s)));
  EXPECT_NE(msg.find("offset"), std::string::npos) << msg;
  // A valid view still reads: (2, 3) stride (1, 2) over the 6 floats.
  auto dir = temp_dir("view_ok");
  write_bytes(dir / "ok.bin", archive(tensor_pickle("K\x02K\x03\x86K\x01K\x02\x86"s)));
  auto t = read_torch_bin((dir / "ok.bin").string()).at("w");
  EXPECT_EQ(t.sizes(), (at::IntArrayRef{2, 3}));
  EXPECT_EQ(t[1][2].item<float>(), 5.0f);
}

TEST(HostilePickle, DenseObjectFloodIsRefused) {
  // 1 MB of EMPTY_LIST: more objects than any state dict of that size holds.
  std::string pkl = "\x80\x02"s + std::string(1 << 20, ']') + ".";
  std::string msg = read_error(archive(pkl));
  EXPECT_NE(msg.find("more objects"), std::string::npos) << msg;
}

// The zip's central directory entry of `name`: offset of its fixed header in `zip`.
size_t central_entry(const std::string& zip, const std::string& name) {
  for (size_t p = zip.find("PK\x01\x02"s); p != std::string::npos; p = zip.find("PK\x01\x02"s, p + 4)) {
    uint16_t n;
    std::memcpy(&n, zip.data() + p + 28, 2);
    if (zip.compare(p + 46, n, name) == 0) return p;
  }
  ADD_FAILURE() << "no central directory entry " << name;
  return 0;
}

TEST(HostileZip, DeclaredSizesBeyondTheFileAreRefusedBeforeAllocating) {
  std::string zip = archive(tensor_pickle("K\x06\x85K\x01\x85"s));
  size_t e = central_entry(zip, "archive/data/0");
  std::string big = zip;
  const uint32_t huge = 0xfffffff0u;  // 4 GB declared, 24 bytes present
  std::memcpy(big.data() + e + 20, &huge, 4);
  std::memcpy(big.data() + e + 24, &huge, 4);
  auto start = std::chrono::steady_clock::now();
  SCOPED_TRACE("declared sizes");
  std::string msg = read_error(big);
  EXPECT_NE(msg.find("extends past the end of the file"), std::string::npos) << msg;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A compressed record (method 8): torch.save never writes one.
  std::string deflated = zip;
  deflated[e + 10] = 8;
  SCOPED_TRACE("deflated");
  msg = read_error(deflated);
  EXPECT_NE(msg.find("compressed"), std::string::npos) << msg;
  // A central directory said to start far past the end of the file.
  std::string far = zip;
  size_t eocd = far.rfind("PK\x05\x06"s);
  const uint32_t offset = 0xfffffff0u;
  std::memcpy(far.data() + eocd + 16, &offset, 4);
  SCOPED_TRACE("central directory offset");
  msg = read_error(far);
  EXPECT_NE(msg.find("central directory out of range"), std::string::npos) << msg;
  // No data.pkl at all; no end record.
  std::string renamed = archive("", false);
  for (size_t p = renamed.find("data.pkl"); p != std::string::npos; p = renamed.find("data.pkl", p + 1))
    renamed[p + 7] = 'X';
  SCOPED_TRACE("no data.pkl");
  msg = read_error(renamed);
  EXPECT_NE(msg.find("lacks data.pkl"), std::string::npos) << msg;
  read_error("PK\x03\x04"s + std::string(100, '\0'));
}

// ---- config.json and weights ------------------------------------------------------------------

fs::path tiny_bert(const std::string& name) {
  auto dir = temp_dir(name);
  Json cfg = {{"model_type", "bert"}, {"vocab_size", 50},  {"hidden_size", 8},
              {"num_hidden_layers", 1}, {"num_attention_heads", 2}, {"intermediate_size", 16},
              {"max_position_embeddings", 16}, {"type_vocab_size", 2}};
  std::ofstream(dir / "config.json") << cfg.dump();
  HFConfig c = HFConfig::from_json(cfg);
  write_safetensors((dir / "model.safetensors").string(), make_encoder(c, 1)->state_dict());
  return dir;
}

void set_config(const fs::path& dir, const std::string& key, const Json& value) {
  Json cfg = Json::parse(read_file_bytes((dir / "config.json").string()));
  cfg[key] = value;
  std::ofstream(dir / "config.json", std::ios::trunc) << cfg.dump();
}

TEST(HostileConfigJson, SizesBeyondSaneLimitsAreRefused) {
  auto dir = tiny_bert("cfg_limits");
  ASSERT_NO_THROW(load_encoder(dir.string()));
  for (auto [key, value] : std::vector<std::pair<std::string, int64_t>>{
           {"num_hidden_layers", 1000000}, {"hidden_size", 1000000}, {"vocab_size", int64_t(1) << 40},
           {"intermediate_size", int64_t(1) << 30}, {"max_position_embeddings", int64_t(1) << 40}}) {
    auto d = tiny_bert("cfg_limit_" + key);
    set_config(d, key, value);
    if (key == "hidden_size") set_config(d, "num_attention_heads", 1);
    std::string msg = data_error_message([&] { load_encoder(d.string()); });
    EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find(key), std::string::npos) << msg;
    EXPECT_NE(msg.find("more than trfpipe supports"), std::string::npos) << msg;
  }
}

TEST(HostileConfigJson, ConfigLargerThanItsWeightsFailsBeforeBuildingTheModel) {
  // 100 layers of hidden size 1024: about 1.3 billion values (5 GB of float32) for weights
  // holding a few thousand. Building first would allocate the 5 GB; this must fail at once.
  auto dir = tiny_bert("cfg_vs_weights");
  set_config(dir, "num_hidden_layers", 100);
  set_config(dir, "hidden_size", 1024);
  set_config(dir, "intermediate_size", 4096);
  auto start = std::chrono::steady_clock::now();
  std::string msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(msg.find((dir / "config.json").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("100 layers"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.safetensors holds only"), std::string::npos) << msg;
}

TEST(HostileConfigJson, DeeplyNestedJsonIsAnErrorNotAStackOverflow) {
  auto dir = tiny_bert("cfg_deep");
  std::string deep = "{\"model_type\": \"bert\", \"x\": " + std::string(200000, '[') +
                     std::string(200000, ']') + "}";
  std::ofstream(dir / "config.json", std::ios::trunc) << deep;
  std::string msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find("nested deeper"), std::string::npos) << msg;
}

TEST(HostileShards, ShardNamesMustBeRegularFilesInsideTheModelFolder) {
  auto dir = tiny_bert("shards");
  fs::rename(dir / "model.safetensors", dir / "part1.safetensors");
  auto index = [&](const std::string& file) {
    Json j = {{"metadata", Json::object()}, {"weight_map", {{"embeddings.word_embeddings.weight", file}}}};
    std::ofstream(dir / "model.safetensors.index.json", std::ios::trunc) << j.dump();
  };
  index("part1.safetensors");
  EXPECT_NO_THROW(load_encoder(dir.string()));
  for (const std::string bad : {"/dev/zero", "../../../../etc/passwd", "sub/../../x", "/etc/passwd", "", "."}) {
    index(bad);
    std::string msg = data_error_message([&] { load_encoder(dir.string()); });
    EXPECT_NE(msg.find("model.safetensors.index.json"), std::string::npos) << bad << ": " << msg;
  }
  // A name inside the folder that is a device (a symbolic link to /dev/zero) reads nothing.
  fs::create_symlink("/dev/zero", dir / "zero.safetensors");
  index("zero.safetensors");
  std::string msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find("not a regular file"), std::string::npos) << msg;
  // The same for model.safetensors itself.
  fs::remove(dir / "model.safetensors.index.json");
  fs::create_symlink("/dev/zero", dir / "model.safetensors");
  msg = data_error_message([&] { load_encoder(dir.string()); });
  EXPECT_NE(msg.find("not a regular file"), std::string::npos) << msg;
}

TEST(HostileSafetensors, DeepHeaderJsonIsAnError) {
  std::string header = "{\"__metadata__\": {\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}}";
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes += header;
  std::string msg = data_error_message([&] { parse_safetensors(bytes, "deep.safetensors"); });
  EXPECT_NE(msg.find("deep.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nested deeper"), std::string::npos) << msg;
}

}  // namespace
}  // namespace trfpipe::models
