// Tests for spaCy's lexical attributes (cases from spacy/tests/lang/test_attrs.py,
// spacy/tests/lang/en/test_text.py and en/test_tokenizer.py, plus Python str semantics).
#include "tokenization/lex_attrs.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "trfpipe/error.hpp"

namespace {

namespace lex = trfpipe::tokenization::lex;

using Pred = bool (*)(std::string_view);

void check(Pred f, const char* name, const std::vector<std::pair<std::string, bool>>& cases) {
  for (const auto& [text, want] : cases) EXPECT_EQ(f(text), want) << name << "(\"" << text << "\")";
}

TEST(LexAttrs, IsPunctMatchesSpacy) {
  check(lex::is_punct, "is_punct",
        {{",", true}, {" ", false}, {"a", false}, {"...", true}, {"«", true}, {"—", true},
         {"$", false}, {"!?", true}});
}

TEST(LexAttrs, IsAsciiMatchesSpacy) {
  check(lex::is_ascii, "is_ascii", {{",", true}, {"£", false}, {"♥", false}, {"dog", true}});
}

TEST(LexAttrs, IsCurrencyMatchesSpacy) {
  check(lex::is_currency, "is_currency",
        {{"$", true}, {"£", true}, {"♥", false}, {"€", true}, {"¥", true}, {"¢", true},
         {"a", false}, {"www.google.com", false}, {"dog", false}});
}

TEST(LexAttrs, LikeUrlMatchesSpacy) {
  check(lex::like_url, "like_url",
        {{"www.google.com", true}, {"google.com", true}, {"sydney.com", true},
         {"1abc2def.org", true}, {"http://stupid", true}, {"www.hi", true},
         {"example.com/example", true}, {"dog", false}, {"1.2", false}, {"1.a", false},
         {"hello.There", false}, {"test@example.com", false},
         {"john.doe@example.co.uk", false}, {"", false}, {"example.com.", false},
         {"foo.bar:80/", true}, {"ftp://foo.bar/baz", true}});
}

TEST(LexAttrs, WordShapeMatchesSpacy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Nasa", "Xxxx"},  {"capitalized", "xxxx"}, {"999999999", "dddd"}, {"C3P0", "XdXd"},
      {",", ","},        {"\n", "\n"},            {"``,-", "``,-"},     {"Hello", "Xxxxx"},
      {"10", "dd"},      {"Éléphant", "Xxxxx"},   {"U.S.", "X.X."},     {"don't", "xxx'x"},
      {"", ""},          {"ǅx", "xx"},            {"٣٤", "dd"}};
  for (const auto& [text, shape] : cases) EXPECT_EQ(lex::shape(text), shape) << text;
  EXPECT_EQ(lex::shape(std::string(99, 'a')), "xxxx");
  EXPECT_EQ(lex::shape(std::string(100, 'a')), "LONG");
}

TEST(LexAttrs, LikeNumMatchesSpacyEnglish) {
  check(lex::like_num, "like_num",
        {{"10", true},         {"1", true},        {"10,000", true},    {"10,00", true},
         {"999.0", true},      {"one", true},      {"two", true},       {"billion", true},
         {"dog", false},       {",", false},       {"1/2", true},       {"third", true},
         {"Millionth", true},  {"100th", true},    {"Hundredth", true}, {"23rd", true},
         {"52nd", true},       {"eleven", true},   {"ELEVEN", true},    {"ten", true},
         {"teneleven", false}, {"-5", true},       {"+1,000", true},    {"±3", true},
         {"~7", true},         {"1/2/3", false},   {"/2", false},       {"th", false},
         {"²", true},          {"", false},        {"1st", true},       {"1.5e3", false}});
}

TEST(LexAttrs, LikeEmailIsAnchoredAtTheStart) {
  check(lex::like_email, "like_email",
        {{"test@example.com", true}, {"john.doe@example.co.uk", true}, {"a@b.c", true},
         {"@example.com", false}, {"test@example", false}, {"test@.com", false},
         {"mailto:x@y.z", false}, {"x@y.z>", true}, {"x y@z.com", false}});
}

TEST(LexAttrs, IsStopIsCaseInsensitiveFollowingSpacyIssue1889) {
  check(lex::is_stop, "is_stop",
        {{"the", true}, {"THE", true}, {"The", true}, {"dog", false}, {"n't", true},
         {"’s", true}, {"‘ve", true}, {"whereafter", true}, {"ca", true}, {"", false}});
}

