// Inference throughput and memory of a transformer pipeline shaped like spaCy's en_core_web_trf:
// a randomly initialised RoBERTa (default 12 layers, width 768, 12 heads; byte-level BPE with the
// GPT-2 vocabulary), strided spans (window 144, stride 104), and tagger + ner listening to it.
// Texts: the SOTU corpus cut at sentence ends into docs of about --doc-words words (comment-sized,
// like spaCy's speed benchmark). Runs nlp.pipe once to warm up, then once per --threads value, and
// prints a table: words/s (whitespace-split, spaCy's WPS), encoder pieces/s, peak RSS.
// --stream-docs N then streams N docs (the texts over and over) through nlp.pipe's stream form,
// dropping each doc, and prints the RSS every N/10 docs: memory must stay flat however many docs.
//   pipeline_bench [--words N] [--doc-words N] [--batch N] [--threads 1,2] [--layers N]
//                  [--width N] [--heads N] [--arch roberta|bert] [--gpu-id N] [--pipeline DIR]
//                  [--stream-docs N]
// The pipeline is built in code, saved to a folder, and measured in a fresh process (this program
// run again with --pipeline DIR) that loads it as a user's program would: it prints the load time
// and the peak RSS of that process alone (VmHWM), not of the building.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_util.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"
#include "trfpipe/transformer.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;
using trfpipe::Json;

