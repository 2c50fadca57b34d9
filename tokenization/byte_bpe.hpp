// GPT-2 / RoBERTa byte-level BPE as Hugging Face tokenizers runs it: the GPT-2 regex
// pre-tokenizer (hand-written, same matches as the onig pattern), the byte-to-unicode map, merges
// by rank, a word cache shared by all threads, and ByteLevel offset trimming.
#pragma once
#include <array>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenization/subword_model.hpp"

namespace trfpipe::subword {

struct ByteBpeOptions {
  bool add_prefix_space = false;  // pre-tokenizer: prepend " " when the text lacks one
  bool trim_offsets = true;       // post-processor: trim leading/trailing "Ġ" from offsets
  bool processor_add_prefix_space = true;  // the post-processor's add_prefix_space
  bool use_regex = true;
  size_t cache_capacity = 10000;
};

// The GPT-2 byte -> printable code point map.
const std::array<uint32_t, 256>& bytes_to_unicode();

class ByteBpeTokenizer : public ModelTokenizer {
 public:
  // vocab[i] = token of id i ("" for holes); merges in rank order as token pairs.
  ByteBpeTokenizer(std::vector<std::string> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   ByteBpeOptions options);
  void encode_pieces(std::string_view text, Encoding& out) const override;
  void save(const std::string& dir) const override;
  const ByteBpeOptions& options() const { return opt_; }

  // Splits text as the GPT-2 pattern does: (start, end) byte offsets per pre-token.
  static void split_gpt2(std::string_view text, std::vector<std::pair<size_t, size_t>>& out);

 protected:
  void encode_segment(std::string_view text, size_t base, Encoding& out) const override;
  int64_t model_token_to_id(std::string_view token) const override;
  const std::string* model_id_to_token(int64_t id) const override;
  size_t model_vocab_size() const override { return vocab_.size(); }

 private:
  void bpe_word(const unsigned char* w, size_t n, std::vector<int32_t>& ids) const;
  void encode_word(std::string_view text, size_t ws, size_t we, size_t base,
                   int64_t virtual_prefix, Encoding& out, std::vector<int32_t>& scratch) const;
  bool merge_of(int32_t a, int32_t b, int32_t& rank, int32_t& merged) const;

  ByteBpeOptions opt_;
  std::vector<std::string> vocab_;
  std::vector<int32_t> piece_bytes_;  // original bytes behind each token
  StringIdMap lookup_;
  std::array<int32_t, 256> byte_id_{};
  std::vector<std::pair<std::string, std::string>> merges_;
  // (a << 32 | b) -> (rank, merged id), open addressing.
  std::vector<uint64_t> mkeys_;
  std::vector<std::pair<int32_t, int32_t>> mvals_;
  uint64_t mmask_ = 0;

  struct CacheShard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  static constexpr size_t kShards = 32;
  std::unique_ptr<CacheShard[]> cache_;
};

}  // namespace trfpipe::subword
