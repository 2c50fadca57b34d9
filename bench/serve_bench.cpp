// `trfpipe serve` under load: --clients concurrent HTTP clients (cpp-httplib, keep-alive) on
// loopback for --seconds each, every request a POST /parse of one comment-sized SOTU doc, against
// the CNN and the small transformer pipeline of bench/bench_util.hpp, with the server batching
// concurrent requests into one pipe call (--max-batch 64) and without (--max-batch 1). Prints
// docs/s, latency p50/p99, errors and the server's RSS after the warm-up, half way and at the end
// of the load (flat memory: the half-way and end figures agree; the first half may still grow as
// the allocator reaches the largest batch).
//   serve_bench [--seconds 60] [--clients 32] [--pipelines cnn,trf] [--max-batch 64,1]
//               [--threads N] [--trf-layers 4] [--trf-width 256]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/bench_util.hpp"
#include "tests/cli/serve_process.hpp"

namespace fs = std::filesystem;
using trfpipe::Json;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

struct Load {
  size_t requests = 0, errors = 0;
  std::vector<double> latencies_ms;
};

Load run_load(int port, const std::vector<std::string>& texts, size_t clients, double seconds) {
  std::vector<Load> per(clients);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (size_t c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_read_timeout(120, 0);
      for (size_t i = c; std::chrono::steady_clock::now() < end; i += clients) {
        const std::string body = Json{{"texts", {texts[i % texts.size()]}}}.dump();
        const auto t0 = std::chrono::steady_clock::now();
        auto r = client.Post("/parse", body, "application/json");
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        ++per[c].requests;
        if (!r || r->status != 200) ++per[c].errors;
        else per[c].latencies_ms.push_back(ms);
      }
    });
  for (auto& t : threads) t.join();
  Load all;
  for (auto& p : per) {
    all.requests += p.requests;
    all.errors += p.errors;
    all.latencies_ms.insert(all.latencies_ms.end(), p.latencies_ms.begin(), p.latencies_ms.end());
  }
  std::sort(all.latencies_ms.begin(), all.latencies_ms.end());
  return all;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, size_t(p / 100.0 * double(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 60;
  size_t clients = 32;
  std::vector<std::string> pipelines = {"cnn", "trf"}, batches = {"64", "1"};
  std::string threads;
  int64_t trf_layers = 4, trf_width = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--seconds") seconds = std::stod(v);
    else if (a == "--clients") clients = std::stoul(v);
    else if (a == "--pipelines") pipelines = split(v);
    else if (a == "--max-batch") batches = split(v);
    else if (a == "--threads") threads = v;
    else if (a == "--trf-layers") trf_layers = std::stol(v);
    else if (a == "--trf-width") trf_width = std::stol(v);
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  try {
    const fs::path dir = fs::temp_directory_path() / ("trfpipe_serve_bench_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const auto texts = trfpipe::bench::load_docs(200000, 30);
    std::printf("load: %zu clients, %.0f s per row, POST /parse of one doc (~30 words, SOTU) per "
                "request; server and clients share %u cores\n",
                clients, seconds, std::thread::hardware_concurrency());
    std::printf("| pipeline | --threads | --max-batch | requests | docs/s | p50 ms | p99 ms | errors | RSS start MB | RSS half MB | RSS end MB |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const std::string& name : pipelines) {
      const fs::path model = dir / name;
      if (name == "cnn") {
        trfpipe::bench::cnn_pipeline()->to_disk(model.string());
      } else if (name == "trf") {
        trfpipe::bench::transformer_pipeline((dir / "encoder").string(), trf_layers, trf_width)
            ->to_disk(model.string());
      } else {
        throw trfpipe::ValueError("unknown pipeline " + name + " (cnn, trf)");
      }
      for (const std::string& batch : batches) {
        std::vector<std::string> args = {model.string(), "--max-batch", batch};
        if (!threads.empty()) args.insert(args.end(), {"--threads", threads});
        trfpipe::testing::ServeProcess server(args);
        if (!server.port()) throw trfpipe::Error("the server did not start: " + server.err());
        run_load(server.port(), texts, clients, std::min(5.0, seconds / 10));  // warm-up
        const double rss_start = trfpipe::bench::process_memory_mb(server.pid());
        std::atomic<double> rss_half{0};
        std::thread half([&] {  // one sample half way through the load
          std::this_thread::sleep_for(std::chrono::duration<double>(seconds / 2));
          rss_half = trfpipe::bench::process_memory_mb(server.pid());
        });
        const auto t0 = std::chrono::steady_clock::now();
        const Load load = run_load(server.port(), texts, clients, seconds);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        half.join();
        const double rss_end = trfpipe::bench::process_memory_mb(server.pid());
        const std::string used = threads.empty() ? "cores" : threads;
        std::printf("| %s %s | %s | %s | %zu | %.0f | %.1f | %.1f | %zu | %.0f | %.0f | %.0f |\n",
                    name.c_str(), name == "trf" ? ("bert " + std::to_string(trf_layers) + "x" + std::to_string(trf_width)).c_str() : "sm",
                    used.c_str(), batch.c_str(), load.requests, double(load.requests - load.errors) / s,
                    percentile(load.latencies_ms, 50), percentile(load.latencies_ms, 99), load.errors,
                    rss_start, rss_half.load(), rss_end);
        std::fflush(stdout);
        if (server.terminate() != 0) std::cerr << "serve did not stop cleanly:\n" << server.err();
      }
    }
    fs::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "serve_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
