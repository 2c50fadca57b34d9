// The `transformer` pipe at inference on real text, one padded encoder call per sub-batch (what
// spacy-transformers does) against length groups (TransformerModel::set_length_groups) and packed
// tokens (models/attention.hpp; BERT-layer encoders), all in this process, interleaved (padded,
// grouped, packed, padded ...); the first two with packing off (models::set_packed_attention).
// Prints per corpus the padding share of encoder FLOPs (linear layers and attention; see
// EncoderWork), words/s and the ratios.
// Corpora: SOTU cut into docs of about --doc-words words (as pipeline_bench), and GoEmotions dev
// comments. The encoder has random weights (speed depends on the shapes only).
//   transformer_pipe_bench [--arch bert|roberta] [--layers 12] [--width 768] [--heads 12]
//                          [--sotu-words 4000] [--doc-words 80] [--goemotions 600]
//                          [--batch 256] [--rounds 1] [--threads 1]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_util.hpp"
#include "components/transformer/transformer.hpp"
#include "models/attention.hpp"
#include "models/malloc_tuning.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"
#include "trfpipe/trfpipe.hpp"

namespace fs = std::filesystem;
using trfpipe::Json;

namespace {

std::vector<std::string> goemotions_dev(size_t n) {
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/corpora/goemotions/dev.tsv");
  std::vector<std::string> texts;
  for (std::string line; texts.size() < n && std::getline(in, line);)
    texts.push_back(line.substr(0, line.find('\t')));
  return texts;
}

}  // namespace

int main(int argc, char** argv) {
  trfpipe::HFCheckpointOptions ck;
  ck.arch = "bert";
  ck.layers = 12;
  ck.width = 768;
  ck.heads = 12;
  size_t sotu_words = 4000, doc_words = 80, goemotions = 600, batch = 256;
  int rounds = 1, threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--arch") ck.arch = v;
    else if (a == "--layers") ck.layers = std::stol(v);
    else if (a == "--width") ck.width = std::stol(v);
    else if (a == "--heads") ck.heads = std::stol(v);
    else if (a == "--sotu-words") sotu_words = std::stoul(v);
    else if (a == "--doc-words") doc_words = std::stoul(v);
    else if (a == "--goemotions") goemotions = std::stoul(v);
    else if (a == "--batch") batch = std::stoul(v);
    else if (a == "--rounds") rounds = std::stoi(v);
    else if (a == "--threads") threads = std::stoi(v);
    else {
      std::cerr << "unknown option " << a << "\n";
      return 2;
    }
  }
  try {
    const fs::path model_dir = fs::temp_directory_path() / "trfpipe_transformer_pipe_bench_model";
    trfpipe::bench::write_random_checkpoint(model_dir.string(), ck);
    trfpipe::set_num_threads(threads);
    auto nlp = trfpipe::Language::blank("en");
    trfpipe::bench::add_transformer_pipe(*nlp, model_dir.string(), 128, 96);
    nlp->initialize(nullptr);
    auto& model = dynamic_cast<trfpipe::TransformerPipe&>(nlp->get_pipe("transformer")).model();

    struct Corpus {
      std::string name;
      std::vector<std::string> texts;
    };
    const std::vector<Corpus> corpora = {
        {"SOTU (docs of ~" + std::to_string(doc_words) + " words)", trfpipe::bench::load_docs(sotu_words, doc_words)},
        {"GoEmotions dev", goemotions_dev(goemotions)}};
    std::printf("transformer pipe: %s %lldx%lld, %lld heads, strided spans 128/96, max_batch_items "
                "4096, nlp.pipe batch %zu, %d thread(s); malloc tuning %s\n",
                ck.arch.c_str(), static_cast<long long>(ck.layers), static_cast<long long>(ck.width),
                static_cast<long long>(ck.heads), batch, threads,
                trfpipe::models::malloc_tuning().description.c_str());
    std::printf("| corpus | docs | words | encoder calls padded → grouped → packed | padding share of "
                "encoder FLOPs | words/s | grouped/padded | packed/grouped |\n"
                "|---|---:|---:|---|---|---|---:|---:|\n");
    nlp->pipe(std::vector<std::string>(corpora[0].texts.begin(), corpora[0].texts.begin() + 8), batch);  // warm-up
    for (const Corpus& c : corpora) {
      size_t words = 0;
      for (const auto& t : c.texts) words += trfpipe::bench::count_words(t);
      double seconds[3] = {0, 0, 0};
      trfpipe::EncoderWork work[3];
      for (int r = 0; r < rounds; ++r)
        for (int mode = 0; mode < 3; ++mode) {  // padded, grouped, packed
          model.set_length_groups(mode == 1);
          trfpipe::models::set_packed_attention(mode == 2);
          model.reset_encoder_work();
          const auto t0 = std::chrono::steady_clock::now();
          nlp->pipe(c.texts, batch);
          seconds[mode] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          work[mode] = model.encoder_work();
        }
      std::printf("| %s | %zu | %zu | %lld → %lld → %lld | %.1f%% → %.1f%% → %.1f%% | %.0f → %.0f → %.0f | "
                  "%.2f | %.2f |\n",
                  c.name.c_str(), c.texts.size(), words, static_cast<long long>(work[0].calls),
                  static_cast<long long>(work[1].calls), static_cast<long long>(work[2].calls),
                  100 * work[0].padding_share(), 100 * work[1].padding_share(), 100 * work[2].padding_share(),
                  rounds * words / seconds[0], rounds * words / seconds[1], rounds * words / seconds[2],
                  seconds[0] / seconds[1], seconds[1] / seconds[2]);
      std::fflush(stdout);
    }
    std::printf("peak RSS %.0f MB\n", trfpipe::bench::peak_rss_mb());
    fs::remove_all(model_dir);
  } catch (const std::exception& e) {
    std::cerr << "transformer_pipe_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