TEST(LexAttrs, StringPredicatesFollowPython) {
  check(lex::is_alpha, "is_alpha",
        {{"dog", true}, {"Éléphant", true}, {"日本", true}, {"a1", false}, {"", false},
         {"don't", false}});
  check(lex::is_digit, "is_digit",
        {{"123", true}, {"²", true}, {"١٢٣", true}, {"1.5", false}, {"", false}, {"½", false}});
  check(lex::is_lower, "is_lower",
        {{"dog", true}, {"dog1", true}, {"Dog", false}, {"123", false}, {"ß", true}});
  check(lex::is_upper, "is_upper",
        {{"DOG", true}, {"U.S.", true}, {"Dog", false}, {"123", false}, {"ΑΒΓ", true}});
  check(lex::is_title, "is_title",
        {{"Dog", true}, {"Hello World", true}, {"DOG", false}, {"dog", false},
         {"O'Neil", true}, {"123", false}, {"ǅungla", true}});
  check(lex::is_space, "is_space",
        {{" ", true}, {"\n\t", true}, {"\u00a0", true}, {"\u3000", true}, {"", false},
         {"a ", false}, {"\u200b", false}});
  check(lex::is_bracket, "is_bracket", {{"(", true}, {"]", true}, {"<", true}, {"((", false}});
  check(lex::is_quote, "is_quote",
        {{"\"", true}, {"''", true}, {"``", true}, {"“", true}, {"'s", false}});
  check(lex::is_left_punct, "is_left_punct",
        {{"(", true}, {"“", true}, {"``", true}, {")", false}, {"”", false}});
  check(lex::is_right_punct, "is_right_punct",
        {{")", true}, {"”", true}, {"''", true}, {"(", false}, {"“", false}});
}

TEST(LexAttrs, CaseAndAffixesAreCodePointAware) {
  EXPECT_EQ(lex::lower("Hello WORLD"), "hello world");
  EXPECT_EQ(lex::lower("ÉLÉPHANT"), "éléphant");
  EXPECT_EQ(lex::lower("ΟΔΟΣ"), "οδος");  // final sigma, as Python's str.lower()
  EXPECT_EQ(lex::lower("İ"), "i\u0307");
  EXPECT_EQ(lex::prefix("Éléphant"), "É");
  EXPECT_EQ(lex::suffix("Éléphant"), "ant");
  EXPECT_EQ(lex::suffix("naïve"), "ïve");
  EXPECT_EQ(lex::suffix("ab"), "ab");
  EXPECT_EQ(lex::prefix(""), "");
  EXPECT_EQ(lex::suffix("😀😁😂🤣"), "😁😂🤣");
}

TEST(LexAttrs, LexAttrsBundlesEveryAttribute) {
  const auto a = lex::lex_attrs("Hello");
  EXPECT_EQ(a.lower, "hello");
  EXPECT_EQ(a.shape, "Xxxxx");
  EXPECT_EQ(a.prefix, "H");
  EXPECT_EQ(a.suffix, "llo");
  EXPECT_TRUE(a.is_alpha && a.is_ascii && a.is_title);
  EXPECT_FALSE(a.is_lower || a.is_upper || a.is_digit || a.is_punct || a.is_space ||
               a.is_stop || a.like_num || a.like_url || a.like_email || a.is_currency ||
               a.is_bracket || a.is_quote || a.is_left_punct || a.is_right_punct);
  const auto b = lex::lex_attrs("Ten");
  EXPECT_TRUE(b.like_num);
  EXPECT_TRUE(b.is_stop);
}

TEST(LexAttrs, InvalidUtf8ThrowsValueError) {
  const std::string bad("ab\xC3", 3);
  EXPECT_THROW(lex::lower(bad), trfpipe::ValueError);
  EXPECT_THROW(lex::shape(bad), trfpipe::ValueError);
  EXPECT_THROW(lex::is_alpha(std::string("\xED\xA0\x80", 3)), trfpipe::ValueError);
  EXPECT_THROW(lex::like_url(std::string("\x80", 1)), trfpipe::ValueError);
  EXPECT_THROW(lex::lex_attrs(std::string("\xC0\xAF", 2)), trfpipe::ValueError);
}

}  // namespace
