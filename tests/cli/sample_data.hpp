// Small corpora for CLI tests, converted to .spacy with the real `trfpipe convert`: the first
// sentences of UD English EWT dev (with entities), six film reviews with POSITIVE/NEGATIVE cats.
// Header-only.
#pragma once
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace trfpipe::testing {

// The first `n` sentences of UD EWT dev with an entity tag in MISC (PROPN tokens as U-ORG),
// converted to .spacy in `dir`.
inline std::string ud_sample_with_ents(const TempDir& tmp, size_t n) {
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu");
  EXPECT_TRUE(in.good());
  std::ostringstream out;
  size_t sents = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      std::vector<std::string> f;
      std::stringstream ss(line);
      for (std::string c; std::getline(ss, c, '\t');) f.push_back(c);
      if (f.size() == 10 && f[0].find('-') == std::string::npos && f[0].find('.') == std::string::npos) {
        const std::string tag = f[3] == "PROPN" ? "name=U-ORG" : "name=O";
        f[9] = f[9] == "_" ? tag : f[9] + "|" + tag;
        line.clear();
        for (size_t k = 0; k < f.size(); ++k) line += (k ? "\t" : "") + f[k];
      }
    }
    out << line << "\n";
    if (line.empty() && ++sents == n) break;
  }
  const std::string conllu = tmp.file("sample.conllu", out.str());
  std::filesystem::create_directories(tmp.path / "data");
  RunResult r = run_cli({"convert", conllu, (tmp.path / "data").string(), "-n", "5"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  return (tmp.path / "data" / "sample.spacy").string();
}

// Six short film reviews with cats POSITIVE / NEGATIVE (1.0 / 0.0), as `tmp`/reviews.spacy.
inline std::string review_cats_sample(const TempDir& tmp) {
  std::string jsonl;
  const std::vector<std::pair<std::string, bool>> reviews = {
      {"A wonderful, moving film. Great acting.", true}, {"Terrible plot and awful acting.", false},
      {"I loved every minute of it.", true},             {"Boring. I left early.", false},
      {"Great fun for the whole family.", true},         {"The worst movie of the year.", false}};
  for (const auto& [text, pos] : reviews)
    jsonl += nlohmann::json{{"text", text},
                            {"cats", {{"POSITIVE", pos ? 1.0 : 0.0}, {"NEGATIVE", pos ? 0.0 : 1.0}}}}
                 .dump() +
             "\n";
  RunResult r = run_cli({"convert", tmp.file("reviews.jsonl", jsonl), tmp.path.string(),
                         "--converter", "jsonl"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return tmp / "reviews.spacy";
}

}  // namespace trfpipe::testing
