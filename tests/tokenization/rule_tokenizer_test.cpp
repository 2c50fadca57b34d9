// Tests for the spaCy-compatible rule tokenizer. The table cases are spaCy's own English and
// tokenizer tests (spacy/tests/lang/en/*, spacy/tests/tokenizer/*), with the full token lists
// spaCy's algorithm gives for them; "source" names the spaCy test file.
#include "tokenization/rule_tokenizer.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include "tokenization/lex_attrs.hpp"
#include "trfpipe/error.hpp"

namespace {

using trfpipe::ValueError;
using trfpipe::tokenization::RuleToken;
using trfpipe::tokenization::RuleTokenizer;
using trfpipe::tokenization::TokenizerRules;

const RuleTokenizer& english() {
  static const RuleTokenizer tok = RuleTokenizer::english();
  return tok;
}

std::vector<std::string> texts(std::string_view text, const std::vector<RuleToken>& toks) {
  std::vector<std::string> out;
  for (const auto& t : toks) out.emplace_back(text.substr(t.start, t.end - t.start));
  return out;
}

std::vector<std::string> words(const RuleTokenizer& tok, std::string_view text) {
  return texts(text, tok.tokenize(text));
}

std::string rebuild(std::string_view text, const std::vector<RuleToken>& toks) {
  std::string out;
  for (const auto& t : toks) {
    out += text.substr(t.start, t.end - t.start);
    if (t.space_after) out += ' ';
  }
  return out;
}

struct Case {
  const char* source;
  const char* text;
  std::vector<std::string> tokens;
  std::vector<std::string> norms;  // empty: no special-case norm in the case
};

const std::vector<Case>& spacy_cases() {
  static const std::vector<Case> cases = {
    {"en/test_prefix_suffix_infix", "(can)", {"(", "can", ")"}, {}},
    {"en/test_prefix_suffix_infix", "can't", {"ca", "n't"}, {"can", "not"}},
    {"en/test_prefix_suffix_infix", "(can't", {"(", "ca", "n't"}, {"", "can", "not"}},
    {"en/test_prefix_suffix_infix", "can't)", {"ca", "n't", ")"}, {"can", "not", ""}},
    {"en/test_prefix_suffix_infix", "(can't)", {"(", "ca", "n't", ")"}, {"", "can", "not", ""}},
    {"en/test_prefix_suffix_infix", "(can't?)", {"(", "ca", "n't", "?", ")"}, {"", "can", "not", "", ""}},
    {"en/test_prefix_suffix_infix", "U.S.", {"U.S."}, {}},
    {"en/test_prefix_suffix_infix", "us.", {"us", "."}, {}},
    {"en/test_prefix_suffix_infix", "(U.S.", {"(", "U.S."}, {}},
    {"en/test_prefix_suffix_infix", "U.S.)", {"U.S.", ")"}, {}},
    {"en/test_prefix_suffix_infix", "(U.S.)", {"(", "U.S.", ")"}, {}},
    {"en/test_prefix_suffix_infix", "(U.S.?)", {"(", "U.S.", "?", ")"}, {}},
    {"en/test_prefix_suffix_infix", "best-known", {"best", "-", "known"}, {}},
    {"en/test_prefix_suffix_infix", "0.1-13.5", {"0.1", "-", "13.5"}, {}},
    {"en/test_prefix_suffix_infix", "0.0-0.1", {"0.0", "-", "0.1"}, {}},
    {"en/test_prefix_suffix_infix", "103.27-300", {"103.27", "-", "300"}, {}},
    {"en/test_prefix_suffix_infix", "best.Known", {"best", ".", "Known"}, {}},
    {"en/test_prefix_suffix_infix", "Hello.World", {"Hello", ".", "World"}, {}},
    {"en/test_prefix_suffix_infix", "Hello,world", {"Hello", ",", "world"}, {}},
    {"en/test_prefix_suffix_infix", "one,two", {"one", ",", "two"}, {}},
    {"en/test_prefix_suffix_infix", "best...Known", {"best", "...", "Known"}, {}},
    {"en/test_prefix_suffix_infix", "best...known", {"best", "...", "known"}, {}},
    {"en/test_prefix_suffix_infix", "No decent--let alone well-bred--people.", {"No", "decent", "--", "let", "alone", "well", "-", "bred", "--", "people", "."}, {}},
    {"en/test_prefix_suffix_infix", "Today is Tuesday.Mr.", {"Today", "is", "Tuesday", ".", "Mr."}, {}},
    {"en/test_prefix_suffix_infix", "_MATH_", {"_", "MATH", "_"}, {}},
    {"en/test_prefix_suffix_infix", "_MATH_.", {"_", "MATH", "_", "."}, {}},
    {"en/test_punct", "(", {"("}, {}},
    {"en/test_punct", "((", {"(", "("}, {}},
    {"en/test_punct", "<", {"<"}, {}},
    {"en/test_punct", "(Hello", {"(", "Hello"}, {}},
    {"en/test_punct", "(`Hello", {"(", "`", "Hello"}, {}},
    {"en/test_punct", "(((Hello", {"(", "(", "(", "Hello"}, {}},
    {"en/test_punct", "[Hello", {"[", "Hello"}, {}},
    {"en/test_punct", "[`Hello", {"[", "`", "Hello"}, {}},
    {"en/test_punct", "[[[Hello", {"[", "[", "[", "Hello"}, {}},
    {"en/test_punct", "{Hello", {"{", "Hello"}, {}},
    {"en/test_punct", "{`Hello", {"{", "`", "Hello"}, {}},
    {"en/test_punct", "{{{Hello", {"{", "{", "{", "Hello"}, {}},
    {"en/test_punct", "*Hello", {"*", "Hello"}, {}},
    {"en/test_punct", "*`Hello", {"*", "`", "Hello"}, {}},
    {"en/test_punct", "***Hello", {"*", "*", "*", "Hello"}, {}},
    {"en/test_punct", "Hello)", {"Hello", ")"}, {}},
    {"en/test_punct", "Hello)'", {"Hello", ")", "'"}, {}},
    {"en/test_punct", "Hello)))", {"Hello", ")", ")", ")"}, {}},
    {"en/test_punct", "Hello]", {"Hello", "]"}, {}},
    {"en/test_punct", "Hello]'", {"Hello", "]", "'"}, {}},
    {"en/test_punct", "Hello]]]", {"Hello", "]", "]", "]"}, {}},
    {"en/test_punct", "Hello}", {"Hello", "}"}, {}},
    {"en/test_punct", "Hello}'", {"Hello", "}", "'"}, {}},
    {"en/test_punct", "Hello}}}", {"Hello", "}", "}", "}"}, {}},
    {"en/test_punct", "Hello*", {"Hello", "*"}, {}},
    {"en/test_punct", "Hello*'", {"Hello", "*", "'"}, {}},
    {"en/test_punct", "Hello***", {"Hello", "*", "*", "*"}, {}},
    {"en/test_punct", "'The", {"'", "The"}, {}},
    {"en/test_punct", "Hello''", {"Hello", "''"}, {}},
    {"en/test_punct", "''", {"''"}, {}},
    {"en/test_punct", "(Hello)", {"(", "Hello", ")"}, {}},
    {"en/test_punct", "`(Hello)'", {"`", "(", "Hello", ")", "'"}, {}},
    {"en/test_punct", "[Hello]", {"[", "Hello", "]"}, {}},
    {"en/test_punct", "`[Hello]'", {"`", "[", "Hello", "]", "'"}, {}},
    {"en/test_punct", "{Hello}", {"{", "Hello", "}"}, {}},
    {"en/test_punct", "`{Hello}'", {"`", "{", "Hello", "}", "'"}, {}},
    {"en/test_punct", "*Hello*", {"*", "Hello", "*"}, {}},
    {"en/test_punct", "`*Hello*'", {"`", "*", "Hello", "*", "'"}, {}},
    {"en/test_punct", "(And a 6a.m. run through Washington Park).", {"(", "And", "a", "6", "a.m.", "run", "through", "Washington", "Park", ")", "."}, {"", "", "", "", "a.m.", "", "", "", "", "", ""}},
    {"en/test_exceptions", "don't giggle", {"do", "n't", "giggle"}, {"do", "not", ""}},
    {"en/test_exceptions", "i said don't!", {"i", "said", "do", "n't", "!"}, {"", "", "do", "not", ""}},
    {"en/test_exceptions", "`ain't", {"`", "ai", "n't"}, {"", "", "not"}},
    {"en/test_exceptions", "\"isn't", {"\"", "is", "n't"}, {"", "is", "not"}},
    {"en/test_exceptions", "can't!", {"ca", "n't", "!"}, {"can", "not", ""}},
    {"en/test_exceptions", "Robin's", {"Robin", "'s"}, {}},
    {"en/test_exceptions", "Alexis's", {"Alexis", "'s"}, {}},
    {"en/test_exceptions", "schools'", {"schools", "'"}, {}},
    {"en/test_exceptions", "Alexis'", {"Alexis", "'"}, {}},
    {"en/test_exceptions", "'em", {"'em"}, {"them"}},
    {"en/test_exceptions", "nothin'", {"nothin'"}, {"nothing"}},
    {"en/test_exceptions", "ol'", {"ol'"}, {"old"}},
    {"en/test_exceptions", "we'll", {"we", "'ll"}, {"we", "will"}},
    {"en/test_exceptions", "You'll", {"You", "'ll"}, {"you", "will"}},
    {"en/test_exceptions", "there'll", {"there", "'ll"}, {"there", "will"}},
    {"en/test_exceptions", "this'll", {"this", "'ll"}, {"this", "will"}},
    {"en/test_exceptions", "those'll", {"those", "'ll"}, {"those", "will"}},
    {"en/test_exceptions", "Can't", {"Ca", "n't"}, {"can", "not"}},
    {"en/test_exceptions", "ain't", {"ai", "n't"}, {"", "not"}},
    {"en/test_exceptions", "Ain't", {"Ai", "n't"}, {"", "not"}},
    {"en/test_exceptions", "I'll", {"I", "'ll"}, {"i", "will"}},
    {"en/test_exceptions", "I'd", {"I", "'d"}, {"i", "'d"}},
    {"en/test_exceptions", "You'd", {"You", "'d"}, {"you", "'d"}},
    {"en/test_exceptions", "He'll", {"He", "'ll"}, {"he", "will"}},
    {"en/test_exceptions", "He'd", {"He", "'d"}, {"he", "'d"}},
    {"en/test_exceptions", "She'll", {"She", "'ll"}, {"she", "will"}},
    {"en/test_exceptions", "She'd", {"She", "'d"}, {"she", "'d"}},
    {"en/test_exceptions", "It'll", {"It", "'ll"}, {"it", "will"}},
    {"en/test_exceptions", "It'd", {"It", "'d"}, {"it", "'d"}},
    {"en/test_exceptions", "We'll", {"We", "'ll"}, {"we", "will"}},
    {"en/test_exceptions", "We'd", {"We", "'d"}, {"we", "'d"}},
    {"en/test_exceptions", "They'll", {"They", "'ll"}, {"they", "will"}},
    {"en/test_exceptions", "They'd", {"They", "'d"}, {"they", "'d"}},
    {"en/test_exceptions", "Ill", {"Ill"}, {}},
    {"en/test_exceptions", "ill", {"ill"}, {}},
    {"en/test_exceptions", "Hell", {"Hell"}, {}},
    {"en/test_exceptions", "hell", {"hell"}, {}},
    {"en/test_exceptions", "Well", {"Well"}, {}},
    {"en/test_exceptions", "well", {"well"}, {}},
    {"en/test_exceptions", "We've", {"We", "'ve"}, {"we", "have"}},
    {"en/test_exceptions", "`We've", {"`", "We", "'ve"}, {"", "we", "have"}},
    {"en/test_exceptions", "couldn't", {"could", "n't"}, {"could", "not"}},
    {"en/test_exceptions", "couldn't)", {"could", "n't", ")"}, {"could", "not", ""}},
    {"en/test_exceptions", "e.g.", {"e.g."}, {}},
    {"en/test_exceptions", "p.m.", {"p.m."}, {}},
    {"en/test_exceptions", "Jan.", {"Jan."}, {"January"}},
    {"en/test_exceptions", "Dec.", {"Dec."}, {"December"}},
    {"en/test_exceptions", "Inc.", {"Inc."}, {}},
    {"en/test_exceptions", "It's mediocre i.e. bad.", {"It", "'s", "mediocre", "i.e.", "bad", "."}, {"it", "'s", "", "", "", ""}},
    {"en/test_exceptions", "1am", {"1", "am"}, {"", "a.m."}},
    {"en/test_exceptions", "12a.m.", {"12", "a.m."}, {"", "a.m."}},
    {"en/test_exceptions", "11p.m.", {"11", "p.m."}, {"", "p.m."}},
    {"en/test_exceptions", "4pm", {"4", "pm"}, {"", "p.m."}},
    {"en/test_text", "Tributes pour in for late British Labour Party leader\nTributes poured in from around the world Thursday\nto the late Labour Party leader John Smith, who died earlier from a massive\nheart attack aged 55.\nIn Washington, the US State Department issued a statement regretting \"the\nuntimely death\" of the rapier-tongued Scottish barrister and parliamentarian.\n\"Mr. Smith, throughout his distinguished", {"Tributes", "pour", "in", "for", "late", "British", "Labour", "Party", "leader", "\n", "Tributes", "poured", "in", "from", "around", "the", "world", "Thursday", "\n", "to", "the", "late", "Labour", "Party", "leader", "John", "Smith", ",", "who", "died", "earlier", "from", "a", "massive", "\n", "heart", "attack", "aged", "55", ".", "\n", "In", "Washington", ",", "the", "US", "State", "Department", "issued", "a", "statement", "regretting", "\"", "the", "\n", "untimely", "death", "\"", "of", "the", "rapier", "-", "tongued", "Scottish", "barrister", "and", "parliamentarian", ".", "\n", "\"", "Mr.", "Smith", ",", "throughout", "his", "distinguished"}, {}},
    {"en/test_text", "The U.S. Army likes Shock and Awe.", {"The", "U.S.", "Army", "likes", "Shock", "and", "Awe", "."}, {}},
    {"en/test_text", "U.N. regulations are not a part of their concern.", {"U.N.", "regulations", "are", "not", "a", "part", "of", "their", "concern", "."}, {}},
    {"en/test_text", "“Isn't it?”", {"“", "Is", "n't", "it", "?", "”"}, {"", "is", "not", "", "", ""}},
    {"en/test_text", "Yes! \"I'd rather have a walk\", Ms. Comble sighed. ", {"Yes", "!", "\"", "I", "'d", "rather", "have", "a", "walk", "\"", ",", "Ms.", "Comble", "sighed", "."}, {"", "", "", "i", "'d", "", "", "", "", "", "", "", "", "", ""}},
    {"en/test_text", "'Me too!', Mr. P. Delaware cried. ", {"'", "Me", "too", "!", "'", ",", "Mr.", "P.", "Delaware", "cried", "."}, {}},
    {"en/test_text", "They ran about 10km.", {"They", "ran", "about", "10", "km", "."}, {}},
    {"en/test_text", "But then the 6,000-year ice age came...", {"But", "then", "the", "6,000", "-", "year", "ice", "age", "came", "..."}, {}},
    {"en/test_text", "10", {"10"}, {}},
    {"en/test_text", "1", {"1"}, {}},
    {"en/test_text", "10,000", {"10,000"}, {}},
    {"en/test_text", "10,00", {"10,00"}, {}},
    {"en/test_text", "999.0", {"999.0"}, {}},
    {"en/test_text", "one", {"one"}, {}},
    {"en/test_text", "two", {"two"}, {}},
    {"en/test_text", "billion", {"billion"}, {}},
    {"en/test_text", "dog", {"dog"}, {}},
    {"en/test_text", ",", {","}, {}},
    {"en/test_text", "1/2", {"1/2"}, {}},
    {"tokenizer/test_whitespace", "lorem ipsum", {"lorem", "ipsum"}, {}},
    {"tokenizer/test_whitespace", "lorem  ipsum", {"lorem", " ", "ipsum"}, {}},
    {"tokenizer/test_whitespace", "lorem ipsum  ", {"lorem", "ipsum", " "}, {}},
    {"tokenizer/test_whitespace", "lorem\nipsum", {"lorem", "\n", "ipsum"}, {}},
    {"tokenizer/test_whitespace", "lorem \nipsum", {"lorem", "\n", "ipsum"}, {}},
    {"tokenizer/test_whitespace", "lorem  \nipsum", {"lorem", " \n", "ipsum"}, {}},
    {"tokenizer/test_whitespace", "lorem \n ipsum", {"lorem", "\n ", "ipsum"}, {}},
    {"tokenizer/test_tokenizer", ":o :/ :'( >:o (: :) >.< XD -__- o.O ;D :-) @_@ :P 8D :1 >:( :D =| :> ....", {":o", ":/", ":'(", ">:o", "(:", ":)", ">.<", "XD", "-__-", "o.O", ";D", ":-)", "@_@", ":P", "8D", ":1", ">:(", ":D", "=|", ":>", "...."}, {}},
    {"tokenizer/test_tokenizer", "108)", {"108", ")"}, {}},
    {"tokenizer/test_tokenizer", "XDN", {"XDN"}, {}},
    {"tokenizer/test_tokenizer", "can you still dunk?🍕🍔😵LOL", {"can", "you", "still", "dunk?", "🍕", "🍔", "😵", "LOL"}, {}},
    {"tokenizer/test_tokenizer", "i💙you", {"i", "💙", "you"}, {}},
    {"tokenizer/test_tokenizer", "🤘🤘yay!", {"🤘", "🤘", "yay", "!"}, {}},
    {"tokenizer/test_tokenizer", "°c.", {"°", "c", "."}, {}},
    {"tokenizer/test_tokenizer", "°f.", {"°", "f", "."}, {}},
    {"tokenizer/test_tokenizer", "°k.", {"°", "k", "."}, {}},
    {"tokenizer/test_tokenizer", "°C.", {"°", "C", "."}, {}},
    {"tokenizer/test_tokenizer", "°F.", {"°", "F", "."}, {}},
    {"tokenizer/test_tokenizer", "°K.", {"°", "K", "."}, {}},
    {"en/test_tokenizer", "   This is a cat.", {"   ", "This", "is", "a", "cat", "."}, {}},
    {"en/test_tokenizer", "$45...............Asking", {"$", "45", "...............", "Asking"}, {}},
    {"en/test_tokenizer", "7am", {"7", "am"}, {"", "a.m."}},
    {"en/test_tokenizer", "3/4/2012", {"3/4/2012"}, {}},
    {"en/test_tokenizer", "01/12/1900", {"01/12/1900"}, {}},
    {"en/test_tokenizer", "We were scared", {"We", "were", "scared"}, {}},
    {"en/test_tokenizer", "We Were Scared", {"We", "Were", "Scared"}, {}},
    {"en/test_tokenizer", "Shell", {"Shell"}, {}},
    {"en/test_tokenizer", "shell", {"shell"}, {}},
    {"en/test_tokenizer", "Shed", {"Shed"}, {}},
    {"en/test_tokenizer", "shed", {"shed"}, {}},
    {"en/test_tokenizer", "This is a string ", {"This", "is", "a", "string"}, {}},
    {"en/test_tokenizer", "This is a string", {"This", "is", "a", "string"}, {}},
    {"en/test_tokenizer", "This is a string\n", {"This", "is", "a", "string", "\n"}, {}},
    {"en/test_tokenizer", "aaabbb@ccc.com\nThank you!", {"aaabbb@ccc.com", "\n", "Thank", "you", "!"}, {}},
    {"en/test_tokenizer", "aaabbb@ccc.com \nThank you!", {"aaabbb@ccc.com", "\n", "Thank", "you", "!"}, {}},
    {"en/test_tokenizer", "Datum:2014-06-02\nDokument:76467", {"Datum:2014", "-", "06", "-", "02", "\n", "Dokument:76467"}, {}},
    {"en/test_tokenizer", "want/need", {"want", "/", "need"}, {}},
    {"en/test_tokenizer", "test@example.com", {"test@example.com"}, {}},
    {"en/test_tokenizer", "john.doe@example.co.uk", {"john.doe@example.co.uk"}, {}},
    {"en/test_tokenizer", "would've", {"would", "'ve"}, {"would", ""}},
    {"en/test_indices", "to walk, do foo", {"to", "walk", ",", "do", "foo"}, {}},
    {"en/test_indices", "Tom (D., Ill.)!", {"Tom", "(", "D.", ",", "Ill.", ")", "!"}, {"", "", "", "", "Illinois", "", ""}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0"}, {}},
    {"tokenizer/test_urls", "(http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0)", {"(", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ")"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com", {"www.red-stars.com"}, {}},
    {"tokenizer/test_urls", "(www.red-stars.com)", {"(", "www.red-stars.com", ")"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com", {"mailto:foo.bar@baz.com"}, {}},
    {"tokenizer/test_urls", "(mailto:foo.bar@baz.com)", {"(", "mailto:foo.bar@baz.com", ")"}, {}},
    {"tokenizer/test_urls", "(http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", {"(", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0"}, {}},
    {"tokenizer/test_urls", "\"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", {"\"", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0"}, {}},
    {"tokenizer/test_urls", ">http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", {">", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0\"", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", "\""}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0:", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ":"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0>", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ">"}, {}},
    {"tokenizer/test_urls", "(http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0\"", {"(", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", "\""}, {}},
    {"tokenizer/test_urls", "(http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0:", {"(", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ":"}, {}},
    {"tokenizer/test_urls", "(http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0>", {"(", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ">"}, {}},
    {"tokenizer/test_urls", "\"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0\"", {"\"", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", "\""}, {}},
    {"tokenizer/test_urls", "\"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0:", {"\"", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ":"}, {}},
    {"tokenizer/test_urls", "\"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0>", {"\"", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ">"}, {}},
    {"tokenizer/test_urls", ">http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0\"", {">", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", "\""}, {}},
    {"tokenizer/test_urls", ">http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0:", {">", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ":"}, {}},
    {"tokenizer/test_urls", ">http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0>", {">", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ">"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0\"\"", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", "\"", "\""}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0\":", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", "\"", ":"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0\">", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", "\"", ">"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0:\"", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ":", "\""}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0::", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ":", ":"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0:>", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ":>"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0>\"", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ">", "\""}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0>:", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ">", ":"}, {}},
    {"tokenizer/test_urls", "http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0>>", {"http://www.nytimes.com/2016/04/20/us/politics/new-york-primary-preview.html?hp&action=click&pgtype=Homepage&clickSource=story-heading&module=a-lede-package-region&region=top-news&WT.nav=top-news&_r=0", ">", ">"}, {}},
    {"tokenizer/test_urls", "(www.red-stars.com", {"(", "www.red-stars.com"}, {}},
    {"tokenizer/test_urls", "\"www.red-stars.com", {"\"", "www.red-stars.com"}, {}},
    {"tokenizer/test_urls", ">www.red-stars.com", {">", "www.red-stars.com"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com\"", {"www.red-stars.com", "\""}, {}},
    {"tokenizer/test_urls", "www.red-stars.com:", {"www.red-stars.com", ":"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com>", {"www.red-stars.com", ">"}, {}},
    {"tokenizer/test_urls", "(www.red-stars.com\"", {"(", "www.red-stars.com", "\""}, {}},
    {"tokenizer/test_urls", "(www.red-stars.com:", {"(", "www.red-stars.com", ":"}, {}},
    {"tokenizer/test_urls", "(www.red-stars.com>", {"(", "www.red-stars.com", ">"}, {}},
    {"tokenizer/test_urls", "\"www.red-stars.com\"", {"\"", "www.red-stars.com", "\""}, {}},
    {"tokenizer/test_urls", "\"www.red-stars.com:", {"\"", "www.red-stars.com", ":"}, {}},
    {"tokenizer/test_urls", "\"www.red-stars.com>", {"\"", "www.red-stars.com", ">"}, {}},
    {"tokenizer/test_urls", ">www.red-stars.com\"", {">", "www.red-stars.com", "\""}, {}},
    {"tokenizer/test_urls", ">www.red-stars.com:", {">", "www.red-stars.com", ":"}, {}},
    {"tokenizer/test_urls", ">www.red-stars.com>", {">", "www.red-stars.com", ">"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com\"\"", {"www.red-stars.com", "\"", "\""}, {}},
    {"tokenizer/test_urls", "www.red-stars.com\":", {"www.red-stars.com", "\"", ":"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com\">", {"www.red-stars.com", "\"", ">"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com:\"", {"www.red-stars.com", ":", "\""}, {}},
    {"tokenizer/test_urls", "www.red-stars.com::", {"www.red-stars.com", ":", ":"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com:>", {"www.red-stars.com", ":>"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com>\"", {"www.red-stars.com", ">", "\""}, {}},
    {"tokenizer/test_urls", "www.red-stars.com>:", {"www.red-stars.com", ">", ":"}, {}},
    {"tokenizer/test_urls", "www.red-stars.com>>", {"www.red-stars.com", ">", ">"}, {}},
    {"tokenizer/test_urls", "(mailto:foo.bar@baz.com", {"(", "mailto:foo.bar@baz.com"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo.bar@baz.com", {"\"", "mailto:foo.bar@baz.com"}, {}},
    {"tokenizer/test_urls", ">mailto:foo.bar@baz.com", {">", "mailto:foo.bar@baz.com"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com\"", {"mailto:foo.bar@baz.com", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com:", {"mailto:foo.bar@baz.com", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com>", {"mailto:foo.bar@baz.com", ">"}, {}},
    {"tokenizer/test_urls", "(mailto:foo.bar@baz.com\"", {"(", "mailto:foo.bar@baz.com", "\""}, {}},
    {"tokenizer/test_urls", "(mailto:foo.bar@baz.com:", {"(", "mailto:foo.bar@baz.com", ":"}, {}},
    {"tokenizer/test_urls", "(mailto:foo.bar@baz.com>", {"(", "mailto:foo.bar@baz.com", ">"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo.bar@baz.com\"", {"\"", "mailto:foo.bar@baz.com", "\""}, {}},
    {"tokenizer/test_urls", "\"mailto:foo.bar@baz.com:", {"\"", "mailto:foo.bar@baz.com", ":"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo.bar@baz.com>", {"\"", "mailto:foo.bar@baz.com", ">"}, {}},
    {"tokenizer/test_urls", ">mailto:foo.bar@baz.com\"", {">", "mailto:foo.bar@baz.com", "\""}, {}},
    {"tokenizer/test_urls", ">mailto:foo.bar@baz.com:", {">", "mailto:foo.bar@baz.com", ":"}, {}},
    {"tokenizer/test_urls", ">mailto:foo.bar@baz.com>", {">", "mailto:foo.bar@baz.com", ">"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com\"\"", {"mailto:foo.bar@baz.com", "\"", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com\":", {"mailto:foo.bar@baz.com", "\"", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com\">", {"mailto:foo.bar@baz.com", "\"", ">"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com:\"", {"mailto:foo.bar@baz.com", ":", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com::", {"mailto:foo.bar@baz.com", ":", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com:>", {"mailto:foo.bar@baz.com", ":>"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com>\"", {"mailto:foo.bar@baz.com", ">", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com>:", {"mailto:foo.bar@baz.com", ">", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo.bar@baz.com>>", {"mailto:foo.bar@baz.com", ">", ">"}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com", {"(", "mailto:foo-bar@baz-co.com"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com", {"\"", "mailto:foo-bar@baz-co.com"}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com", {">", "mailto:foo-bar@baz-co.com"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com\"", {"mailto:foo-bar@baz-co.com", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com:", {"mailto:foo-bar@baz-co.com", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com>", {"mailto:foo-bar@baz-co.com", ">"}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com\"", {"(", "mailto:foo-bar@baz-co.com", "\""}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com:", {"(", "mailto:foo-bar@baz-co.com", ":"}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com>", {"(", "mailto:foo-bar@baz-co.com", ">"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com\"", {"\"", "mailto:foo-bar@baz-co.com", "\""}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com:", {"\"", "mailto:foo-bar@baz-co.com", ":"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com>", {"\"", "mailto:foo-bar@baz-co.com", ">"}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com\"", {">", "mailto:foo-bar@baz-co.com", "\""}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com:", {">", "mailto:foo-bar@baz-co.com", ":"}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com>", {">", "mailto:foo-bar@baz-co.com", ">"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com\"\"", {"mailto:foo-bar@baz-co.com", "\"", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com\":", {"mailto:foo-bar@baz-co.com", "\"", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com\">", {"mailto:foo-bar@baz-co.com", "\"", ">"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com:\"", {"mailto:foo-bar@baz-co.com", ":", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com::", {"mailto:foo-bar@baz-co.com", ":", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com:>", {"mailto:foo-bar@baz-co.com", ":>"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com>\"", {"mailto:foo-bar@baz-co.com", ">", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com>:", {"mailto:foo-bar@baz-co.com", ">", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com>>", {"mailto:foo-bar@baz-co.com", ">", ">"}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com?subject=hi", {"(", "mailto:foo-bar@baz-co.com?subject=hi"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com?subject=hi", {"\"", "mailto:foo-bar@baz-co.com?subject=hi"}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com?subject=hi", {">", "mailto:foo-bar@baz-co.com?subject=hi"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi\"", {"mailto:foo-bar@baz-co.com?subject=hi", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi:", {"mailto:foo-bar@baz-co.com?subject=hi", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi>", {"mailto:foo-bar@baz-co.com?subject=hi", ">"}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com?subject=hi\"", {"(", "mailto:foo-bar@baz-co.com?subject=hi", "\""}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com?subject=hi:", {"(", "mailto:foo-bar@baz-co.com?subject=hi", ":"}, {}},
    {"tokenizer/test_urls", "(mailto:foo-bar@baz-co.com?subject=hi>", {"(", "mailto:foo-bar@baz-co.com?subject=hi", ">"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com?subject=hi\"", {"\"", "mailto:foo-bar@baz-co.com?subject=hi", "\""}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com?subject=hi:", {"\"", "mailto:foo-bar@baz-co.com?subject=hi", ":"}, {}},
    {"tokenizer/test_urls", "\"mailto:foo-bar@baz-co.com?subject=hi>", {"\"", "mailto:foo-bar@baz-co.com?subject=hi", ">"}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com?subject=hi\"", {">", "mailto:foo-bar@baz-co.com?subject=hi", "\""}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com?subject=hi:", {">", "mailto:foo-bar@baz-co.com?subject=hi", ":"}, {}},
    {"tokenizer/test_urls", ">mailto:foo-bar@baz-co.com?subject=hi>", {">", "mailto:foo-bar@baz-co.com?subject=hi", ">"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi\"\"", {"mailto:foo-bar@baz-co.com?subject=hi", "\"", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi\":", {"mailto:foo-bar@baz-co.com?subject=hi", "\"", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi\">", {"mailto:foo-bar@baz-co.com?subject=hi", "\"", ">"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi:\"", {"mailto:foo-bar@baz-co.com?subject=hi", ":", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi::", {"mailto:foo-bar@baz-co.com?subject=hi", ":", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi:>", {"mailto:foo-bar@baz-co.com?subject=hi", ":>"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi>\"", {"mailto:foo-bar@baz-co.com?subject=hi", ">", "\""}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi>:", {"mailto:foo-bar@baz-co.com?subject=hi", ">", ":"}, {}},
    {"tokenizer/test_urls", "mailto:foo-bar@baz-co.com?subject=hi>>", {"mailto:foo-bar@baz-co.com?subject=hi", ">", ">"}, {}},
    {"tokenizer/test_urls", "(www.google.com?q=google", {"(", "www.google.com?q=google"}, {}},
    {"tokenizer/test_urls", "\"www.google.com?q=google", {"\"", "www.google.com?q=google"}, {}},
    {"tokenizer/test_urls", ">www.google.com?q=google", {">", "www.google.com?q=google"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google\"", {"www.google.com?q=google", "\""}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google:", {"www.google.com?q=google", ":"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google>", {"www.google.com?q=google", ">"}, {}},
    {"tokenizer/test_urls", "(www.google.com?q=google\"", {"(", "www.google.com?q=google", "\""}, {}},
    {"tokenizer/test_urls", "(www.google.com?q=google:", {"(", "www.google.com?q=google", ":"}, {}},
    {"tokenizer/test_urls", "(www.google.com?q=google>", {"(", "www.google.com?q=google", ">"}, {}},
    {"tokenizer/test_urls", "\"www.google.com?q=google\"", {"\"", "www.google.com?q=google", "\""}, {}},
    {"tokenizer/test_urls", "\"www.google.com?q=google:", {"\"", "www.google.com?q=google", ":"}, {}},
    {"tokenizer/test_urls", "\"www.google.com?q=google>", {"\"", "www.google.com?q=google", ">"}, {}},
    {"tokenizer/test_urls", ">www.google.com?q=google\"", {">", "www.google.com?q=google", "\""}, {}},
    {"tokenizer/test_urls", ">www.google.com?q=google:", {">", "www.google.com?q=google", ":"}, {}},
    {"tokenizer/test_urls", ">www.google.com?q=google>", {">", "www.google.com?q=google", ">"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google\"\"", {"www.google.com?q=google", "\"", "\""}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google\":", {"www.google.com?q=google", "\"", ":"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google\">", {"www.google.com?q=google", "\"", ">"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google:\"", {"www.google.com?q=google", ":", "\""}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google::", {"www.google.com?q=google", ":", ":"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google:>", {"www.google.com?q=google", ":>"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google>\"", {"www.google.com?q=google", ">", "\""}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google>:", {"www.google.com?q=google", ">", ":"}, {}},
    {"tokenizer/test_urls", "www.google.com?q=google>>", {"www.google.com?q=google", ">", ">"}, {}},
    {"tokenizer/test_urls", "(http://foo.com/blah_(wikipedia)#cite-1", {"(", "http://foo.com/blah_(wikipedia)#cite-1"}, {}},
    {"tokenizer/test_urls", "\"http://foo.com/blah_(wikipedia)#cite-1", {"\"", "http://foo.com/blah_(wikipedia)#cite-1"}, {}},
    {"tokenizer/test_urls", ">http://foo.com/blah_(wikipedia)#cite-1", {">", "http://foo.com/blah_(wikipedia)#cite-1"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1\"", {"http://foo.com/blah_(wikipedia)#cite-1", "\""}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1:", {"http://foo.com/blah_(wikipedia)#cite-1", ":"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1>", {"http://foo.com/blah_(wikipedia)#cite-1", ">"}, {}},
    {"tokenizer/test_urls", "(http://foo.com/blah_(wikipedia)#cite-1\"", {"(", "http://foo.com/blah_(wikipedia)#cite-1", "\""}, {}},
    {"tokenizer/test_urls", "(http://foo.com/blah_(wikipedia)#cite-1:", {"(", "http://foo.com/blah_(wikipedia)#cite-1", ":"}, {}},
    {"tokenizer/test_urls", "(http://foo.com/blah_(wikipedia)#cite-1>", {"(", "http://foo.com/blah_(wikipedia)#cite-1", ">"}, {}},
    {"tokenizer/test_urls", "\"http://foo.com/blah_(wikipedia)#cite-1\"", {"\"", "http://foo.com/blah_(wikipedia)#cite-1", "\""}, {}},
    {"tokenizer/test_urls", "\"http://foo.com/blah_(wikipedia)#cite-1:", {"\"", "http://foo.com/blah_(wikipedia)#cite-1", ":"}, {}},
    {"tokenizer/test_urls", "\"http://foo.com/blah_(wikipedia)#cite-1>", {"\"", "http://foo.com/blah_(wikipedia)#cite-1", ">"}, {}},
    {"tokenizer/test_urls", ">http://foo.com/blah_(wikipedia)#cite-1\"", {">", "http://foo.com/blah_(wikipedia)#cite-1", "\""}, {}},
    {"tokenizer/test_urls", ">http://foo.com/blah_(wikipedia)#cite-1:", {">", "http://foo.com/blah_(wikipedia)#cite-1", ":"}, {}},
    {"tokenizer/test_urls", ">http://foo.com/blah_(wikipedia)#cite-1>", {">", "http://foo.com/blah_(wikipedia)#cite-1", ">"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1\"\"", {"http://foo.com/blah_(wikipedia)#cite-1", "\"", "\""}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1\":", {"http://foo.com/blah_(wikipedia)#cite-1", "\"", ":"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1\">", {"http://foo.com/blah_(wikipedia)#cite-1", "\"", ">"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1:\"", {"http://foo.com/blah_(wikipedia)#cite-1", ":", "\""}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1::", {"http://foo.com/blah_(wikipedia)#cite-1", ":", ":"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1:>", {"http://foo.com/blah_(wikipedia)#cite-1", ":>"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1>\"", {"http://foo.com/blah_(wikipedia)#cite-1", ">", "\""}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1>:", {"http://foo.com/blah_(wikipedia)#cite-1", ">", ":"}, {}},
    {"tokenizer/test_urls", "http://foo.com/blah_(wikipedia)#cite-1>>", {"http://foo.com/blah_(wikipedia)#cite-1", ">", ">"}, {}},
  };
  return cases;
}

const char* const kUrlsShouldMatch[] = {
    "http://foo.com/blah_blah", "http://BlahBlah.com/Blah_Blah", "http://foo.com/blah_blah/",
    "http://www.example.com/wpstyle/?p=364", "https://www.example.com/foo/?bar=baz&inga=42&quux",
    "http://userid:password@example.com:8080", "http://userid:password@example.com:8080/",
    "http://userid@example.com", "http://userid@example.com/", "http://userid@example.com:8080",
    "http://userid@example.com:8080/", "http://userid:password@example.com",
    "http://userid:password@example.com/", "http://142.42.1.1/", "http://142.42.1.1:8080/",
    "http://foo.com/blah_(wikipedia)#cite-1", "http://foo.com/blah_(wikipedia)_blah#cite-1",
    "http://foo.com/unicode_(✪)_in_parens", "http://foo.com/(something)?after=parens",
    "http://code.google.com/events/#&product=browser", "http://j.mp", "ftp://foo.bar/baz",
    "http://foo.bar/?q=Test%20URL-encoded%20stuff",
    "http://-.~_!$&'()*+,;=:%40:80%2f::::::@example.com", "http://1337.net", "http://a.b-c.de",
    "http://223.255.255.254", "http://a.b--c.de/", "ssh://login@server.com:12345/repository.git",
    "svn+ssh://user@ssh.yourdomain.com/path", "http://foo.com/blah_blah_(wikipedia)",
    "http://foo.com/blah_blah_(wikipedia)_(again)", "http://www.foo.co.uk",
    "http://www.foo.co.uk/", "http://www.foo.co.uk/blah/blah", "http://⌘.ws", "http://⌘.ws/",
    "http://☺.damowmow.com/", "http://✪df.ws/123", "http://➡.ws/䨹", "http://مثال.إختبار",
    "http://例子.测试", "http://उदाहरण.परीक्षा",
};
const char* const kUrlsShouldNotMatch[] = {
    "http://", "http://.", "http://..", "http://../", "http://?", "http://??", "http://?\?/",
    "http://#", "http://##", "http://##/", "http://foo.bar?q=Spaces should be encoded", "//",
    "//a", "///a", "///", "http:///a", "rdar://1234", "h://test", "http:// shouldfail.com",
    ":// should fail", "http://foo.bar/foo(bar)baz quux", "http://-error-.invalid/",
    "http://a.b-.co", "http://0.0.0.0", "http://10.1.1.0", "http://10.1.1.255",
    "http://224.1.1.1", "http://123.123.123", "http://3628126748", "http://.www.foo.bar/",
    "http://.www.foo.bar./", "http://10.1.1.1", "NASDAQ:GOOG", "http://-a.b.co",
    "http://1.1.1.1.1", "http://www.foo.bar./",
};

TEST(RuleTokenizer, MatchesSpacyEnglishTestCases) {
  ASSERT_GE(spacy_cases().size(), 150u);
  size_t passed = 0;
  for (const Case& c : spacy_cases()) {
    const std::string text = c.text;
    const auto toks = english().tokenize(text);
    const auto got = texts(text, toks);
    EXPECT_EQ(got, c.tokens) << c.source << ": \"" << text << "\"";
    EXPECT_EQ(rebuild(text, toks), text) << c.source << ": \"" << text << "\"";
    bool ok = got == c.tokens;
    if (!c.norms.empty() && got.size() == c.norms.size()) {
      for (size_t i = 0; i < toks.size(); ++i) {
        EXPECT_EQ(toks[i].norm, c.norms[i]) << c.source << ": \"" << text << "\" token " << i;
        ok = ok && toks[i].norm == c.norms[i];
      }
    }
    passed += ok;
  }
  std::cout << "[ spaCy cases ] " << passed << "/" << spacy_cases().size() << " pass\n";
}

TEST(RuleTokenizer, SplitsContractionsWithNorms) {
  const std::string text = "I don't know";
  const auto toks = english().tokenize(text);
  ASSERT_EQ(texts(text, toks), (std::vector<std::string>{"I", "do", "n't", "know"}));
  EXPECT_EQ(toks[1].norm, "do");
  EXPECT_EQ(toks[2].norm, "not");
  EXPECT_EQ(toks[0].norm, "");
  EXPECT_TRUE(toks[0].space_after);
  EXPECT_FALSE(toks[1].space_after);
  EXPECT_TRUE(toks[2].space_after);
  EXPECT_FALSE(toks[3].space_after);
}

// spacy/tests/lang/en/test_exceptions.py: token.norm_ is the exception's NORM, else the lowercase.
TEST(RuleTokenizer, NormExceptionsMatchSpacy) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"I'm", {"i", "am"}},
      {"shan't", {"shall", "not"}},
      {"Many factors cause cancer 'cause it is complex",
       {"many", "factors", "cause", "cancer", "because", "it", "is", "complex"}},
      {"Jan.", {"January"}},
      {"'cuz", {"because"}},
  };
  for (const auto& [text, norms] : cases) {
    const auto toks = english().tokenize(text);
    std::vector<std::string> got;
    for (const auto& t : toks) {
      got.push_back(t.norm.empty()
                        ? trfpipe::tokenization::lex::lower(text.substr(t.start, t.end - t.start))
                        : t.norm);
    }
    EXPECT_EQ(got, norms) << text;
  }
}

TEST(RuleTokenizer, WhitespaceBecomesTokensAsInSpacy) {
  EXPECT_EQ(words(english(), "a  b"), (std::vector<std::string>{"a", " ", "b"}));
  EXPECT_EQ(words(english(), "  a"), (std::vector<std::string>{"  ", "a"}));
  EXPECT_EQ(words(english(), " a"), (std::vector<std::string>{" ", "a"}));
  EXPECT_EQ(words(english(), "a\n\nb"), (std::vector<std::string>{"a", "\n\n", "b"}));
  EXPECT_EQ(words(english(), "a \n b"), (std::vector<std::string>{"a", "\n ", "b"}));
  EXPECT_EQ(words(english(), "a\tb "), (std::vector<std::string>{"a", "\t", "b"}));
  EXPECT_EQ(words(english(), " "), (std::vector<std::string>{" "}));
  EXPECT_TRUE(english().tokenize("").empty());
  const auto t = english().tokenize("a ");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].space_after);
  // A no-break space is whitespace to spaCy, and its own special case (NORM "  ").
  const std::string nbsp = "a \u00a0b";
  const auto n = english().tokenize(nbsp);
  ASSERT_EQ(texts(nbsp, n), (std::vector<std::string>{"a", "\u00a0", "b"}));
  EXPECT_EQ(n[1].norm, "  ");
}

TEST(RuleTokenizer, OffsetsAreUtf8Bytes) {
  const std::string text = "Café – “naïve” 😀!";
  const auto toks = english().tokenize(text);
  EXPECT_EQ(texts(text, toks),
            (std::vector<std::string>{"Café", "–", "“", "naïve", "”", "😀", "!"}));
  EXPECT_EQ(toks[0].start, 0u);
  EXPECT_EQ(toks[0].end, 5u);  // "é" is two bytes
  EXPECT_EQ(rebuild(text, toks), text);
}

TEST(RuleTokenizer, AffixedSpecialCasesAreMatchedAfterSplitting) {
  // ":)" is a special case containing affixes: spaCy's final pass re-joins it.
  EXPECT_EQ(words(english(), "Hello:)"), (std::vector<std::string>{"Hello", ":)"}));
  EXPECT_EQ(words(english(), "(e.g."), (std::vector<std::string>{"(", "e.g."}));
  EXPECT_EQ(words(english(), "x:)"), (std::vector<std::string>{"x", ":)"}));
  // ":-))" is not re-joined here: its own affix split (":", "-", ")", ")") never occurs.
  EXPECT_EQ(words(english(), "x:-))"), (std::vector<std::string>{"x:-", ")", ")"}));
}

TEST(RuleTokenizer, CustomInfixRulesFollowSpacyIssue1494) {
  TokenizerRules r;
  r.infixes = {"[^a-z]"};
  const RuleTokenizer tok(r);
  EXPECT_EQ(words(tok, "token 123test"),
            (std::vector<std::string>{"token", "1", "2", "3", "test"}));
  EXPECT_EQ(words(tok, "token 1test"), (std::vector<std::string>{"token", "1test"}));
  EXPECT_EQ(words(tok, "hello...test"),
            (std::vector<std::string>{"hello", ".", ".", ".", "test"}));
}

TEST(RuleTokenizer, AddedSpecialCaseWinsOverAffixesFollowingSpacyIssue1061) {
  const std::string text =
      "I like _MATH_ even _MATH_ when _MATH_, except when _MATH_ is _MATH_! but not _MATH_.";
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  const auto plain = words(english(), text);
  EXPECT_TRUE(has(plain, "MATH"));
  EXPECT_FALSE(has(plain, "_MATH_"));
  TokenizerRules r = RuleTokenizer::english_rules();
  r.special_cases["_MATH_"] = {{"_MATH_", ""}};
  const RuleTokenizer tok(r);
  const auto special = words(tok, text);
  EXPECT_TRUE(has(special, "_MATH_"));
  EXPECT_FALSE(has(special, "MATH"));
}

TEST(RuleTokenizer, TokenMatchKeepsWholeChunk) {
  TokenizerRules r = RuleTokenizer::english_rules();
  r.token_match = "^[A-Z]+-[0-9]+$";
  const RuleTokenizer tok(r);
  EXPECT_EQ(words(tok, "(see ABC-123)"), (std::vector<std::string>{"(", "see", "ABC-123", ")"}));
  // Like Python's re.match, token_match is anchored at the start only: unanchored at the end it
  // also keeps the ")" (spaCy behaves the same).
  r.token_match = "[A-Z]+-[0-9]+";
  const RuleTokenizer loose(r);
  EXPECT_EQ(words(loose, "(see ABC-123)"), (std::vector<std::string>{"(", "see", "ABC-123)"}));
  EXPECT_EQ(words(english(), "ABC-123"), (std::vector<std::string>{"ABC-123"}));
  EXPECT_EQ(words(english(), "abc-def"), (std::vector<std::string>{"abc", "-", "def"}));
}

TEST(RuleTokenizer, UrlMatchFollowsSpacyUrlTests) {
  const std::string p = trfpipe::tokenization::english_url_pattern();
  UParseError pe{};
  UErrorCode st = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexPattern> re(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(p), 0, pe, st));
  ASSERT_TRUE(U_SUCCESS(st)) << u_errorName(st);
  auto match = [&](const char* s) {
    UErrorCode e = U_ZERO_ERROR;
    const icu::UnicodeString u = icu::UnicodeString::fromUTF8(s);
    std::unique_ptr<icu::RegexMatcher> m(re->matcher(u, e));
    return m->lookingAt(e);
  };
  for (const char* u : kUrlsShouldMatch) EXPECT_TRUE(match(u)) << u;
  for (const char* u : kUrlsShouldNotMatch) EXPECT_FALSE(match(u)) << u;
}

TEST(RuleTokenizer, RebuildsEveryGoldenText) {
  std::ifstream in(TRFPIPE_SHARED_DIR "/data/golden/tokenization/texts.jsonl");
  ASSERT_TRUE(in) << "missing texts.jsonl";
  std::string line;
  size_t n = 0;
  size_t tokens = 0;
  while (std::getline(in, line)) {
    const std::string text = nlohmann::json::parse(line).at("text").get<std::string>();
    const auto toks = english().tokenize(text);
    size_t prev_end = 0;
    for (const auto& t : toks) {
      ASSERT_LT(t.start, t.end) << "empty token in text " << n;
      ASSERT_GE(t.start, prev_end) << "overlapping tokens in text " << n;
      prev_end = t.end;
    }
    ASSERT_EQ(rebuild(text, toks), text) << "text " << n;
    tokens += toks.size();
    ++n;
  }
  EXPECT_EQ(n, 3658u);
  EXPECT_GT(tokens, n);
}

TEST(RuleTokenizer, LongPunctuationRunsSplitLikeSpacy) {
  // Long chunks take the windowed suffix search; results are those of the full search.
  const std::string parens = "x" + std::string(5000, ')');
  const auto a = words(english(), parens);
  ASSERT_EQ(a.size(), 5001u);
  EXPECT_EQ(a.front(), "x");
  EXPECT_EQ(a.back(), ")");
  const std::string dots = std::string(2000, 'a') + std::string(1500, '.') + "))";
  EXPECT_EQ(words(english(), dots),
            (std::vector<std::string>{std::string(2000, 'a'), std::string(1500, '.'), ")", ")"}));
  const std::string open = std::string(3000, '(') + "ok";
  const auto b = words(english(), open);
  ASSERT_EQ(b.size(), 3001u);
  EXPECT_EQ(b.back(), "ok");
  const std::string units = std::string(1500, '5') + "km";
  EXPECT_EQ(words(english(), units), (std::vector<std::string>{std::string(1500, '5'), "km"}));
}

TEST(RuleTokenizer, InvalidUtf8ThrowsValueErrorNamingTheOffset) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {std::string("ab\xC3", 3), "byte 2"},                  // truncated sequence
      {std::string("a\xE2\x82x", 4), "byte 1"},              // truncated inside the text
      {std::string("x\xC0\xAF", 3), "byte 1"},               // overlong '/'
      {std::string("xy\xE0\x80\xAF", 5), "byte 2"},          // overlong 3-byte
      {std::string("\x80" "abc", 4), "byte 0"},              // lone continuation byte
      {std::string("ok \xED\xA0\x80", 6), "byte 3"},         // encoded surrogate U+D800
      {std::string("\xF4\x90\x80\x80", 4), "byte 0"},        // past U+10FFFF
      {std::string("\xFF", 1), "byte 0"},                    // never valid
  };
  for (const auto& [text, where] : bad) {
    try {
      english().tokenize(text);
      ADD_FAILURE() << "no error for a bad sequence expected at " << where;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(where), std::string::npos) << e.what();
    }
  }
}

TEST(RuleTokenizer, JsonRoundTripKeepsBehaviour) {
  const auto j = english().to_json();
  ASSERT_TRUE(j.contains("special_cases"));
  EXPECT_EQ(j["special_cases"]["don't"], nlohmann::ordered_json::parse(R"([["do","do"],["n't","not"]])"));
  const RuleTokenizer back = RuleTokenizer::from_json(nlohmann::ordered_json::parse(j.dump()));
  EXPECT_EQ(back.to_json(), j);
  const std::string text = "I can't (U.S.) go to http://example.com/x?y=1, e.g. 10km:)";
  EXPECT_EQ(words(back, text), words(english(), text));
}

TEST(RuleTokenizer, FromJsonRejectsMalformedInput) {
  using J = nlohmann::ordered_json;
  auto rejects = [](const J& j, const std::string& part) {
    try {
      RuleTokenizer::from_json(j);
      ADD_FAILURE() << "accepted " << j.dump();
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  J ok = english().to_json();
  rejects(J::array(), "object");
  J a = ok;
  a.erase("prefixes");
  rejects(a, "prefixes");
  J b = ok;
  b["suffixes"] = "x";
  rejects(b, "suffixes");
  J c = ok;
  c["special_cases"]["x"] = "y";
  rejects(c, "'x'");
  J d = ok;
  d["url_match"] = 3;
  rejects(d, "url_match");
  J e = ok;
  e.erase("special_cases");
  rejects(e, "special_cases");
}

TEST(RuleTokenizer, ConstructorRejectsBadRules) {
  TokenizerRules bad_regex;
  bad_regex.infixes = {"(unclosed"};
  EXPECT_THROW(RuleTokenizer{bad_regex}, ValueError);
  TokenizerRules bad_special;
  bad_special.special_cases["can't"] = {{"ca", ""}, {"nt", ""}};
  EXPECT_THROW(RuleTokenizer{bad_special}, ValueError);
  TokenizerRules empty_piece;
  empty_piece.special_cases["ab"] = {{"ab", ""}, {"", ""}};
  EXPECT_THROW(RuleTokenizer{empty_piece}, ValueError);
}

TEST(RuleTokenizer, MovedFromTokenizerThrowsInsteadOfCrashing) {
  RuleTokenizer a = RuleTokenizer::english();
  RuleTokenizer b = std::move(a);
  EXPECT_EQ(words(b, "don't"), (std::vector<std::string>{"do", "n't"}));
  EXPECT_THROW(a.tokenize("x"), trfpipe::Error);  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(a.to_json(), trfpipe::Error);      // NOLINT(bugprone-use-after-move)
}

TEST(RuleTokenizer, IsThreadSafe) {
  const std::string text = "Mr. Smith's dog (U.S.) doesn't bark at 3pm... well-known :) ";
  const auto expected = words(english(), text);
  const RuleTokenizer tok = RuleTokenizer::english();  // fresh cache, filled concurrently
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 200; ++i) {
        const std::string s = text + std::to_string(i * 4 + t) + "km";
        auto w = words(tok, s);
        w.pop_back();
        w.pop_back();
        good += w == expected;
      }
      ok[t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 200);
}

// A speed print (no timing assertion): words/s on the State of the Union corpus, in process CPU
// time (the build machines are shared, so wall time says little).
TEST(RuleTokenizer, SpeedOnSotu) {
  std::ifstream in(TRFPIPE_SHARED_DIR "/data/text/sotu.jsonl");
  ASSERT_TRUE(in);
  std::vector<std::string> docs;
  std::string line;
  while (std::getline(in, line)) docs.push_back(nlohmann::json::parse(line).at("text"));
  ASSERT_FALSE(docs.empty());
  size_t n_words = 0;
  for (const auto& d : docs) {
    bool in_word = false;
    for (char c : d) {
      const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
      n_words += !space && !in_word;
      in_word = !space;
    }
  }
  const std::clock_t c0 = std::clock();
  const RuleTokenizer tok = RuleTokenizer::english();
  const std::clock_t c1 = std::clock();
  size_t n_tokens = 0;
  for (const auto& d : docs) n_tokens += tok.tokenize(d).size();
  const std::clock_t c2 = std::clock();
  for (const auto& d : docs) tok.tokenize(d);
  const std::clock_t c3 = std::clock();
  auto secs = [](std::clock_t a, std::clock_t b) { return double(b - a) / CLOCKS_PER_SEC; };
  EXPECT_GT(n_tokens, n_words);
  std::cout << "[ speed ] sotu: " << n_words << " words, " << n_tokens << " tokens; construction "
            << secs(c0, c1) << " s; cold cache " << secs(c1, c2) << " s ("
            << n_words / secs(c1, c2) << " words/s), warm cache " << secs(c2, c3) << " s ("
            << n_words / secs(c2, c3) << " words/s), CPU time\n";
}

}  // namespace
