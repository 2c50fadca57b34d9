#include "tokenization/subword_unicode.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <memory>
#include <mutex>

#include "trfpipe/error.hpp"

namespace trfpipe::subword {
namespace {

bool is_cjk(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

std::unique_ptr<uint8_t[]> build_table() {
  std::unique_ptr<uint8_t[]> t(new uint8_t[0x110000]);
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    uint8_t f = 0;
    int8_t type = u_charType(static_cast<UChar32>(cp));
    if (u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_WHITE_SPACE)) f |= kWhitespace;
    uint32_t mask = U_MASK(type);
    if (mask & U_GC_P_MASK) f |= kBertPunct;
    if (cp < 0x80 && ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
                      (cp >= 123 && cp <= 126)))
      f |= kBertPunct;
    if (mask & (U_GC_CC_MASK | U_GC_CF_MASK | U_GC_CS_MASK | U_GC_CO_MASK)) f |= kOther;
    if (mask & U_GC_MN_MASK) f |= kMarkNonspacing;
    if (mask & U_GC_L_MASK) f |= kLetter;
    if (mask & U_GC_N_MASK) f |= kNumber;
    if (is_cjk(cp)) f |= kCjk;
    if (cp == 0x130 || u_tolower(static_cast<UChar32>(cp)) != static_cast<UChar32>(cp)) f |= kHasLower;
    t[cp] = f;
  }
  return t;
}

const uint8_t* table() {
  static std::unique_ptr<uint8_t[]> t = build_table();
  return t.get();
}

}  // namespace

const uint8_t* char_flag_table() { return table(); }

uint8_t char_flags(uint32_t cp) { return cp < 0x110000 ? table()[cp] : 0; }

int to_lowercase(uint32_t cp, uint32_t out[3]) {
  if (cp == 0x130) {
    out[0] = 'i';
    out[1] = 0x307;
    return 2;
  }
  out[0] = static_cast<uint32_t>(u_tolower(static_cast<UChar32>(cp)));
  return 1;
}

int nfd(uint32_t cp, uint32_t out[8]) {
  UErrorCode status = U_ZERO_ERROR;
  static const icu::Normalizer2* norm = icu::Normalizer2::getNFDInstance(status);
  icu::UnicodeString dec;
  if (!norm || !norm->getDecomposition(static_cast<UChar32>(cp), dec)) {
    out[0] = cp;
    return 1;
  }
  int n = 0;
  for (int32_t i = 0; i < dec.length() && n < 8;) {
    UChar32 c = dec.char32At(i);
    out[n++] = static_cast<uint32_t>(c);
    i += U16_LENGTH(c);
  }
  return n;
}

void check_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = decode_utf8(s, n, i, len);
    bool bad = (cp == 0xFFFD && len == 1) || (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF);
    if (bad) throw ValueError("invalid UTF-8 at byte " + std::to_string(i) + " of the text");
    i += len;
  }
}

}  // namespace trfpipe::subword
