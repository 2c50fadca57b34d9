// nlp.pipe's n_threads on a CNN pipeline (en_core_web_sm shape, bench/bench_util.hpp): docs/s
// and words/s with 1, 2, ... batches at once, each with one LibTorch thread (the composition
// rule: n_threads × set_num_threads ≤ cores), against one stream given every core. Checks that
// every run gives the docs of the first.
//   pipe_threads_bench [--words N] [--doc-words N] [--batch N] [--threads 1,2]
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/bench_util.hpp"

using trfpipe::Json;

int main(int argc, char** argv) {
  size_t total_words = 60000, doc_words = 25, batch = 64;
  std::vector<size_t> threads = {1, 2};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--words") total_words = std::stoul(v);
    else if (a == "--doc-words") doc_words = std::stoul(v);
    else if (a == "--batch") batch = std::stoul(v);
    else if (a == "--threads") {
      threads.clear();
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) threads.push_back(std::stoul(t));
    } else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  try {
    auto nlp = trfpipe::bench::cnn_pipeline();
    const auto texts = trfpipe::bench::load_docs(total_words, doc_words);
    size_t words = 0;
    for (const auto& t : texts) words += trfpipe::bench::count_words(t);
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    auto run = [&](size_t n_threads, std::vector<Json>& out) {
      out.clear();
      size_t next = 0;
      const auto t0 = std::chrono::steady_clock::now();
      nlp->pipe([&]() -> std::optional<std::string> {
                  if (next == texts.size()) return std::nullopt;
                  return texts[next++];
                },
                [&](trfpipe::Doc&& d) { out.push_back(d.to_json()); }, {batch, n_threads});
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::printf("pipeline: tok2vec (HashEmbedCNN width 96, depth 4) + tagger + ner; %zu docs, %zu "
                "words; batch %zu; %d cores\n",
                texts.size(), words, batch, cores);
    std::vector<Json> reference, got;
    trfpipe::set_num_threads(1);
    run(1, reference);  // warm-up, and the docs every run must give
    std::printf("| n_threads | LibTorch threads each | seconds | docs/s | words/s | vs 1 thread | same docs |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|:---:|\n");
    double base = 0;
    for (size_t n : threads) {
      trfpipe::set_num_threads(1);
      const double s = run(n, got);
      if (n == threads.front()) base = s;
      std::printf("| %zu | 1 | %.2f | %.0f | %.0f | %.2fx | %s |\n", n, s, texts.size() / s, words / s,
                  base / s, got == reference ? "yes" : "NO");
      std::fflush(stdout);
    }
    trfpipe::set_num_threads(cores);
    const double s = run(1, got);
    std::printf("| 1 | %d | %.2f | %.0f | %.0f | %.2fx | %s |\n", cores, s, texts.size() / s, words / s,
                base / s, got == reference ? "yes" : "NO");
  } catch (const std::exception& e) {
    std::cerr << "pipe_threads_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
