// trfpipe benchmark speed MODEL DATA — spaCy's `spacy benchmark speed`: warms the pipeline up on
// the texts of a .spacy file, times --batches batches of --batch-size docs, and prints the share of
// outliers (Tukey's fences on the words/s of the batches) and the mean words/s with a 95%
// bootstrap confidence interval, in spaCy's words.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "cli/code_option.hpp"
#include "cli/command.hpp"
#include "cli/common.hpp"
#include "cli/dtype_option.hpp"
#include "cli/gpu_option.hpp"
#include "cli/printer.hpp"
#include "trfpipe/inference_dtype.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "pipeline/torch_runtime.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;

namespace trfpipe::cli {
namespace {

struct BenchmarkArgs {
  std::string model, data;
  std::optional<long long> batch_size;
  bool no_shuffle = false;
  long long n_batches = 50, warmup = 3;
  std::optional<std::string> code, gpu_id, dtype;
};

// numpy.quantile's default (linear interpolation) of a sorted sample.
double quantile(const std::vector<double>& sorted, double q) {
  const double h = double(sorted.size() - 1) * q;
  const size_t lo = size_t(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - double(lo)) * (sorted[lo + 1] - sorted[lo]);
}

std::string fixed1(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / double(v.size());
}

// Times each batch of `docs` through the pipeline: words per second of every batch.
std::vector<double> annotate(Language& nlp, std::vector<Doc>& docs, size_t batch_size) {
  std::vector<double> wps;
  for (size_t i = 0; i < docs.size(); i += batch_size) {
    std::vector<Doc*> batch;
    size_t words = 0;
    for (size_t j = i; j < std::min(docs.size(), i + batch_size); ++j) {
      batch.push_back(&docs[j]);
      words += docs[j].size();
    }
    const auto start = std::chrono::steady_clock::now();
    nlp.pipe_docs(batch, batch_size);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    wps.push_back(double(words) / std::max(seconds, 1e-9));
  }
  return wps;
}

int run_benchmark(const BenchmarkArgs& args) {
  if (int rc = use_gpu_id(args.gpu_id)) return rc;
  if (int rc = use_dtype(args.dtype)) return rc;
  load_code(args.code);
  if (!fs::exists(args.data)) return fail("Benchmark data not found", args.data);
  std::unique_ptr<Language> nlp = Language::load(args.model);
  const size_t batch_size = args.batch_size ? size_t(*args.batch_size) : nlp->batch_size;
  std::vector<std::string> texts;
  for (const Doc& d : read_docbin(args.data, nlp->vocab_ptr())) texts.push_back(d.text());
  if (texts.empty()) return fail("Cannot benchmark speed using an empty corpus.");

  // What the numbers below ran on. A pipeline without LibTorch components does not load it.
  if (registry::torch_library_loaded())
    std::cout << "Inference GEMM: " << pipeline::inference_gemm_backend()
              << "\nInference dtype: " << inference_dtype_name(required_inference_dtype())
              << "\nThreads per operation: " << get_num_threads() << "\n\n";
  else
    std::cout << "Inference GEMM: none (no LibTorch component)\n\n";

  std::cout << "Warming up for " << args.warmup << " epochs...\n";
  std::cout.flush();
  for (long long e = 0; e < args.warmup; ++e) {
    std::vector<Doc> docs;
    for (const std::string& t : texts) docs.push_back(nlp->make_doc(t));
    annotate(*nlp, docs, batch_size);
  }
  std::cout << "\nBenchmarking " << args.n_batches << " batches...\n";
  std::cout.flush();
  const size_t n_docs = size_t(args.n_batches) * batch_size;
  std::mt19937_64 rng(0);
  std::vector<Doc> docs;
  docs.reserve(n_docs);
  for (size_t i = 0; i < n_docs; ++i) {
    const std::string& t = args.no_shuffle ? texts[i % texts.size()]
                                           : texts[std::uniform_int_distribution<size_t>(0, texts.size() - 1)(rng)];
    docs.push_back(nlp->make_doc(t));
  }
  std::vector<double> wps = annotate(*nlp, docs, batch_size);

  std::vector<double> sorted = wps;
  std::sort(sorted.begin(), sorted.end());
  const double q1 = quantile(sorted, 0.25), q3 = quantile(sorted, 0.75), iqr = q3 - q1;
  size_t outliers = 0, extreme = 0;
  for (double x : wps) {
    outliers += x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr;
    extreme += x < q1 - 3.0 * iqr || x > q3 + 3.0 * iqr;
  }
  const double n = double(wps.size());
  std::cout << "\nOutliers: " << fixed1(100.0 * double(outliers) / n)
            << "%, extreme outliers: " << python_float(100.0 * double(extreme) / n) << "%\n";
  // 10,000 bootstrap means; the 2.5th and 97.5th percentiles bound the 95% interval.
  std::vector<double> means(10000);
  std::uniform_int_distribution<size_t> pick(0, wps.size() - 1);
  for (double& m : means) {
    double sum = 0;
    for (size_t i = 0; i < wps.size(); ++i) sum += wps[pick(rng)];
    m = sum / n;
  }
  std::sort(means.begin(), means.end());
  const double mean = mean_of(wps);
  const double low = means[size_t(double(means.size()) * 0.025)];
  const double high = means[size_t(double(means.size()) * 0.975)];
  std::cout << "Mean: " << fixed1(mean) << " words/s (95% CI: " << fixed1(low - mean) << " +"
            << fixed1(high - mean) << ")\n";
  return 0;
}

CommandRunner benchmark_command(CLI::App& app) {
  auto args = std::make_shared<BenchmarkArgs>();
  app.add_option("MODEL", args->model, "Model name or path")->required();
  app.add_option("DATA", args->data, "Location of binary evaluation data in .spacy format")
      ->required();
  add_integer_option(app, "-b,--batch-size", args->batch_size,
                     "Override the pipeline batch size", "--batch-size must be at least 1", 1,
                     LLONG_MAX);
  app.add_flag("--no-shuffle", args->no_shuffle, "Do not shuffle benchmark data");
  add_gpu_id_option(app, args->gpu_id);
  add_dtype_option(app, args->dtype);
  add_integer_option(app, "--batches,--n-batches", args->n_batches,
                     "Minimum number of batches to benchmark", "--batches must be at least 30", 30,
                     LLONG_MAX);
  add_integer_option(app, "-w,--warmup", args->warmup,
                     "Number of iterations over the data for warmup",
                     "--warmup must be at least 0", 0, LLONG_MAX);
  add_code_option(app, args->code);
  return [args] { return run_benchmark(*args); };
}

}  // namespace

TRFPIPE_COMMAND("benchmark speed", "Benchmark a pipeline's speed on .spacy data (spacy benchmark speed)",
                benchmark_command);

}  // namespace trfpipe::cli
