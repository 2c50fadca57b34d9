// Character classes the Hugging Face tokenizers pipelines use, precomputed once from ICU into
// one flat table (one byte per code point) so the hot loops never call ICU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trfpipe::subword {

enum CharFlag : uint8_t {
  kWhitespace = 1,   // Rust char::is_whitespace (Unicode White_Space); onig \s
  kBertPunct = 2,    // ASCII punctuation or general category P*
  kOther = 4,        // general category C* (BERT's is_control, minus \t \n \r handled by caller)
  kMarkNonspacing = 8,
  kLetter = 16,      // \p{L}
  kNumber = 32,      // \p{N}
  kCjk = 64,         // BERT's _is_chinese_char ranges
  kHasLower = 128,   // to_lowercase differs from the char itself
};

// The flag byte of code point cp (0 for cp >= 0x110000).
uint8_t char_flags(uint32_t cp);
const uint8_t* char_flag_table();  // 0x110000 entries

// Decodes one UTF-8 character at s[i] (i < n); returns the code point and sets len. Invalid
// bytes decode as U+FFFD with len 1.
inline uint32_t decode_utf8(const unsigned char* s, size_t n, size_t i, size_t& len) {
  unsigned char c = s[i];
  if (c < 0x80) { len = 1; return c; }
  if ((c >> 5) == 0x6 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
    len = 2; return ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
  }
  if ((c >> 4) == 0xE && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
    len = 3; return ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
  }
  if ((c >> 3) == 0x1E && i + 3 < n && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80 &&
      (s[i + 3] & 0xC0) == 0x80) {
    len = 4;
    return ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
           (s[i + 3] & 0x3Fu);
  }
  len = 1;
  return 0xFFFD;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Rust char::to_lowercase (full mapping: U+0130 gives two chars). Writes up to 3 code points.
int to_lowercase(uint32_t cp, uint32_t out[3]);
// Canonical decomposition (NFD) of one code point; returns the count written (<= 8).
int nfd(uint32_t cp, uint32_t out[8]);

// Throws ValueError naming the byte offset when text is not valid UTF-8.
void check_utf8(std::string_view text);

}  // namespace trfpipe::subword
