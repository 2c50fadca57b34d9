// The encoder alone (random weights, bert-base shape by default) on fixed shapes: tokens/s and
// GFLOP/s per batch x length, in eval mode without gradients.
//   encoder_bench [--shapes 1x128,32x128,8x512] [--iters 3] [--threads 1] [--arch bert|roberta]
//                 [--layers 12] [--width 768] [--heads 12]
//   encoder_bench --malloc-ab [--rounds 2] ...   glibc malloc tuning (models/malloc_tuning.cpp) off
//                 and on, each in its own child process, interleaved (off on off on ...): tokens/s,
//                 user and sys seconds, peak RSS, and the ratio on/off per shape.
//   encoder_bench --gemm-ab [--rounds 2] ...     the linear layers on ATen's BLAS (TRFPIPE_GEMM=aten)
//                 and on oneDNN (models/fast_linear.cpp, models/packed_matmul.cpp), the same way.
//   encoder_bench --pack-ab --model DIR [--rounds 2] ...  the encoder's weights on sgemm
//                 (TRFPIPE_GEMM=sgemm) and packed for oneDNN's matmul primitive
//                 (models/packed_matmul.cpp; only weights mapped from a file are packed), the same way.
//   encoder_bench --attention-ab [--rounds 2] ... the padded path with full attention scores
//                 (TRFPIPE_ATTENTION=padded) and packed tokens with blocked attention
//                 (models/attention.cpp), the same way.
//   encoder_bench --model DIR ...                 the weights (and shape) of a Hugging Face folder,
//                 the same file the peers load (bench/peers.sh)
//   encoder_bench --child 1 ...                   machine-readable: RESULT <shape> <tokens/s> lines,
//                 then PEAK_RSS_MB (what bench/peers.py and the A/B modes read)
//   encoder_bench --ceiling [--threads 1]         only the GEMM ceiling: CEILING <GFLOP/s>
//   encoder_bench --dtype bf16 ...                the linear layers in bf16 or int8 (fp32 default)
//   encoder_bench --dtypes fp32,bf16,int8 [--rounds 2] ...   the inference dtypes side by side on
//                 one encoder, interleaved (fp32 bf16 int8 fp32 ...): tokens/s per round, the GEMM
//                 ceiling of each, and the ratios to fp32 (models/reduced_precision.cpp)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "models/fast_linear.hpp"
#include "models/malloc_tuning.hpp"
#include "models/reduced_precision.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace {

struct Shape {
  int64_t batch = 0, length = 0;
  std::string name() const { return std::to_string(batch) + "x" + std::to_string(length); }
};

struct Options {
  std::vector<Shape> shapes = {{1, 128}, {32, 128}, {8, 512}};
  int iters = 3, threads = 1, rounds = 2;
  std::string arch = "bert";
  std::string model_dir;  // a Hugging Face folder: its config and weights instead of random ones
  int64_t layers = 12, width = 768, heads = 12;
  // A/B: the environment variable and its two values (A first), with their names in the table.
  std::string ab_variable, ab_values[2], ab_names[2];
  bool child = false, ceiling_only = false;
  trfpipe::InferenceDtype dtype = trfpipe::InferenceDtype::Fp32;
  std::vector<trfpipe::InferenceDtype> dtypes;  // --dtypes: compared side by side
};

std::vector<Shape> parse_shapes(const std::string& s) {
  std::vector<Shape> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t x = item.find('x');
    if (x == std::string::npos) throw std::invalid_argument("shape '" + item + "' is not BxL");
    out.push_back({std::stoll(item.substr(0, x)), std::stoll(item.substr(x + 1))});
  }
  return out;
}

// Multiply-adds x 2 of one forward: the linear layers per token and the two attention products.
double forward_flops(const Options& o, const Shape& s) {
  const double h = static_cast<double>(o.width), inter = 4.0 * h, L = static_cast<double>(s.length);
  const double per_token_layer = 2.0 * (4.0 * h * h + 2.0 * h * inter) + 2.0 * 2.0 * L * h;
  return per_token_layer * static_cast<double>(o.layers) * static_cast<double>(s.batch) * L;
}

