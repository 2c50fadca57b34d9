// Matcher and PhraseMatcher throughput on the SOTU corpus (../shared/data/text/sotu.jsonl), one
// thread, matching only (the Docs are tokenized before the clock starts):
//   - Matcher with 100 simple token patterns (one to three exact LOWER/ORTH tokens, spaCy's
//     "simple patterns"),
//   - Matcher with 100 mixed patterns (operators ? + *, IN sets, flags, LIKE_NUM, a REGEX),
//   - PhraseMatcher with 100,000 phrases on LOWER (corpus n-grams plus made-up ones).
// Prints words/s (whitespace-split words, spaCy's WPS) by wall clock and by this thread's CPU time
// (on a shared machine the CPU figure is the one to compare per core) beside the figure for spaCy's Matcher that
// issue 13 quotes (about 1-2 M words/s per core on simple patterns). spaCy itself cannot be
// installed on this machine, so that column is the quoted number, not a measurement.
//   matcher_bench [--words N] [--phrases N] [--repeat N]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_util.hpp"

#include "trfpipe/matcher.hpp"
#include "trfpipe/trfpipe.hpp"

using trfpipe::Doc;
using trfpipe::Json;
using trfpipe::Matcher;
using trfpipe::PhraseMatcher;

namespace {

using trfpipe::bench::count_words;

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Run {
  std::string what;
  size_t patterns = 0, matches = 0;
  double seconds = 0, cpu_seconds = 0;  // best wall-clock and best CPU time of this thread
};

// CPU time of the calling thread: on a shared machine the wall clock also counts the time other
// processes hold the core, and spaCy's figure is per core.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

template <class F>
Run timed(const std::string& what, size_t patterns, int repeat, F&& f) {
  Run r{what, patterns, 0, 1e300, 1e300};
  for (int k = 0; k < repeat; ++k) {
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    size_t m = f();
    const double cpu = thread_cpu_seconds() - c0;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.seconds = std::min(r.seconds, s);
    r.cpu_seconds = std::min(r.cpu_seconds, cpu);
    r.matches = m;
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  size_t target_words = 1000000, n_phrases = 100000;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--words") target_words = std::stoul(argv[i + 1]);
    else if (a == "--phrases") n_phrases = std::stoul(argv[i + 1]);
    else if (a == "--repeat") repeat = std::stoi(argv[i + 1]);
    else {
      std::cerr << "usage: matcher_bench [--words N] [--phrases N] [--repeat N]\n";
      return 2;
    }
  }
  const std::string corpus = std::string(TRFPIPE_SHARED_DIR) + "/data/text/sotu.jsonl";
  std::ifstream in(corpus);
  if (!in) {
    std::cerr << "cannot read " << corpus << "\n";
    return 1;
  }
  // Docs of about 1000 words (paragraph-sized pieces of the speeches).
  auto nlp = trfpipe::Language::blank("en");
  std::vector<Doc> docs;
  size_t words = 0;
  for (std::string line; words < target_words && std::getline(in, line);) {
    std::string text = Json::parse(line)["text"].get<std::string>();
    size_t pos = 0;
    while (pos < text.size() && words < target_words) {
      size_t end = std::min(text.size(), pos + 6000);
      size_t cut = text.find(". ", end);
      end = cut == std::string::npos ? text.size() : cut + 1;
      std::string piece = text.substr(pos, end - pos);
      words += count_words(piece);
      docs.push_back(nlp->make_doc(piece));
      pos = end;
    }
  }
  size_t tokens = 0;
  std::map<std::string, size_t> unigrams, bigrams, trigrams;
  for (Doc& d : docs) {
    tokens += d.size();
    // Whitespace tokens ("\n\n") cannot be pattern words: the n-grams are split on spaces again.
    auto word = [&](size_t k) {
      std::string w = lower(std::string(d[k].text()));
      return w.find_first_of(" \t\r\n") == std::string::npos ? w : std::string();
    };
    for (size_t i = 0; i < d.size(); ++i) {
      const std::string a = word(i);
      if (a.empty()) continue;
      ++unigrams[a];
      const std::string b = i + 1 < d.size() ? word(i + 1) : std::string();
      if (b.empty()) continue;
      ++bigrams[a + " " + b];
      const std::string c = i + 2 < d.size() ? word(i + 2) : std::string();
      if (!c.empty()) ++trigrams[a + " " + b + " " + c];
    }
  }
  auto by_count = [](const std::map<std::string, size_t>& m) {
    std::vector<std::pair<size_t, std::string>> v;
    for (const auto& [k, c] : m) v.emplace_back(c, k);
    std::sort(v.rbegin(), v.rend());
    return v;
  };
  auto uni = by_count(unigrams), bi = by_count(bigrams), tri = by_count(trigrams);
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    std::istringstream is(s);
    for (std::string w; is >> w;) out.push_back(w);
    return out;
  };
  std::vector<Run> runs;

