// What the benchmarks share: texts cut from the SOTU corpus, memory readings, and the pipelines
// they run, built in code with random weights (speed and memory depend on the shapes, not on the
// training):
//  - CNN: spaCy's en_core_web_sm shape — tok2vec (HashEmbedCNN.v2, width 96, depth 4,
//    embed_size 2000) with tagger and ner listening to it;
//  - transformer: a small BERT (--trf-layers/-width) + tagger and ner listening to it.
#pragma once
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/torch/hf_checkpoint.hpp"
#include "trfpipe/trfpipe.hpp"

namespace trfpipe::bench {

inline size_t count_words(const std::string& s) {
  std::istringstream in(s);
  std::string w;
  size_t n = 0;
  while (in >> w) ++n;
  return n;
}

// SOTU speeches cut after ". " once a doc has doc_words words, until `total` words.
inline std::vector<std::string> load_docs(size_t total, size_t doc_words) {
  std::vector<std::string> docs;
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/text/sotu.jsonl");
  std::string line;
  size_t words = 0;
  while (words < total && std::getline(in, line)) {
    const std::string text = Json::parse(line).at("text").get<std::string>();
    std::string cur;
    size_t cur_words = 0;
    std::istringstream ws(text);
    std::string w;
    while (ws >> w) {
      cur += (cur.empty() ? "" : " ") + w;
      ++cur_words;
      if (cur_words >= doc_words && w.back() == '.') {
        docs.push_back(cur);
        words += cur_words;
        cur.clear();
        cur_words = 0;
        if (words >= total) break;
      }
    }
  }
  return docs;
}

inline double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // kB on Linux
}

// VmRSS (or another field of /proc/<pid>/status) in MB; 0 when unreadable.
inline double process_memory_mb(long pid, const std::string& field = "VmRSS") {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  return 0;
}

inline void add_tagger_and_ner(Language& nlp, const Json& tok2vec) {
  nlp.add_pipe("tagger", "tagger", Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"}, {"tok2vec", tok2vec}}}});
  nlp.add_pipe("ner", "ner",
               Json{{"model", Json{{"@architectures", "spacy.TransitionBasedParser.v2"},
                                   {"state_type", "ner"},
                                   {"extra_state_tokens", false},
                                   {"hidden_width", 64},
                                   {"maxout_pieces", 2},
                                   {"use_upper", true},
                                   {"tok2vec", tok2vec}}}});
  auto& tagger = dynamic_cast<TrainablePipe&>(nlp.get_pipe("tagger"));
  for (const char* t : {"NN", "NNS", "NNP", "NNPS", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "JJ",
                        "JJR", "JJS", "RB", "RBR", "IN", "DT", "PRP", "PRP$", "CC", "CD", "MD", "TO",
                        "WDT", "WP", "POS", ".", ",", ":", "``", "''", "-LRB-", "-RRB-", "HYPH"})
    tagger.add_label(t);
  auto& ner = dynamic_cast<TrainablePipe&>(nlp.get_pipe("ner"));
  for (const char* l : {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT",
                        "WORK_OF_ART", "LAW", "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY",
                        "QUANTITY", "ORDINAL", "CARDINAL"})
    ner.add_label(l);
  nlp.initialize(nullptr);
}

inline std::unique_ptr<Language> cnn_pipeline() {
  auto nlp = Language::blank("en");
  nlp->add_pipe("tok2vec", "tok2vec",
                Json{{"model", Json{{"@architectures", "spacy.HashEmbedCNN.v2"},
                                    {"pretrained_vectors", nullptr}, {"width", 96}, {"depth", 4},
                                    {"embed_size", 2000}, {"window_size", 1},
                                    {"maxout_pieces", 3}, {"subword_features", true}}}});
  add_tagger_and_ner(*nlp, Json{{"@architectures", "spacy.Tok2VecListener.v1"}, {"width", 96}});
  return nlp;
}

// A random checkpoint of ck's shape written to `dir` (replaced), with the architecture's tokenizer
// from ../shared: bert-base-uncased's vocab for bert, GPT-2's byte-level BPE otherwise.
inline void write_random_checkpoint(const std::string& dir, HFCheckpointOptions ck) {
  const std::string tokenizers = std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/";
  ck.tokenizer_path = tokenizers + (ck.arch == "bert" ? "bert-base-uncased-vocab.txt" : "gpt2-encoder.json");
  std::filesystem::remove_all(dir);
  write_hf_checkpoint(dir, ck);
}

// A `transformer` pipe (TransformerModel.v3) on the checkpoint folder `dir`, strided spans.
inline void add_transformer_pipe(Language& nlp, const std::string& dir, int64_t window, int64_t stride) {
  nlp.add_pipe("transformer", "transformer",
               Json{{"model", Json{{"@architectures", "spacy-transformers.TransformerModel.v3"},
                                   {"name", dir},
                                   {"get_spans", Json{{"@span_getters", "spacy-transformers.strided_spans.v1"},
                                                      {"window", window},
                                                      {"stride", stride}}}}}});
}

// `encoder_dir` receives the random BERT checkpoint the pipeline loads (keep it while the
// pipeline is used or saved).
inline std::unique_ptr<Language> transformer_pipeline(const std::string& encoder_dir, int64_t layers,
                                                      int64_t width) {
  HFCheckpointOptions ck;
  ck.arch = "bert";
  ck.layers = layers;
  ck.width = width;
  ck.heads = std::max<int64_t>(1, width / 64);
  ck.intermediate_size = 4 * width;
  write_random_checkpoint(encoder_dir, ck);
  auto nlp = Language::blank("en");
  add_transformer_pipe(*nlp, encoder_dir, 128, 96);
  add_tagger_and_ner(*nlp, Json{{"@architectures", "spacy-transformers.TransformerListener.v1"},
                                {"grad_factor", 1.0},
                                {"pooling", Json{{"@layers", "reduce_mean.v1"}}}});
  return nlp;
}

}  // namespace trfpipe::bench
