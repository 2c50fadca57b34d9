// `--dtype fp32|bf16|int8` on apply / evaluate / benchmark speed / serve: a transformer pipeline
// run by the real binary in bf16 and int8 stays near fp32; on a CPU without AVX512-BF16 / VNNI
// (oneDNN told so with DNNL_MAX_CPU_ISA=AVX512_CORE) it runs fp32 and says why, once; a bad
// value is a clear error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "tests/cli/run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunOptions;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool cpu_has(const std::string& flag) {
  const std::string info = read("/proc/cpuinfo");
  return info.find(" " + flag + " ") != std::string::npos || info.find(" " + flag + "\n") != std::string::npos;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A 2-layer BERT (width 64) transformer pipe in dir/pipe and three texts in dir/in.jsonl.
void make_pipeline(const TempDir& tmp) {
  const std::string dir = tmp.path.string();
  auto r = run_cli({"init", "model", dir + "/bert", "--arch", "bert", "--tokenizer",
                    std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt",
                    "--width", "64", "--layers", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  tmp.file("config.cfg",
        "[nlp]\nlang = \"en\"\npipeline = [\"transformer\"]\n\n[components]\n\n"
        "[components.transformer]\nfactory = \"transformer\"\nmax_batch_items = 4096\n"
        "set_doc_tensor = true\n\n"
        "[components.transformer.model]\n@architectures = \"spacy-transformers.TransformerModel.v3\"\n"
        "name = \"" + dir + "/bert\"\n\n"
        "[components.transformer.model.get_spans]\n@span_getters = \"spacy-transformers.strided_spans.v1\"\n"
        "window = 128\nstride = 96\n");
  r = run_cli({"assemble", dir + "/config.cfg", dir + "/pipe"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  tmp.file("in.jsonl",
        "{\"text\": \"Reduced precision should change the numbers only a little.\"}\n"
        "{\"text\": \"Short one.\"}\n{\"text\": \"A third document, with some punctuation: yes!\"}\n");
}

// doc.tensor of every output doc, flattened.
std::vector<double> tensors(const std::string& jsonl) {
  std::vector<double> out;
  std::istringstream lines(read(jsonl));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const nlohmann::json doc = nlohmann::json::parse(line);  // (a temporary would dangle in the loop)
    for (const auto& row : doc["tensor"]["rows"])
      for (const auto& v : row) out.push_back(v.get<double>());
  }
  return out;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

struct Applied {
  RunResult run;
  std::vector<double> tensor;
};

Applied apply_pipe(const std::string& dir, const std::string& dtype, const std::vector<std::string>& env = {}) {
  const std::string out = dir + "/out_" + dtype + std::to_string(env.size()) + ".jsonl";
  RunOptions options;
  options.env = env;
  Applied a{trfpipe::testing::run_process({"apply", dir + "/pipe", dir + "/in.jsonl", out, "--include-trf",
                                           "--dtype", dtype, "--force"}, options), {}};
  EXPECT_EQ(a.run.exit_code, 0) << a.run.out << a.run.err;
  a.tensor = tensors(out);
  return a;
}

}  // namespace

TEST(DtypeCli, Bf16AndInt8StayNearFp32AndFallBackWithOneWarning) {
  TempDir tmp("trfpipe_dtype_cli_");
  const std::string dir = tmp.path.string();
  make_pipeline(tmp);
  const Applied fp32 = apply_pipe(dir, "fp32");
  ASSERT_FALSE(fp32.tensor.empty());
  EXPECT_EQ(fp32.run.err.find("requested but"), std::string::npos) << fp32.run.err;

  // On a CPU with the instructions (this one, when /proc/cpuinfo says so): a different result
  // within the tolerance, no warning. The tolerances are tests/models/reduced_precision_test's.
  struct Case {
    const char* dtype;
    const char* cpu_flag;
    double tolerance;
    const char* fallback;
  };
  for (const Case& c : {Case{"bf16", "avx512_bf16", 0.015,
                             "bf16 requested but this CPU has no AVX512-BF16 (oneDNN ISA avx512_core): running fp32"},
                        Case{"int8", "avx512_vnni", 0.04,
                             "int8 requested but this CPU has no AVX512-VNNI (oneDNN ISA avx512_core), where "
                             "oneDNN's u8 x s8 products saturate: running fp32"}}) {
    SCOPED_TRACE(c.dtype);
    if (cpu_has(c.cpu_flag)) {
      const Applied got = apply_pipe(dir, c.dtype);
      EXPECT_EQ(got.run.err.find("requested but"), std::string::npos) << got.run.err;
      const double d = max_diff(got.tensor, fp32.tensor);
      EXPECT_GT(d, 0.0);
      EXPECT_LT(d, c.tolerance);
    }
    // oneDNN limited to AVX-512 without VNNI or BF16: fp32, bit for bit, and one warning.
    const std::vector<std::string> old_cpu{"DNNL_MAX_CPU_ISA=AVX512_CORE"};
    const Applied plain = apply_pipe(dir, "fp32", old_cpu);
    const Applied fallback = apply_pipe(dir, c.dtype, old_cpu);
    EXPECT_EQ(count(fallback.run.err, c.fallback), 1u) << fallback.run.err;
    EXPECT_EQ(count(fallback.run.err, "requested but"), 1u) << fallback.run.err;
    EXPECT_EQ(fallback.tensor, plain.tensor);
  }
}

TEST(DtypeCli, UnknownDtypeIsAClearError) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"apply", "blank:en", "-", "-", "--dtype", "bogus"},
        std::vector<std::string>{"evaluate", "blank:en", "missing.spacy", "--dtype", "bogus"},
        std::vector<std::string>{"benchmark", "speed", "blank:en", "missing.spacy", "--dtype", "bogus"}}) {
    SCOPED_TRACE(args[0]);
    const RunResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;  // a usage error, as every bad choice
    EXPECT_NE(r.err.find("--dtype: bogus not in {fp32,bf16,int8}"), std::string::npos) << r.err;
  }
}
