// Internal base of the concrete subword tokenizers: the added/special-token split that runs
// before the model (as Hugging Face's AddedVocabulary), the vocabulary maps and the
// tokenizer_config.json / special_tokens_map.json that save() writes.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trfpipe/subword_tokenizer.hpp"

namespace trfpipe::subword {

struct AddedToken {
  std::string content;
  int64_t id = -1;
  bool special = true;
  bool lstrip = false, rstrip = false, single_word = false, normalized = false;
};

// The token of `id` in a vocabulary indexed by id, or nullptr when `id` is out of range (the
// model_id_to_token of the tokenizers that keep their pieces in one vector).
inline const std::string* token_at(const std::vector<std::string>& vocab, int64_t id) {
  if (id < 0 || static_cast<size_t>(id) >= vocab.size()) return nullptr;
  return &vocab[static_cast<size_t>(id)];
}

// Open-addressing map from byte strings to ids (no allocation on lookup). Keys live in one
// arena; a slot is 16 bytes (hash tag, id, arena offset, length) so probes stay in cache.
class StringIdMap {
 public:
  void build(const std::vector<std::string>& strings, const std::vector<int64_t>& ids);
  int64_t find(const char* s, size_t n) const;
  int64_t find(std::string_view s) const { return find(s.data(), s.size()); }
  static uint64_t hash(const char* s, size_t n);

 private:
  struct Slot {
    uint32_t tag = 0;  // high hash bits | 1; 0 = empty
    int32_t id = -1;
    uint32_t offset = 0, len = 0;
  };
  std::vector<Slot> slots_;
  std::string arena_;
  uint64_t mask_ = 0;
};

class ModelTokenizer : public SubwordTokenizer {
 public:
  void encode_pieces(std::string_view text, Encoding& out) const override;
  int64_t token_to_id(std::string_view token) const override;
  std::string id_to_token(int64_t id) const override;
  size_t vocab_size() const override;

  // Registers added tokens (ids must already be set); rebuilds the matcher.
  void set_added_tokens(std::vector<AddedToken> tokens);
  const std::vector<AddedToken>& added_tokens() const { return added_; }
  void set_special_tokens(const SpecialTokens& s) { special_ = s; }
  void set_model_max_length(size_t n) { model_max_length_ = n; }
  void set_family(TokenizerFamily f) { family_ = f; }
  // Extra keys written into tokenizer_config.json by save().
  nlohmann::ordered_json& config_extra() { return config_extra_; }
  // The tokenizer.json this tokenizer came from (written back by save()), if any.
  void set_tokenizer_json(std::string json) { tokenizer_json_ = std::move(json); }

 protected:
  // Encodes text (a piece of the original) with the model; offsets are shifted by base.
  virtual void encode_segment(std::string_view text, size_t base, Encoding& out) const = 0;
  virtual int64_t model_token_to_id(std::string_view token) const = 0;
  virtual const std::string* model_id_to_token(int64_t id) const = 0;
  virtual size_t model_vocab_size() const = 0;
  // Writes tokenizer_config.json and special_tokens_map.json (plus config_extra_).
  void save_config(const std::string& dir, const std::string& tokenizer_class,
                   const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) const;
  static void make_dir(const std::string& dir);
  static void write_file(const std::string& path, std::string_view data);

  std::vector<AddedToken> added_;
  std::unordered_map<std::string, int64_t> added_ids_;
  std::unordered_map<int64_t, std::string> added_tokens_by_id_;
  bool added_first_byte_[256] = {};
  nlohmann::ordered_json config_extra_ = nlohmann::ordered_json::object();
  std::string tokenizer_json_;
};

std::string read_file(const std::string& path);

}  // namespace trfpipe::subword
