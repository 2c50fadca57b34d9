// Weights packed for oneDNN's matmul primitive (models/packed_matmul.hpp) and their use by the
// encoders in fp32 (models/reduced_precision.hpp): the product at every row count against a
// double-precision reference, and a loaded encoder whose mapped weights are replaced in memory by
// their packed copies with the same outputs as the unpacked path.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <filesystem>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/packed_matmul.hpp"
#include "models/reduced_precision.hpp"
#include "models/safetensors.hpp"
#include "models/test_util.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace fs = std::filesystem;

namespace trfpipe::models {
namespace {

#define SKIP_UNLESS_PACKED                                                          \
  if (const std::string why = packed_matmul_unavailable(); !why.empty())            \
  GTEST_SKIP() << "no packed matmul here: " << why

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// Rows below, at and above one call (128), with and without bias, for a weight [out, in] and
// HF Conv1D's [in, out].
TEST(PackedMatmul, Fp32ProductAtEveryRowCount) {
  SKIP_UNLESS_PACKED;
  at::NoGradGuard no_grad;
  at::manual_seed(5);
  const at::Tensor w = at::randn({19, 37}), b = at::randn({19});
  const PreparedWeight p = prepare_weight(w, false, InferenceDtype::Fp32);
  ASSERT_TRUE(p.packed);
  EXPECT_EQ(packed_out(*p.packed), 19);
  EXPECT_EQ(packed_in(*p.packed), 37);
  EXPECT_EQ(packed_type(*p.packed), PackedType::Float32);
  const PreparedWeight t = prepare_weight(w.t().contiguous(), true, InferenceDtype::Fp32);
  for (int64_t rows : {1, 7, 127, 128, 129, 300}) {
    SCOPED_TRACE(rows);
    const at::Tensor x = at::randn({rows, 37});
    const at::Tensor want = at::linear(x.to(at::kDouble), w.to(at::kDouble), b.to(at::kDouble));
    const at::Tensor got = fp32_linear(x, p, b);
    ASSERT_EQ(got.sizes(), want.sizes());
    EXPECT_LT(max_diff(got, want), 1e-4);
    EXPECT_TRUE(at::equal(fp32_linear(x, t, b), got));
    EXPECT_LT(max_diff(fp32_linear(x, p, at::Tensor()), want - b.to(at::kDouble)), 1e-4);
  }
  // Leading dimensions are kept; no rows give no rows.
  EXPECT_EQ(fp32_linear(at::randn({2, 3, 37}), p, b).sizes(), (std::vector<int64_t>{2, 3, 19}));
  EXPECT_EQ(fp32_linear(at::randn({0, 37}), p, b).size(0), 0);
}

// bf16 and int8 keep only the packed copy (their products are tested in reduced_precision_test).
TEST(PackedMatmul, Bf16WeightIsPacked) {
  SKIP_UNLESS_PACKED;
  if (!reduced_precision_unavailable(InferenceDtype::Bf16).empty()) GTEST_SKIP() << "no bf16 here";
  const PreparedWeight p = prepare_weight(at::randn({64, 96}), false, InferenceDtype::Bf16);
  ASSERT_TRUE(p.packed);
  EXPECT_EQ(packed_type(*p.packed), PackedType::BFloat16);
  EXPECT_FALSE(p.bf16.defined());  // no second copy
  EXPECT_GE(packed_bytes(*p.packed), size_t{64 * 96 * 2});
}

TEST(PackedMatmul, Int8WeightIsPacked) {
  SKIP_UNLESS_PACKED;
  if (!reduced_precision_unavailable(InferenceDtype::Int8).empty()) GTEST_SKIP() << "no int8 here";
  const PreparedWeight p = prepare_weight(at::randn({64, 96}), false, InferenceDtype::Int8);
  ASSERT_TRUE(p.packed);
  EXPECT_EQ(packed_type(*p.packed), PackedType::Int8);
  EXPECT_FALSE(p.s8.defined());  // no second copy
  EXPECT_TRUE(p.scale.defined() && p.column_sums.defined());
}

// The share of the whole pages under `t`'s data that this process has mapped (present in its page
// table: /proc/self/pagemap bit 63). Not mincore, which also counts pages the page cache still
// holds for the file after the process let them go.
double mapped_share(const at::Tensor& t) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(t.data_ptr());
  const uintptr_t first = (begin + page - 1) / page * page, end = (begin + t.nbytes()) / page * page;
  if (end <= first) return 0.0;
  const size_t n = (end - first) / page;
  std::vector<uint64_t> entries(n);
  const int fd = open("/proc/self/pagemap", O_RDONLY);
  const ssize_t want = static_cast<ssize_t>(n * sizeof(uint64_t));
  const bool ok = fd >= 0 && pread(fd, entries.data(), want, static_cast<off_t>(first / page * sizeof(uint64_t))) == want;
  if (fd >= 0) close(fd);
  if (!ok) {
    ADD_FAILURE() << "cannot read /proc/self/pagemap";
    return 1.0;
  }
  size_t present = 0;
  for (uint64_t e : entries) present += (e >> 63) & 1;
  return double(present) / double(n);
}

// A loaded encoder: its first forward at inference packs the mapped linear weights and lets their
// pages go; its outputs are those of the unpacked path (autograd on runs ATen on the mapped
// weights, which come back from the file). `weight_name` is part of one such weight's name.
void check_loaded_encoder(const nlohmann::json& cfg, const std::string& weight_name) {
  SCOPED_TRACE(weight_name);
  const fs::path dir = testing::temp_dir("packed_matmul_encoder");
  save_encoder(*make_encoder(HFConfig::from_json(cfg), 0), dir.string());
  {  // on disk, as a model is when it is loaded: the kernel does not give up unwritten file pages
    const int fd = open((dir / "model.safetensors").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    fdatasync(fd);
    close(fd);
  }
  auto enc = load_encoder(dir.string());
  enc->eval();
  at::Tensor weight;
  for (const auto& p : enc->named_parameters())
    if (p.key().find(weight_name) != std::string::npos) weight = p.value();
  ASSERT_TRUE(weight.defined());
  ASSERT_TRUE(is_file_mapped(weight));  // 256 KB or more: its pages can be told apart
  at::manual_seed(6);
  const EncoderInput x{at::randint(1, 300, {3, 150}), at::Tensor(), at::Tensor()};
  at::Tensor packed;
  {
    at::NoGradGuard no_grad;
    packed = enc->forward(x).last_hidden_state;
  }
  EXPECT_LT(mapped_share(weight), 0.5) << "the mapped weight stayed resident beside its packed copy";
  const at::Tensor unpacked = enc->forward(x).last_hidden_state.detach();  // autograd: ATen
  EXPECT_LT(max_diff(packed, unpacked), 1e-4);
  EXPECT_GT(mapped_share(weight), 0.5);  // read again from the file
  {
    at::NoGradGuard no_grad;
    EXPECT_TRUE(at::equal(enc->forward(x).last_hidden_state, packed));  // the same copies again
  }
  fs::remove_all(dir);
}

// BERT's FFN weight, and XLNet's q projection ([d_model, n_head, d_head], used as a matrix view).
TEST(PackedMatmul, LoadedEncoderRunsOnPackedCopiesInsteadOfMappedPages) {
  SKIP_UNLESS_PACKED;
  struct statfs where;
  if (statfs(fs::temp_directory_path().c_str(), &where) == 0 && where.f_type == 0x01021994)  // TMPFS_MAGIC
    GTEST_SKIP() << "the temporary folder is on tmpfs: without swap its pages have nowhere to go";
  check_loaded_encoder({{"model_type", "bert"}, {"vocab_size", 300}, {"hidden_size", 256}, {"num_hidden_layers", 2},
                        {"num_attention_heads", 4}, {"intermediate_size", 1024}},
                       "intermediate.dense.weight");
  check_loaded_encoder({{"model_type", "xlnet"}, {"vocab_size", 300}, {"d_model", 256}, {"n_layer", 2},
                        {"n_head", 4}, {"d_inner", 1024}},
                       "rel_attn.q");
}

// Language::pipe runs one encoder on several threads: the packed copies are made once and every
// thread's product on them (its own oneDNN stream) gives what one thread alone gives.
TEST(PackedMatmul, ConcurrentForwardsShareThePackedCopies) {
  SKIP_UNLESS_PACKED;
  const fs::path src = fs::path(TRFPIPE_SOURCE_DIR) / "tests/models/fixtures/roberta";
  auto enc = load_encoder(src.string());
  enc->eval();
  at::manual_seed(7);
  const EncoderInput x{at::randint(3, 99, {5, 60}), at::Tensor(), at::Tensor()};  // 300 rows: three calls
  auto run = [&] {
    at::NoGradGuard no_grad;
    return enc->forward(x).last_hidden_state;
  };
  std::vector<at::Tensor> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) threads.emplace_back([&, i] { got[i] = run(); });
  for (auto& t : threads) t.join();
  const at::Tensor alone = run();
  for (const auto& g : got) EXPECT_TRUE(at::equal(g, alone));
}

}  // namespace
}  // namespace trfpipe::models
