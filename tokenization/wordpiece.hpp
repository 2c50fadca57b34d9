// BERT's tokenizer as Hugging Face tokenizers runs it: BertNormalizer (clean text, CJK spacing,
// accent stripping, lowercase), BertPreTokenizer (whitespace + isolated punctuation) and WordPiece
// (greedy longest-match-first with "##"), fused into one pass over the original text.
#pragma once
#include <string>
#include <vector>

#include "tokenization/subword_model.hpp"

namespace trfpipe::subword {

struct WordPieceOptions {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool lowercase = true;
  int strip_accents = -1;  // -1: follow lowercase (HF's strip_accents = None)
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

class WordPieceTokenizer : public ModelTokenizer {
 public:
  WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options);
  void save(const std::string& dir) const override;
  const WordPieceOptions& options() const { return opt_; }

 protected:
  void encode_segment(std::string_view text, size_t base, Encoding& out) const override;
  int64_t model_token_to_id(std::string_view token) const override;
  const std::string* model_id_to_token(int64_t id) const override;
  size_t model_vocab_size() const override { return vocab_.size(); }

 private:
  struct WordBuf;
  void emit_word(const WordBuf& w, size_t base, Encoding& out) const;
  int32_t child(int32_t node, unsigned char byte) const;

  WordPieceOptions opt_;
  bool strip_accents_ = true;
  std::vector<std::string> vocab_;
  StringIdMap lookup_;       // whole tokens
  int64_t unk_id_ = -1;
  // Byte trie: node 0 = root of word-initial pieces, node 1 = root of continuation pieces
  // (stored without the prefix). Edges in an open-addressing table keyed (node << 8 | byte).
  std::vector<int32_t> node_token_;
  std::vector<uint64_t> edge_keys_;
  std::vector<int32_t> edge_child_;
  uint64_t edge_mask_ = 0;
};

}  // namespace trfpipe::subword
