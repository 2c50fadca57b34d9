// `trfpipe apply MODEL - - -q` as a stream: N docs (comment-sized SOTU docs, cycled) written to its
// stdin, its stdout read and dropped; prints its peak RSS (wait4) and docs/s. Part 1: the CNN
// pipeline over --sizes docs at the default batch size (memory must stay flat). Part 2: batch
// sizes against memory and speed for the CNN and the small transformer pipeline — what the
// default batch size is chosen from (spaCy's apply uses 1).
//   apply_bench [--sizes 10000,100000,1000000] [--batches 1,16,64,256,1000]
//               [--batch-docs 20000] [--trf-docs 2000] [--n-process 1]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/bench_util.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
  double seconds = 0, peak_rss_mb = 0;
  int exit_code = -1;
};

// Runs the CLI with `args`, `n` docs as JSONL on its stdin; stdout goes to /dev/null.
Run apply(const std::vector<std::string>& args, const std::vector<std::string>& texts, size_t n) {
  int in[2];
  if (pipe(in) != 0) throw trfpipe::Error("pipe() failed");
  std::vector<std::string> store = {TRFPIPE_CLI, "apply"};
  store.insert(store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : store) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    close(in[0]);
    close(in[1]);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  std::string chunk;
  for (size_t i = 0; i < n; ++i) {
    chunk += trfpipe::Json{{"text", texts[i % texts.size()]}}.dump() + "\n";
    if (chunk.size() > (1 << 16) || i + 1 == n) {
      for (size_t off = 0; off < chunk.size();) {
        const ssize_t w = write(in[1], chunk.data() + off, chunk.size() - off);
        if (w <= 0) break;
        off += size_t(w);
      }
      chunk.clear();
    }
  }
  close(in[1]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Run r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.peak_rss_mb = usage.ru_maxrss / 1024.0;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<size_t> list(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoul(item));
  return out;
}

void row(const std::string& pipeline, size_t docs, const std::string& batch, const Run& r) {
  std::printf("| %s | %zu | %s | %.1f | %.0f | %.0f |%s\n", pipeline.c_str(), docs, batch.c_str(),
              r.seconds, docs / r.seconds, r.peak_rss_mb, r.exit_code ? " FAILED" : "");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {10000, 100000, 1000000}, batches = {1, 16, 64, 256, 1000};
  size_t batch_docs = 20000, trf_docs = 2000;
  std::string n_process = "1";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--sizes") sizes = list(v);
    else if (a == "--batches") batches = list(v);
    else if (a == "--batch-docs") batch_docs = std::stoul(v);
    else if (a == "--trf-docs") trf_docs = std::stoul(v);
    else if (a == "--n-process") n_process = v;
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  try {
    const fs::path dir = fs::temp_directory_path() / ("trfpipe_apply_bench_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const std::string cnn = (dir / "cnn").string(), trf = (dir / "trf").string();
    trfpipe::bench::cnn_pipeline()->to_disk(cnn);
    trfpipe::bench::transformer_pipeline((dir / "encoder").string(), 4, 256)->to_disk(trf);
    const auto texts = trfpipe::bench::load_docs(400000, 30);
    std::printf("apply MODEL - - -q --n-process %s; %zu distinct docs of ~30 words (SOTU), cycled\n\n",
                n_process.c_str(), texts.size());
    std::printf("| pipeline | docs | --batch-size | seconds | docs/s | peak RSS MB |\n|---|---:|---:|---:|---:|---:|\n");
    for (size_t n : sizes) row("cnn sm", n, "default", apply({cnn, "-", "-", "-q", "-n", n_process}, texts, n));
    std::printf("\n| pipeline | docs | --batch-size | seconds | docs/s | peak RSS MB |\n|---|---:|---:|---:|---:|---:|\n");
    for (size_t b : batches)
      row("cnn sm", batch_docs, std::to_string(b),
          apply({cnn, "-", "-", "-q", "-n", n_process, "-b", std::to_string(b)}, texts, batch_docs));
    for (size_t b : batches)
      row("trf bert 4x256", trf_docs, std::to_string(b),
          apply({trf, "-", "-", "-q", "-n", n_process, "-b", std::to_string(b)}, texts, trf_docs));
    fs::remove_all(dir);
  } catch (const std::exception& e) {
    std::cerr << "apply_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