  // 1. 100 simple patterns: mid-frequency n-grams as exact LOWER tokens (some ORTH).
  {
    Matcher m(nlp->vocab_ptr());
    size_t n = 0;
    for (size_t k = 50; n < 100; ++k) {
      const auto& gram = (n % 3 == 0 ? uni : n % 3 == 1 ? bi : tri)[k].second;
      Json pattern = Json::array();
      for (const std::string& w : split(gram)) pattern.push_back({{n % 10 == 0 ? "ORTH" : "LOWER", w}});
      m.add("SIMPLE" + std::to_string(n), Json::array({pattern}));
      ++n;
    }
    runs.push_back(timed("Matcher, simple token patterns", n, repeat, [&] {
      size_t found = 0;
      for (Doc& d : docs) found += m(d).size();
      return found;
    }));
  }
  // 2. 100 mixed patterns with operators, sets, flags and a regex.
  {
    Matcher m(nlp->vocab_ptr());
    size_t n = 0;
    for (size_t k = 20; n < 100; ++k) {
      auto a = split(bi[k].second);
      Json pattern;
      switch (n % 6) {
        case 0: pattern = {{{"LOWER", a[0]}}, {{"IS_PUNCT", true}, {"OP", "?"}}, {{"LOWER", a[1]}}}; break;
        case 1: pattern = {{{"LOWER", {{"IN", {a[0], a[1], uni[k].second}}}}}, {{"IS_ALPHA", true}, {"OP", "+"}}, {{"IS_PUNCT", true}}}; break;
        case 2: pattern = {{{"LIKE_NUM", true}}, {{"LOWER", a[1]}}}; break;
        case 3: pattern = {{{"LOWER", a[0]}}, {{"OP", "*"}, {"IS_STOP", true}}, {{"LOWER", a[1]}}}; break;
        case 4: pattern = {{{"LOWER", a[0]}}, {{"LENGTH", {{">=", 4}}}, {"OP", "{1,2}"}}}; break;
        default: pattern = {{{"LOWER", a[0]}}, {{"LOWER", {{"REGEX", "^" + a[1].substr(0, 2)}}}}}; break;
      }
      m.add("MIXED" + std::to_string(n), Json::array({pattern}), {}, n % 12 == 1 ? "LONGEST" : "");
      ++n;
    }
    runs.push_back(timed("Matcher, mixed patterns (? + * IN REGEX ...)", n, repeat, [&] {
      size_t found = 0;
      for (Doc& d : docs) found += m(d).size();
      return found;
    }));
  }
  // 3. PhraseMatcher with n_phrases phrases on LOWER.
  {
    PhraseMatcher m(nlp->vocab_ptr(), "LOWER");
    std::vector<std::vector<uint64_t>> seqs;
    auto add_gram = [&](const std::string& gram) {
      std::vector<uint64_t> seq;
      for (const std::string& w : split(gram)) seq.push_back(nlp->vocab().get(w).lower);
      seqs.push_back(std::move(seq));
    };
    for (size_t k = 0; seqs.size() < n_phrases / 2 && k < tri.size(); ++k) add_gram(tri[k].second);
    for (size_t k = 0; seqs.size() < n_phrases * 3 / 4 && k < bi.size(); ++k) add_gram(bi[k].second);
    std::mt19937 rng(7);
    while (seqs.size() < n_phrases) {  // made-up phrases of corpus words that mostly never occur
      std::string gram;
      for (int w = 0; w < 2 + int(rng() % 3); ++w) gram += uni[rng() % std::min<size_t>(uni.size(), 20000)].second + " ";
      add_gram(gram);
    }
    for (size_t i = 0; i < seqs.size(); i += 1000)
      m.add_sequences("TERMS" + std::to_string(i / 1000),
                      std::vector<std::vector<uint64_t>>(seqs.begin() + long(i),
                                                         seqs.begin() + long(std::min(seqs.size(), i + 1000))));
    runs.push_back(timed("PhraseMatcher, LOWER", seqs.size(), repeat, [&] {
      size_t found = 0;
      for (Doc& d : docs) found += m(d).size();
      return found;
    }));
  }

  std::printf("matcher_bench: %zu words (%zu tokens, %zu docs) of %s, 1 thread, best of %d\n\n",
              words, tokens, docs.size(), corpus.c_str(), repeat);
  std::printf("| what | patterns | matches | wall s | CPU s | words/s (wall) | words/s (CPU) | "
              "spaCy, quoted (per core) | ratio (CPU) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---|---|\n");
  for (const Run& r : runs) {
    const double wps = double(words) / r.seconds, cps = double(words) / r.cpu_seconds;
    std::printf("| %s | %zu | %zu | %.3f | %.3f | %.2f M | %.2f M | ~1-2 M words/s (simple Matcher "
                "patterns; not measured here) | %.1f-%.1fx |\n",
                r.what.c_str(), r.patterns, r.matches, r.seconds, r.cpu_seconds, wps / 1e6, cps / 1e6,
                cps / 2e6, cps / 1e6);
  }
  return 0;
}