std::shared_ptr<trfpipe::Encoder> build_encoder(const Options& o) {
  trfpipe::Json cfg = {{"model_type", o.arch},
                       {"vocab_size", o.arch == "bert" ? 30522 : 50265},
                       {"hidden_size", o.width},
                       {"num_hidden_layers", o.layers},
                       {"num_attention_heads", o.heads},
                       {"intermediate_size", 4 * o.width},
                       {"max_position_embeddings", o.arch == "bert" ? 512 : 514},
                       {"type_vocab_size", o.arch == "bert" ? 2 : 1},
                       {"pad_token_id", o.arch == "bert" ? 0 : 1}};
  auto enc = o.model_dir.empty() ? trfpipe::make_encoder(trfpipe::HFConfig::from_json(cfg), 0)
                                 : trfpipe::load_encoder(o.model_dir);
  enc->eval();
  return enc;
}

// The tokens/s of each shape, measured in this process (on `encoder` when given).
std::map<std::string, double> measure(const Options& o, trfpipe::Encoder* encoder = nullptr,
                                      trfpipe::InferenceDtype dtype = trfpipe::InferenceDtype::Fp32) {
  at::set_num_threads(o.threads);
  std::shared_ptr<trfpipe::Encoder> own;
  if (!encoder) {
    own = build_encoder(o);
    encoder = own.get();
    dtype = o.dtype;
  }
  auto& enc = encoder;
  enc->set_inference_dtype(dtype);
  at::NoGradGuard no_grad;
  std::map<std::string, double> out;
  for (const Shape& s : o.shapes) {
    at::Tensor ids = at::randint(5, 1000, {s.batch, s.length}, at::kLong);
    trfpipe::EncoderInput in{ids, at::ones({s.batch, s.length}, at::kLong), at::zeros_like(ids)};
    // Warm-up on one row of the same length (bench/peers.py's engines do the same).
    enc->forward({ids.narrow(0, 0, 1), in.attention_mask.narrow(0, 0, 1), in.token_type_ids.narrow(0, 0, 1)});
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < o.iters; ++i) enc->forward(in);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out[s.name()] = static_cast<double>(s.batch * s.length * o.iters) / secs;
  }
  return out;
}

// GFLOP/s of one 4096 x 768 x 3072 product (a bert-base FFN layer over 32 x 128 pieces) on the
// path an encoder's weights take (models::prepared_linear: packed where oneDNN's primitive runs),
// best of 3: the ceiling the encoder's GFLOP/s is compared with.
double gemm_ceiling_gflops(int threads, trfpipe::InferenceDtype dtype = trfpipe::InferenceDtype::Fp32) {
  using trfpipe::InferenceDtype;
  at::set_num_threads(threads);
  at::NoGradGuard no_grad;
  const at::Tensor x = at::randn({4096, 768}), w = at::randn({3072, 768}), b = at::randn({3072});
  const trfpipe::models::PreparedWeight p = trfpipe::models::prepare_weight(w, false, dtype);
  auto product = [&] { return trfpipe::models::prepared_linear(x, p, b, dtype); };
  product();
  double best = 0;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    product();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * 4096 * 768 * 3072 / s / 1e9);
  }
  return best;
}

struct ChildRun {
  std::map<std::string, double> tokens_per_s;
  double user_s = 0, sys_s = 0, peak_rss_mb = 0;
};

