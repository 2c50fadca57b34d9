// Native SentencePiece-style pipelines from a Hugging Face tokenizer.json: the Unigram model
// (Viterbi over a trie of pieces, SentencePiece's unknown penalty and merging of consecutive
// unknowns, byte fallback), the normalizers such files use (Precompiled, Sequence, Replace,
// Lowercase, Strip, NFKC/NFC/NFD/NFKD, StripAccents) and the Metaspace / WhitespaceSplit
// pre-tokenizers. Offsets follow SentencePiece's norm_to_orig alignment into the original text
// (Hugging Face tokenizers' alignment for XLNet: UnigramTokenizer::set_hf_offsets).
// No libsentencepiece: sentencepiece_model_to_tokenizer_json reads a .model's protobuf itself.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenization/precompiled_normalizer.hpp"
#include "tokenization/subword_model.hpp"

namespace trfpipe::subword {

// Byte trie over the pieces, flattened: children of a node are a sorted run of edges.
class PieceTrie {
 public:
  void build(const std::vector<std::string>& pieces);
  // Calls f(id, length) for every piece that is a prefix of s[0, n), shortest first.
  template <class F>
  void prefixes(const char* s, size_t n, F&& f) const {
    uint32_t node = 0;
    for (size_t i = 0; i < n; ++i) {
      node = child(node, static_cast<unsigned char>(s[i]));
      if (node == kNone) return;
      if (nodes_[node].id >= 0) f(nodes_[node].id, i + 1);
    }
  }

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;
  struct Node {
    int32_t id = -1;
    uint32_t first = 0, count = 0;  // edges_[first, first + count), sorted by label
  };
  struct Edge {
    uint8_t label;
    uint32_t target;
  };
  uint32_t child(uint32_t node, unsigned char c) const;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
};

struct UnigramPiece {
  int64_t id;
  size_t begin, end;  // in the normalized text
  std::string token;
};

class UnigramModel {
 public:
  // pieces/scores by id; unk_id -1 = none (unknown characters are then an error, as HF).
  UnigramModel(std::vector<std::string> pieces, std::vector<double> scores, int64_t unk_id,
               bool byte_fallback);
  // Best segmentation of s (SentencePiece EncodeOptimized; consecutive unknowns fused).
  void encode(std::string_view s, std::vector<UnigramPiece>& out) const;
  const std::vector<std::string>& pieces() const { return pieces_; }
  int64_t token_to_id(std::string_view t) const { return ids_.find(t); }
  int64_t unk_id() const { return unk_id_; }
  float unk_score() const { return unk_score_; }

 private:
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  int64_t unk_id_;
  bool byte_fallback_;
  float unk_score_ = 0;
  PieceTrie trie_;
  StringIdMap ids_;
};

// One step of a normalizer pipeline over aligned text.
class TextNormalizer {
 public:
  virtual ~TextNormalizer() = default;
  virtual void apply(AlignedText& t) const = 0;
};
// Builds the normalizer of a tokenizer.json "normalizer" value (null -> nullptr). `where`
// names the field in errors ("normalizer", "normalizer.normalizers[2]" ...).
std::unique_ptr<TextNormalizer> make_text_normalizer(const nlohmann::json& spec, const std::string& where);

// Pre-tokenizer steps over a list of splits.
struct PreTokenizerStep {
  enum Kind { Metaspace, WhitespaceSplit } kind = Metaspace;
  std::string replacement = "\xE2\x96\x81";
  enum Prepend { Always, First, Never } prepend = Always;
  bool split = true;
};
std::vector<PreTokenizerStep> make_pre_tokenizer(const nlohmann::json& spec, const std::string& where);

class UnigramTokenizer : public ModelTokenizer {
 public:
  UnigramTokenizer(UnigramModel model, std::unique_ptr<TextNormalizer> normalizer,
                   std::vector<PreTokenizerStep> pre_tokenizer);
  void save(const std::string& dir) const override;
  const UnigramModel& model() const { return model_; }
  // Piece offsets: SentencePiece's (default: a piece ends where the next one's source starts, a
  // replacement belongs to the first character it replaced) or Hugging Face tokenizers' (each
  // piece ends where its last character's source ends, a lone prepended "▁" spans the word's first
  // character, a replacement belongs to the last character it replaced); see AlignedText. XLNet
  // uses Hugging Face's: its reference is transformers' tokenizers-backed XLNetTokenizer.
  void set_hf_offsets(bool on) { hf_offsets_ = on; }

 protected:
  void encode_segment(std::string_view text, size_t base, Encoding& out) const override;
  int64_t model_token_to_id(std::string_view token) const override { return model_.token_to_id(token); }
  const std::string* model_id_to_token(int64_t id) const override;
  size_t model_vocab_size() const override { return model_.pieces().size(); }

 private:
  UnigramModel model_;
  std::unique_ptr<TextNormalizer> normalizer_;
  std::vector<PreTokenizerStep> pre_;
  bool hf_offsets_ = false;
};

// Builds the tokenizer from a tokenizer.json whose model.type is "Unigram" (j is the whole
// file); `path` names the file in errors. Throws trfpipe::Error naming the bad field.
std::unique_ptr<UnigramTokenizer> make_unigram_tokenizer(const nlohmann::json& j, const std::string& path);

// A Hugging Face-style tokenizer.json (Unigram model, Precompiled + SentencePiece whitespace
// handling, Metaspace, control/unknown pieces as special added tokens, no post-processor) from
// a SentencePiece unigram .model's bytes; parses the ModelProto wire format. No lowercasing.
std::string sentencepiece_model_to_tokenizer_json(std::string_view model_bytes);

// The tokenizer.json Hugging Face transformers 5 builds for XLNetTokenizer from a spiece.model:
// Replace(``, '' → ") + NFKD + StripAccents (+ Lowercase) + Replace(" {2,}" → " ") normalizers,
// WhitespaceSplit + Metaspace pre-tokenizers, the spm scores as they are, control pieces as
// special and user-defined pieces as plain added tokens, and the `$A <sep> <cls>` template.
// Throws ValueError for a model that is not unigram or lacks <sep> / <cls>.
std::string xlnet_tokenizer_json(std::string_view model_bytes, bool lowercase);

}  // namespace trfpipe::subword
