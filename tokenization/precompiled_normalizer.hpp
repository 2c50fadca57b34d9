// SentencePiece's precompiled normalization rules (normalizer_spec.precompiled_charsmap, the
// Hugging Face "Precompiled" normalizer) applied with a byte alignment normalized -> original,
// plus the aligned-text type the native Unigram pipeline's normalizers share.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trfpipe::subword {

// A normalized string and, for every byte of it, the byte offset in the original text it came
// from (SentencePiece's norm_to_orig). map.size() == text.size() + 1: the last entry is the
// original offset of the end. A piece [b, e) of text covers original [map[b], map[e]).
struct AlignedText {
  std::string text;
  // map[i]: where the original character that produced byte i starts (map[size] = the end).
  std::vector<int64_t> map;
  // Hugging Face's alignment of byte i (one per byte): the original range [start[i], end[i]) it
  // comes from. SentencePiece reports a piece as [map[begin], map[end]); Hugging Face as
  // [start[begin], end[end - 1]]: they differ where one character became several (NFKD, a
  // prepended "▁"), where characters were removed, and for replacements (tokenizers aligns a
  // replacement with the last character it replaced, SentencePiece with the first).
  std::vector<int64_t> start, end;
};
// text with the identity alignment shifted by base.
AlignedText aligned_identity(std::string_view text, int64_t base = 0);

// The charsmap blob: a little-endian uint32 byte size of the trie, a Darts-clone double array
// of that size, then NUL-terminated replacement strings the trie's values index into.
class PrecompiledCharsmap {
 public:
  // Throws ValueError when the blob is malformed.
  explicit PrecompiledCharsmap(std::string blob);
  // The longest rule matching a prefix of s[0, n): its byte length (0 when none) and, in repl,
  // the replacement.
  size_t longest_match(const char* s, size_t n, std::string_view& repl) const;
  // SentencePiece's Normalizer::NormalizePrefix over the whole text: the longest rule or else
  // one UTF-8 character (an invalid byte becomes U+FFFD); every output byte maps to where its
  // source started.
  void normalize(AlignedText& t) const;
  const std::string& blob() const { return blob_; }

 private:
  std::string blob_;
  size_t num_units_ = 0;     // 4-byte units after the header
  size_t strings_size_ = 0;  // bytes of replacement strings after the units
};

std::string base64_decode(std::string_view in);  // throws ValueError on a bad character
std::string base64_encode(std::string_view in);

}  // namespace trfpipe::subword
