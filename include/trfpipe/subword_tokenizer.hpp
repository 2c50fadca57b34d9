// Hugging Face-compatible subword tokenizers (WordPiece, byte-level BPE, SentencePiece,
// tokenizer.json) that report every piece's offsets into the ORIGINAL text, plus the
// spacy-transformers token <-> piece alignment.
//
// All types here are plain: the pipeline area builds on them, nothing here depends on it.
// A tokenizer object is immutable after loading; encode/encode_batch may be called from many
// threads at once.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trfpipe {

using Offset = std::pair<int64_t, int64_t>;  // [start, end)

// One encoded sequence. Special tokens have offsets (0, 0). After padding every vector has the
// padded length (pad pieces: attention_mask 0, offsets (0, 0), special_tokens_mask 1).
struct Encoding {
  std::vector<int64_t> ids;
  std::vector<std::string> tokens;
  std::vector<Offset> offsets;             // UTF-8 byte offsets into the original text
  std::vector<Offset> offsets_codepoints;  // the same in Unicode code points (as HF/Python)
  std::vector<int64_t> type_ids;
  std::vector<int64_t> special_tokens_mask;
  std::vector<int64_t> attention_mask;
  size_t size() const { return ids.size(); }
};

// Which special-token template a tokenizer uses.
enum class TokenizerFamily {
  Bert,           // [CLS] A [SEP] (B [SEP]); type ids 0 / 1
  Roberta,        // <s> A </s> (</s> B </s>); type ids 0
  Gpt2,           // no special tokens
  Albert,         // [CLS] A [SEP] (B [SEP]); type ids 0 / 1 (SentencePiece)
  XlmRoberta,     // <s> A </s> (</s> B </s>) over a fairseq-shifted SentencePiece vocab
  Xlnet,          // A <sep> <cls> (A <sep> B <sep> <cls>); type ids 0 / 1 / 2, pads on the left
  SentencePiece,  // a bare .model file: no special tokens
};
const char* family_name(TokenizerFamily family);

enum class Padding { None, Longest, MaxLength };
enum class Truncation { None, LongestFirst };

struct SpecialTokens {
  std::string unk, cls, sep, pad, mask, bos, eos;  // "" when the tokenizer has none
};

class SubwordTokenizer {
 public:
  virtual ~SubwordTokenizer() = default;

  // Encodes one text. With add_special_tokens the family's template is applied.
  virtual Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  // A pair (BERT-style token_type_ids 0 / 1 where the family has them).
  Encoding encode_pair(std::string_view a, std::string_view b,
                       bool add_special_tokens = true) const;
  // Batch API: truncation to max_length (0 = model_max_length) keeps the special tokens;
  // Padding::Longest pads to the longest sequence of the batch, MaxLength to max_length.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts,
                                     Padding padding = Padding::Longest,
                                     Truncation truncation = Truncation::None,
                                     size_t max_length = 0, bool add_special_tokens = true) const;

  // -1 when the token is not in the vocabulary / the id is out of range ("" then).
  virtual int64_t token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(int64_t id) const = 0;
  virtual size_t vocab_size() const = 0;
  const SpecialTokens& special_tokens() const { return special_; }
  // 0: no limit (XLNet without a model_max_length, as Hugging Face's 1e30).
  size_t model_max_length() const { return model_max_length_; }
  TokenizerFamily family() const { return family_; }
  // The padding id: pad token, else eos (GPT-2), else unk, else 0.
  int64_t pad_id() const;
  // Hugging Face's padding_side "left" (XLNet): pad() puts the padding before the pieces.
  bool pads_left() const { return family_ == TokenizerFamily::Xlnet; }
  // Writes the files this tokenizer was loaded from (vocab/merges/model/tokenizer.json plus
  // tokenizer_config.json and special_tokens_map.json) into dir, creating it.
  virtual void save(const std::string& dir) const = 0;

  // Pieces of one text without special tokens (ids, tokens, byte offsets only).
  virtual void encode_pieces(std::string_view text, Encoding& out) const = 0;
  // Applies the family template to already-encoded pieces (b may be null).
  Encoding apply_template(Encoding a, const Encoding* b) const;
  // Number of special tokens the template adds around one (pair = false) or two sequences.
  size_t num_special_tokens(bool pair) const;
  // Cuts pieces (before the template) to at most n.
  static void truncate_pieces(Encoding& e, size_t n);
  void pad(Encoding& e, size_t length) const;

 protected:
  SpecialTokens special_;
  size_t model_max_length_ = 512;
  TokenizerFamily family_ = TokenizerFamily::Bert;
};

struct SubwordTokenizerOptions {
  // For a bare vocab.txt: lowercase (and strip accents). Ignored where the files say.
  bool lowercase = false;
  // For a bare vocab.json: the merges file (else merges.txt beside it).
  std::string merges;
  // Overrides the model_max_length read from tokenizer_config.json when non-zero.
  size_t model_max_length = 0;
};

// `path` is a Hugging Face model folder, a tokenizer.json, a vocab.txt, a vocab.json (+ merges)
// or a SentencePiece .model. Throws trfpipe::Error naming what is missing or malformed.
std::unique_ptr<SubwordTokenizer> load_subword_tokenizer(const std::string& path,
                                                         const SubwordTokenizerOptions& options = {});

// Code-point offsets of byte offsets into text (text must be the text the offsets refer to).
std::vector<Offset> byte_to_codepoint_offsets(std::string_view text,
                                              const std::vector<Offset>& byte_offsets);

// ---- spaCy token <-> piece alignment (spacy-transformers get_alignment_via_offset_mapping) ----

struct Ragged {
  std::vector<int64_t> data, lengths;
};

// One span of a doc given to the subword tokenizer: tokens [token_start, token_end) of
// docs[doc], whose text starts at char offset char_start of the doc.
struct AlignSpan {
  size_t doc = 0;
  int64_t token_start = 0, token_end = 0;
  int64_t char_start = 0;
};

// docs[d][t] = (start, end) of token t of doc d, in the doc text. spans[i]'s pieces have
// offsets[i] relative to the span text, in the same unit as the token spans: code points as
// Python does, or UTF-8 bytes (equivalent results: pieces start on character boundaries, so
// the "one trailing char" rule covers the same pieces). padded_length 0 = the longest offsets
// row. Tokens of every doc referenced get rows, docs in order of first appearance; a token's
// pieces are the sorted union over all spans containing it, indices offset by
// span_index * padded_length. Throws ValueError on inconsistent input.
Ragged align_pieces_to_tokens(const std::vector<std::vector<Offset>>& docs,
                              const std::vector<AlignSpan>& spans,
                              const std::vector<std::vector<Offset>>& offsets,
                              size_t padded_length = 0);

}  // namespace trfpipe
