// Subword tokenizer throughput on a JSONL corpus: single-threaded encode() per text, and a
// std::thread pool over pipe-style batches (encode_batch with padding, as the transformer
// component calls it). Prints one JSON line of results; optionally writes every text's ids (one
// JSON array per line) for the parity check against Hugging Face (bench/tokenizer_bench.sh).
//   tokenizer_bench [--tokenizer PATH] [--corpus JSONL] [--ids-out FILE] [--repeats N]
//                   [--threads N] [--batch N]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <time.h>

#include "trfpipe/error.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of the whole process: on a shared machine the fairer clock for one thread.
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  std::string tok_path = std::string(TRFPIPE_SHARED_DIR) + "/data/golden/tokenization/bert-base-uncased.tokenizer.json";
  std::string corpus = std::string(TRFPIPE_SHARED_DIR) + "/data/text/sotu.jsonl";
  std::string ids_out;
  int repeats = 3, threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_t batch = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--tokenizer") tok_path = v;
    else if (a == "--corpus") corpus = v;
    else if (a == "--ids-out") ids_out = v;
    else if (a == "--repeats") repeats = std::stoi(v);
    else if (a == "--threads") threads = std::stoi(v);
    else if (a == "--batch") batch = static_cast<size_t>(std::stoul(v));
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  try {
    std::vector<std::string> texts;
    {
      std::ifstream in(corpus);
      if (!in) throw trfpipe::Error("cannot read " + corpus);
      std::string line;
      while (std::getline(in, line))
        if (!line.empty()) texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    }
    size_t bytes = 0;
    for (const auto& t : texts) bytes += t.size();
    auto t_load = std::chrono::steady_clock::now();
    auto tok = trfpipe::load_subword_tokenizer(tok_path);
    double load_s = seconds_since(t_load);

    // Warm-up, token count and the ids for the parity check.
    size_t tokens = 0;
    {
      std::ofstream ids_file;
      if (!ids_out.empty()) ids_file.open(ids_out);
      for (const auto& t : texts) {
        auto e = tok->encode(t);
        tokens += e.ids.size();
        if (ids_file.is_open()) ids_file << nlohmann::json(e.ids).dump() << "\n";
      }
    }
    double best = 1e30, best_cpu = 1e30;
    for (int r = 0; r < repeats; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      double c0 = cpu_now();
      size_t n = 0;
      for (const auto& t : texts) n += tok->encode(t).ids.size();
      best = std::min(best, seconds_since(t0));
      best_cpu = std::min(best_cpu, cpu_now() - c0);
      if (n != tokens) throw trfpipe::Error("token count changed between runs");
    }
    // Pipe-style: batches of texts over a thread pool, each batch padded (encode_batch).
    double best_mt = 1e30;
    for (int r = 0; r < repeats; ++r) {
      std::atomic<size_t> next{0};
      auto t0 = std::chrono::steady_clock::now();
      std::vector<std::thread> pool;
      for (int w = 0; w < threads; ++w)
        pool.emplace_back([&] {
          std::vector<std::string> b;
          while (true) {
            size_t start = next.fetch_add(batch);
            if (start >= texts.size()) break;
            b.assign(texts.begin() + static_cast<std::ptrdiff_t>(start),
                     texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), start + batch)));
            auto out = tok->encode_batch(b, trfpipe::Padding::Longest);
            (void)out;
          }
        });
      for (auto& t : pool) t.join();
      best_mt = std::min(best_mt, seconds_since(t0));
    }
    nlohmann::json res;
    res["impl"] = "trfpipe";
    res["tokenizer"] = tok_path;
    res["texts"] = texts.size();
    res["bytes"] = bytes;
    res["tokens"] = tokens;
    res["load_s"] = load_s;
    res["encode_s"] = best;
    res["mb_per_s"] = static_cast<double>(bytes) / 1e6 / best;
    res["tokens_per_s"] = static_cast<double>(tokens) / best;
    res["encode_cpu_s"] = best_cpu;
    res["cpu_mb_per_s"] = static_cast<double>(bytes) / 1e6 / best_cpu;
    res["cpu_tokens_per_s"] = static_cast<double>(tokens) / best_cpu;
    res["threads"] = threads;
    res["batch"] = batch;
    res["mt_s"] = best_mt;
    res["mt_mb_per_s"] = static_cast<double>(bytes) / 1e6 / best_mt;
    res["mt_tokens_per_s"] = static_cast<double>(tokens) / best_mt;
    std::cout << res.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "tokenizer_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
