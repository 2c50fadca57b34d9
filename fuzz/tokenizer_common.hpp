// What the tokenizer targets do with a tokenizer that loaded: encode texts that reach every
// normalizer and pre-tokenizer branch (accents, CJK, emoji, runs of spaces, a long word), save
// it and load it back.
#pragma once
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace trfpipe::fuzz {

inline void exercise_tokenizer(const std::string& path) {
  std::unique_ptr<SubwordTokenizer> tok = load_subword_tokenizer(path);
  static const std::string texts[] = {
      "Hello, world! It's 2024.", "  Ünïcödé  café\tnaïve 日本語の文 😀👍🏽 x", std::string(3000, ' ') + "end",
      std::string(500, 'a') + " " + std::string(200, '!'), ""};
  for (const std::string& t : texts) {
    Encoding e = tok->encode(t);
    for (int64_t id : e.ids) tok->id_to_token(id);
  }
  const std::string saved = (scratch_dir() / "saved").string();
  tok->save(saved);
  load_subword_tokenizer(saved)->encode(texts[1]);
}

}  // namespace trfpipe::fuzz