namespace {

using trfpipe::bench::count_words;
using trfpipe::bench::load_docs;

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t total_words = 20000, doc_words = 80, batch = 256;
  std::vector<int> threads = {1, 2};
  trfpipe::HFCheckpointOptions ck;
  ck.arch = "roberta";
  ck.layers = 12;
  ck.width = 768;
  ck.heads = 12;
  int gpu_id = -1;
  std::string pipeline_dir;
  size_t stream_docs = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--pipeline") pipeline_dir = v;
    else if (a == "--words") total_words = std::stoul(v);
    else if (a == "--doc-words") doc_words = std::stoul(v);
    else if (a == "--batch") batch = std::stoul(v);
    else if (a == "--threads") threads = parse_list(v);
    else if (a == "--layers") ck.layers = std::stol(v);
    else if (a == "--width") ck.width = std::stol(v);
    else if (a == "--heads") ck.heads = std::stol(v);
    else if (a == "--arch") ck.arch = v;
    else if (a == "--gpu-id") gpu_id = std::stoi(v);
    else if (a == "--stream-docs") stream_docs = std::stoul(v);
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  try {
    trfpipe::require_gpu(gpu_id);
    if (pipeline_dir.empty()) {
      const fs::path model_dir = fs::temp_directory_path() / "trfpipe_pipeline_bench_model";
      const fs::path saved = fs::temp_directory_path() / "trfpipe_pipeline_bench_pipeline";
      trfpipe::bench::write_random_checkpoint(model_dir.string(), ck);
      {
        auto nlp = trfpipe::Language::blank("en");
        trfpipe::bench::add_transformer_pipe(*nlp, model_dir.string(), 144, 104);
        auto listener = [] {
          return Json{{"@architectures", "spacy-transformers.TransformerListener.v1"},
                      {"grad_factor", 1.0},
                      {"pooling", Json{{"@layers", "reduce_mean.v1"}}}};
        };
        nlp->add_pipe("tagger", "tagger",
                      Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"}, {"tok2vec", listener()}}}});
        nlp->add_pipe("ner", "ner",
                      Json{{"model", Json{{"@architectures", "spacy.TransitionBasedParser.v2"},
                                          {"state_type", "ner"},
                                          {"extra_state_tokens", false},
                                          {"hidden_width", 64},
                                          {"maxout_pieces", 2},
                                          {"use_upper", false},
                                          {"tok2vec", listener()}}}});
        auto& tagger = dynamic_cast<trfpipe::TrainablePipe&>(nlp->get_pipe("tagger"));
        for (const char* t : {"NN", "NNS", "NNP", "VB", "VBD", "VBZ", "JJ", "RB", "IN", "DT", "PRP", ".", ","})
          tagger.add_label(t);
        auto& ner = dynamic_cast<trfpipe::TrainablePipe&>(nlp->get_pipe("ner"));
        for (const char* l : {"PERSON", "ORG", "GPE", "DATE", "CARDINAL", "NORP", "LOC", "MONEY"}) ner.add_label(l);
        nlp->initialize(nullptr);
        fs::remove_all(saved);
        nlp->to_disk(saved.string());
      }
      // The measurement in a fresh process: this one's heap still holds the building's memory.
      std::vector<std::string> args(argv, argv + argc);
      args.push_back("--pipeline");
      args.push_back(saved.string());
      std::vector<char*> cargs;
      for (auto& a : args) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      std::fflush(stdout);
      execv("/proc/self/exe", cargs.data());
      throw std::runtime_error("cannot run /proc/self/exe again");
    }
    // Loaded twice: the first load also loads LibTorch (libtrfpipe.so), the second is what a
    // process that already has it pays (a server reloading a pipeline, a second pipeline).
    auto timed_load = [&](double* seconds) {
      const auto start = std::chrono::steady_clock::now();
      std::unique_ptr<trfpipe::Language> loaded = trfpipe::Language::load(pipeline_dir);
      *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return loaded;
    };
    double first_load_s = 0, load_s = 0;
    timed_load(&first_load_s).reset();
    std::unique_ptr<trfpipe::Language> nlp = timed_load(&load_s);
    const double load_rss = trfpipe::bench::process_memory_mb(getpid(), "VmRSS");

    const std::vector<std::string> texts =
        load_docs(total_words, doc_words);
    size_t words = 0;
    for (const auto& t : texts) words += count_words(t);

    // Encoder pieces of the docs (all spans, windows overlapping): sum of the wordpiece lengths.
    auto count_pieces = [](const std::vector<trfpipe::Doc>& docs) {
      size_t n = 0;
      for (const auto& d : docs) {
        const Json j = trfpipe::transformer_doc_json(d);
        if (j.contains("trf_data"))
          for (const auto& len : j["trf_data"]["wordpieces"]["lengths"]) n += len.get<size_t>();
      }
      return n;
    };
    auto run = [&](size_t* pieces) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<trfpipe::Doc> docs = nlp->pipe(texts, batch);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (pieces) *pieces = count_pieces(docs);
      return s;
    };
    std::printf("pipeline: transformer (%s %lldx%lld, %lld heads, strided 144/104) + tagger + ner "
                "listeners; %zu docs, %zu words; nlp.pipe batch %zu; device %s\n",
                ck.arch.c_str(), static_cast<long long>(ck.layers), static_cast<long long>(ck.width),
                static_cast<long long>(ck.heads), texts.size(), words, batch,
                trfpipe::current_device().c_str());
    std::printf("load: Language::load(%s) %.2f s with loading LibTorch, %.2f s again; RSS after loading %.0f MB\n",
                pipeline_dir.c_str(), first_load_s, load_s, load_rss);
    // Resident memory by kind: anonymous (heap: activations, LibTorch's state) and file pages
    // (the mapped weights, shared with the page cache).
    auto memory = [] {
      char buf[128];
      std::snprintf(buf, sizeof buf, "RSS %.0f MB (anonymous %.0f, file %.0f), peak %.0f MB",
                    trfpipe::bench::process_memory_mb(getpid(), "VmRSS"),
                    trfpipe::bench::process_memory_mb(getpid(), "RssAnon"),
                    trfpipe::bench::process_memory_mb(getpid(), "RssFile"),
                    trfpipe::bench::process_memory_mb(getpid(), "VmHWM"));
      return std::string(buf);
    };
    std::printf("memory after loading: %s\n", memory().c_str());
    size_t pieces = 0;
    run(&pieces);  // warm-up (and the piece count)
    std::printf("memory after the warm-up: %s\n", memory().c_str());
    std::printf("| threads | seconds | words/s | encoder pieces/s | peak RSS MB |\n");
    std::printf("|---:|---:|---:|---:|---:|\n");
    // Page faults of the timed runs: mapped weights fault each page in once (warm-up), so a
    // difference in speed to copied weights (TRFPIPE_MMAP=0) that shows no faults here is not theirs.
    auto faults = [] {
      rusage ru{};
      getrusage(RUSAGE_SELF, &ru);
      return std::make_pair(ru.ru_minflt, ru.ru_majflt);
    };
    const auto faults_before = faults();
    for (int t : threads) {
      trfpipe::set_num_threads(t);
      const double s = run(nullptr);
      // VmHWM: this process's peak (ru_maxrss would include the building before execv).
      std::printf("| %d | %.2f | %.0f | %.0f | %.0f |\n", t, s, words / s, pieces / s,
                  trfpipe::bench::process_memory_mb(getpid(), "VmHWM"));
      std::fflush(stdout);
    }
    std::printf("page faults in the timed runs: %ld minor, %ld major\n", faults().first - faults_before.first,
                faults().second - faults_before.second);
    if (stream_docs > 0) {
      size_t read = 0, done = 0, stream_tokens = 0;
      double first_rss = 0;
      const auto t0 = std::chrono::steady_clock::now();
      trfpipe::PipeOptions po;
      po.batch_size = batch;
      nlp->pipe(
          [&]() -> std::optional<std::string> {
            if (read == stream_docs) return std::nullopt;
            return texts[read++ % texts.size()];
          },
          [&](trfpipe::Doc&& doc) {
            stream_tokens += doc.size();
            if (++done % std::max<size_t>(1, stream_docs / 10) == 0 || done == stream_docs) {
              const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
              std::printf("stream: %zu docs, %.0f s, %.0f tokens/s, %s\n", done, s, stream_tokens / s,
                          memory().c_str());
              if (first_rss == 0) first_rss = trfpipe::bench::process_memory_mb(getpid(), "VmRSS");
              std::fflush(stdout);
            }
          },
          po);
      std::printf("stream RSS: %.0f MB after the first tenth of the docs, %.0f MB after all %zu (%+.0f MB)\n",
                  first_rss, trfpipe::bench::process_memory_mb(getpid(), "VmRSS"), stream_docs,
                  trfpipe::bench::process_memory_mb(getpid(), "VmRSS") - first_rss);
    }
  } catch (const std::exception& e) {
    std::cerr << "pipeline_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
