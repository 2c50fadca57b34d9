// The language table: en and xx built in, languages registered at run time (as a plugin does),
// E048 for unknown codes listing the known ones, bad rules refused when registered.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/languages.hpp"

using namespace trfpipe;

namespace {

std::vector<std::string> words(const Language& nlp, const std::string& text) {
  Doc doc = nlp.make_doc(text);
  std::vector<std::string> out;
  for (size_t i = 0; i < doc.size(); ++i) out.emplace_back(doc.token(i).text());
  return out;
}

using Words = std::vector<std::string>;

TEST(Languages, EnglishAndMultiLanguageAreBuiltIn) {
  EXPECT_TRUE(has_language("en"));
  EXPECT_TRUE(has_language("xx"));
  Language xx("xx");
  EXPECT_EQ(xx.lang(), "xx");
  // Shared prefixes/suffixes and base exceptions, no English exceptions or digit-hyphen infix.
  EXPECT_EQ(words(xx, "(Don't) 3-fold :-) U.S. e-mail."),
            (Words{"(", "Don't", ")", "3-fold", ":-)", "U.S.", "e", "-", "mail", "."}));
  EXPECT_EQ(words(Language("en"), "(Don't) 3-fold"),
            (Words{"(", "Do", "n't", ")", "3", "-", "fold"}));
}

TEST(Languages, UnknownLanguageNamesItAndListsTheKnownOnes) {
  try {
    Language nlp("qq");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Can't find language 'qq'"), std::string::npos) << what;
    EXPECT_NE(what.find("en, xx"), std::string::npos) << what;
  }
}

TEST(Languages, RegisteredLanguageGetsItsRulesOverTheSharedOnes) {
  LanguageDefaults d;
  d.code = "t1";
  d.tokenizer_exceptions = {{"usw.", {{"usw", "und so weiter"}, {".", ""}}}};
  d.suffixes = std::vector<std::string>{"!$"};
  register_language(d);
  ASSERT_TRUE(has_language("t1"));
  Language nlp("t1");
  EXPECT_EQ(words(nlp, "ja usw. nein! :)"), (Words{"ja", "usw", ".", "nein", "!", ":)"}));
  Doc doc = nlp.make_doc("usw.");
  EXPECT_EQ(doc.token(0).norm_(), "und so weiter");
  // Without a special case "usw." is one token: "!" is the only suffix of these rules.
  d.code = "t2";
  d.base_exceptions = false;
  d.tokenizer_exceptions.clear();
  register_language(d);
  EXPECT_EQ(words(Language("t2"), "usw. ja"), (Words{"usw.", "ja"}));
}

TEST(Languages, BadRulesAreRefusedWhenRegistered) {
  LanguageDefaults d;
  d.code = "t3";
  d.infixes = std::vector<std::string>{"(unclosed"};
  EXPECT_THROW(register_language(d), ValueError);
  EXPECT_FALSE(has_language("t3"));
  d.infixes.reset();
  d.tokenizer_exceptions = {{"ab", {{"a", ""}, {"c", ""}}}};  // pieces do not make "ab"
  EXPECT_THROW(register_language(d), ValueError);
  d.code = "";
  d.tokenizer_exceptions.clear();
  EXPECT_THROW(register_language(d), ValueError);
}

}  // namespace
