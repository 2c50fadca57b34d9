// Where the shared tokenizer files and the tokenization golden files are, and a reader for the
// golden .jsonl files (one JSON object a line; blank lines skipped). Used by the tokenization
// tests and by tests/cli/debug_pieces_cli_test.cpp.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace trfpipe::testing {

inline const std::string kGolden = std::string(TRFPIPE_SHARED_DIR) + "/data/golden/tokenization/";
inline const std::string kTok = std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/";

inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

}  // namespace trfpipe::testing
