// The language table: en, de and xx built in, languages registered at run time (as a plugin does),
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

// spaCy's German (spacy/lang/de), checked against the cases of spacy/tests/lang/de.
TEST(Languages, GermanTokenizesAsSpacysGerman) {
  ASSERT_TRUE(has_language("de"));
  Language de("de");
  // test_exceptions.py: contractions split, abbreviations kept whole.
  for (const char* text : {"auf'm", "du's", "über'm", "wir's"})
    EXPECT_EQ(words(de, text).size(), 2u) << text;
  for (const char* text : {"z.B.", "d.h.", "Jan.", "Dez.", "Chr."})
    EXPECT_EQ(words(de, text), Words{text});
  EXPECT_EQ(words(de, "Ich bin z.Zt. im Urlaub."),
            (Words{"Ich", "bin", "z.Zt.", "im", "Urlaub", "."}));
  EXPECT_EQ(de.make_doc("auf'm").token(1).norm_(), "dem");
  EXPECT_EQ(de.make_doc("bzw.").token(0).norm_(), "beziehungsweise");
  // test_prefix_suffix_infix.py
  EXPECT_EQ(words(de, "(unter'm?)"), (Words{"(", "unter", "'m", "?", ")"}));
  EXPECT_EQ(words(de, "zb.").size(), 2u);
  EXPECT_EQ(words(de, "(z.B.?)"), (Words{"(", "z.B.", "?", ")"}));
  EXPECT_EQ(words(de, "0.1-13.5"), (Words{"0.1", "-", "13.5"}));
  EXPECT_EQ(words(de, "blau.Rot"), (Words{"blau", ".", "Rot"}));
  EXPECT_EQ(words(de, "Hallo,Welt"), (Words{"Hallo", ",", "Welt"}));
  EXPECT_EQ(words(de, "blau...rot"), (Words{"blau", "...", "rot"}));
  EXPECT_EQ(words(de, "Ost-West-Konflikt"), Words{"Ost-West-Konflikt"});
  EXPECT_EQ(words(de, "Viele Regeln--wie die Bindestrich-Regeln--sind kompliziert."),
            (Words{"Viele", "Regeln", "--", "wie", "die", "Bindestrich-Regeln", "--", "sind",
                   "kompliziert", "."}));
  // test_text.py
  EXPECT_EQ(words(de, "»Was ist mit mir geschehen?«, dachte er.").size(), 12u);
  EXPECT_EQ(
      words(de, "“Dies frühzeitige Aufstehen”, dachte er, “macht einen ganz blödsinnig. ").size(),
      15u);
  const std::string kafka =
      "Die Verwandlung\n\nAls Gregor Samsa eines Morgens aus unruhigen Träumen erwachte, fand "
      "er sich in\nseinem Bett zu einem ungeheueren Ungeziefer verwandelt.\n\nEr lag auf seinem "
      "panzerartig harten Rücken und sah, wenn er den Kopf ein wenig\nhob, seinen gewölbten, "
      "braunen, von bogenförmigen Versteifungen geteilten\nBauch, auf dessen Höhe sich die "
      "Bettdecke, zum gänzlichen Niedergleiten bereit,\nkaum noch erhalten konnte. Seine "
      "vielen, im Vergleich zu seinem sonstigen\nUmfang kläglich dünnen Beine flimmerten ihm "
      "hilflos vor den Augen.\n\n»Was ist mit mir geschehen?«, dachte er.";
  EXPECT_EQ(words(de, kafka).size(), 109u);
  // English splits what German keeps ("don't" is no German exception; hyphens stay in words).
  EXPECT_EQ(words(de, "don't"), Words{"don't"});
  // German stop words (spacy/lang/de/stop_words.py), not English ones.
  Doc doc = de.make_doc("Und the Haus ist aber groß");
  EXPECT_TRUE(doc.token(0).is_stop());   // und
  EXPECT_FALSE(doc.token(1).is_stop());  // the: English only
  EXPECT_FALSE(doc.token(2).is_stop());
  EXPECT_TRUE(doc.token(3).is_stop());   // ist
  EXPECT_TRUE(doc.token(4).is_stop());   // aber
  EXPECT_TRUE(Language("en").make_doc("the").token(0).is_stop());
}

TEST(Languages, UnknownLanguageNamesItAndListsTheKnownOnes) {
  try {
    Language nlp("qq");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Can't find language 'qq'"), std::string::npos) << what;
    EXPECT_NE(what.find("de, en, xx"), std::string::npos) << what;
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