// Runs this program again with --child and variable=value; reads its RESULT lines.
ChildRun run_child(char** argv, const std::string& variable, const std::string& value) {
  int fd[2];
  if (pipe(fd) != 0) throw std::runtime_error("pipe() failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    setenv(variable.c_str(), value.c_str(), 1);
    std::vector<char*> args;
    for (char** a = argv; *a; ++a) args.push_back(*a);
    args.push_back(const_cast<char*>("--child"));
    args.push_back(const_cast<char*>("1"));
    args.push_back(nullptr);
    execv("/proc/self/exe", args.data());
    _exit(127);
  }
  close(fd[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fd[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  close(fd[0]);
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("child with " + variable + "=" + value + " failed:\n" + text);
  ChildRun r;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string tag, shape;
    double tps = 0;
    if (ls >> tag >> shape >> tps && tag == "RESULT") r.tokens_per_s[shape] = tps;
  }
  r.user_s = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  r.sys_s = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return r;
}

// --dtypes: one encoder, each dtype in turn per round (its weights prepared by an untimed
// warm-up), so that machine load drifts over all of them alike.
int compare_dtypes(const Options& o) {
  using trfpipe::inference_dtype_name;
  for (auto d : o.dtypes)
    if (const std::string why = trfpipe::models::reduced_precision_unavailable(d); !why.empty())
      throw std::invalid_argument(std::string(inference_dtype_name(d)) + " cannot run here: " + why);
  std::printf("linear layers: %s; oneDNN ISA %s\n", trfpipe::models::linear_backend().c_str(),
              trfpipe::models::onednn_cpu_isa().c_str());
  std::map<trfpipe::InferenceDtype, double> ceiling;
  for (auto d : o.dtypes) {
    ceiling[d] = gemm_ceiling_gflops(o.threads, d);
    std::printf("GEMM 4096 x 768 x 3072 %s: %.1f GFLOP/s (%.2fx %s)\n", inference_dtype_name(d), ceiling[d],
                ceiling[d] / ceiling[o.dtypes.front()], inference_dtype_name(o.dtypes.front()));
  }
  auto enc = build_encoder(o);
  std::printf("| round | dtype | ");
  for (const Shape& s : o.shapes) std::printf("%s tokens/s | ", s.name().c_str());
  std::printf("\n|---|---|");
  for (size_t i = 0; i < o.shapes.size(); ++i) std::printf("---:|");
  std::printf("\n");
  std::map<trfpipe::InferenceDtype, std::map<std::string, double>> total;
  for (int round = 1; round <= o.rounds; ++round) {
    for (auto d : o.dtypes) {
      const auto r = measure(o, enc.get(), d);
      std::printf("| %d | %s |", round, inference_dtype_name(d));
      for (const Shape& s : o.shapes) {
        std::printf(" %.1f |", r.at(s.name()));
        total[d][s.name()] += r.at(s.name());
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  for (auto d : o.dtypes) {
    if (d == o.dtypes.front()) continue;
    for (const Shape& s : o.shapes)
      std::printf("%s/%s %s: %.2fx tokens/s\n", inference_dtype_name(d), inference_dtype_name(o.dtypes.front()),
                  s.name().c_str(), total[d][s.name()] / total[o.dtypes.front()][s.name()]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string child_args;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--ceiling") {
        o.ceiling_only = true;
        continue;
      }
      // The A/B modes: the variable each child gets, its two values and their names.
      static const struct {
        const char* flag;
        const char* variable;
        const char* values[2];
        const char* names[2];
      } kModes[] = {
          {"--malloc-ab", "TRFPIPE_MALLOC_TUNING", {"0", "1"}, {"malloc tuning off", "malloc tuning on"}},
          {"--gemm-ab", "TRFPIPE_GEMM", {"aten", "onednn"}, {"ATen BLAS", "oneDNN"}},
          {"--pack-ab", "TRFPIPE_GEMM", {"sgemm", "onednn"}, {"oneDNN sgemm", "packed matmul"}},
          {"--attention-ab", "TRFPIPE_ATTENTION", {"padded", "packed"}, {"padded, full scores", "packed, blocked"}},
      };
      const auto* mode = std::find_if(std::begin(kModes), std::end(kModes), [&](const auto& m) { return a == m.flag; });
      if (mode != std::end(kModes)) {
        o.ab_variable = mode->variable;
        for (int k = 0; k < 2; ++k) {
          o.ab_values[k] = mode->values[k];
          o.ab_names[k] = mode->names[k];
        }
        continue;
      }
      if (i + 1 >= argc) throw std::invalid_argument("option " + a + " needs a value");
      const std::string v = argv[++i];
      if (a == "--shapes") o.shapes = parse_shapes(v);
      else if (a == "--iters") o.iters = std::stoi(v);
      else if (a == "--threads") o.threads = std::stoi(v);
      else if (a == "--rounds") o.rounds = std::stoi(v);
      else if (a == "--arch") o.arch = v;
      else if (a == "--layers") o.layers = std::stoll(v);
      else if (a == "--width") o.width = std::stoll(v);
      else if (a == "--heads") o.heads = std::stoll(v);
      else if (a == "--child") o.child = true;
      else if (a == "--model") o.model_dir = v;
      else if (a == "--dtype") o.dtype = trfpipe::parse_inference_dtype(v, "--dtype");
      else if (a == "--dtypes") {
        std::stringstream ss(v);
        for (std::string d; std::getline(ss, d, ',');) o.dtypes.push_back(trfpipe::parse_inference_dtype(d, "--dtypes"));
      }
      else throw std::invalid_argument("unknown option " + a);
    }
    if (o.ceiling_only) {
      std::printf("CEILING %.3f\n", gemm_ceiling_gflops(o.threads));
      return 0;
    }
    if (o.child) {
      for (const auto& [shape, tps] : measure(o)) std::printf("RESULT %s %.3f\n", shape.c_str(), tps);
      std::printf("PEAK_RSS_MB %.1f\n", static_cast<double>([] {
                    rusage ru{};
                    getrusage(RUSAGE_SELF, &ru);
                    return ru.ru_maxrss;
                  }()) / 1024.0);
      return 0;
    }
    std::printf("encoder: %s, %lld layers, width %lld, %lld heads; %d thread(s); %d timed forwards "
                "per shape after one warm-up\n",
                o.arch.c_str(), static_cast<long long>(o.layers), static_cast<long long>(o.width),
                static_cast<long long>(o.heads), o.threads, o.iters);
    if (!o.dtypes.empty()) return compare_dtypes(o);
    if (o.ab_variable.empty()) {
      std::printf("malloc tuning: %s\nlinear layers: %s\n", trfpipe::models::malloc_tuning().description.c_str(),
                  trfpipe::models::linear_backend().c_str());
      const double ceiling = gemm_ceiling_gflops(o.threads);
      std::printf("GEMM ceiling (4096 x 768 x 3072, linear layers' path): %.1f GFLOP/s\n", ceiling);
      std::printf("| shape | tokens/s | GFLOP/s | %% of GEMM ceiling |\n|---|---:|---:|---:|\n");
      const auto r = measure(o);
      for (const Shape& s : o.shapes) {
        const double tps = r.at(s.name());
        const double gflops = forward_flops(o, s) / static_cast<double>(s.batch * s.length) * tps / 1e9;
        std::printf("| %s | %.1f | %.1f | %.0f%% |\n", s.name().c_str(), tps, gflops, 100 * gflops / ceiling);
      }
      return 0;
    }
    // A/B: each setting in a fresh process (settings are chosen at load), interleaved.
    std::printf("A/B of %s, %d round(s) of (%s, %s), one child process each\n", o.ab_variable.c_str(),
                o.rounds, o.ab_names[0].c_str(), o.ab_names[1].c_str());
    std::printf("| round | setting | %s user s | sys s | peak RSS MB |\n|---|---|",
                [&] {
                  std::string h;
                  for (const Shape& s : o.shapes) h += s.name() + " tokens/s | ";
                  return h;
                }().c_str());
    for (size_t i = 0; i < o.shapes.size(); ++i) std::printf("---:|");
    std::printf("---:|---:|---:|\n");
    std::map<std::string, double> total[2];  // setting -> shape -> sum of tokens/s
    for (int round = 1; round <= o.rounds; ++round) {
      for (int k = 0; k < 2; ++k) {
        const ChildRun r = run_child(argv, o.ab_variable, o.ab_values[k]);
        std::printf("| %d | %s |", round, o.ab_names[k].c_str());
        for (const Shape& s : o.shapes) {
          std::printf(" %.1f |", r.tokens_per_s.at(s.name()));
          total[k][s.name()] += r.tokens_per_s.at(s.name());
        }
        std::printf(" %.1f | %.1f | %.0f |\n", r.user_s, r.sys_s, r.peak_rss_mb);
        std::fflush(stdout);
      }
    }
    for (const Shape& s : o.shapes)
      std::printf("%s / %s %s: %.2fx tokens/s\n", o.ab_names[1].c_str(), o.ab_names[0].c_str(),
                  s.name().c_str(), total[1][s.name()] / total[0][s.name()]);
  } catch (const std::exception& e) {
    std::cerr << "encoder_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
