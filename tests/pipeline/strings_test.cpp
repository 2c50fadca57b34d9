#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "pipeline/symbols.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/strings.hpp"
#include "trfpipe/vocab.hpp"

using namespace trfpipe;

TEST(StringStore, HashesMatchKnownSpacyValues) {
  // Values printed by spaCy (nlp.vocab.strings[...]) in its documentation and course material.
  EXPECT_EQ(string_id("coffee"), 3197928453018144401ULL);
  EXPECT_EQ(string_id("咖啡"), 7962530705879205333ULL);
  EXPECT_EQ(string_id("猫"), 12262475268243743508ULL);
  StringStore s;
  EXPECT_EQ(s["coffee"], 3197928453018144401ULL);
}

TEST(StringStore, HashIsMurmurHash64ASeedOne) {
  // Every tail length (0..7 bytes past a multiple of 8) goes through the same function.
  std::string text = "abcdefghijklmnopq";
  for (size_t n = 1; n <= text.size(); ++n) {
    std::string s = text.substr(0, n);
    EXPECT_EQ(string_id(s), murmurhash64a(s.data(), s.size(), 1)) << s;
  }
  EXPECT_NE(murmurhash64a("coffee", 6, 1), murmurhash64a("coffee", 6, 2));
  EXPECT_NE(string_id("coffee"), string_id("Coffee"));
}

TEST(StringStore, SymbolTableEqualsSpacySymbolsJson) {
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/reference/spacy-symbols.json");
  ASSERT_TRUE(in) << "spacy-symbols.json missing";
  nlohmann::json ref = nlohmann::json::parse(in);
  const auto& table = pipeline::symbol_table();
  ASSERT_EQ(table.size(), ref.size());
  std::set<std::string> seen;
  for (const auto& [name, id] : table) {
    ASSERT_TRUE(ref.contains(name)) << name;
    EXPECT_EQ(ref[name].get<uint64_t>(), id) << name;
    EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
  }
  for (auto it = ref.begin(); it != ref.end(); ++it) {
    EXPECT_EQ(string_id(it.key()), it.value().get<uint64_t>()) << it.key();
    EXPECT_EQ(symbol_id(it.key()), it.value().get<uint64_t>()) << it.key();
  }
}

TEST(StringStore, SymbolsAndEmptyStringAreReserved) {
  StringStore s;
  EXPECT_EQ(s.add(""), 0u);
  EXPECT_EQ(s.add("NOUN"), symbol_id("NOUN"));
  EXPECT_LT(symbol_id("NOUN"), 1000u);
  EXPECT_EQ(s.size(), 0u);  // neither is stored
  EXPECT_EQ(s[symbol_id("NOUN")], "NOUN");
  EXPECT_EQ(s[hash_t(0)], "");
  EXPECT_TRUE(s.contains(std::string_view("PERSON")));
  EXPECT_TRUE(s.contains(hash_t(0)));
  EXPECT_EQ(symbol_id("coffee"), 0u);
}

TEST(StringStore, AddLookupAndSorted) {
  StringStore s;
  hash_t id = s.add("zebra");
  s.add("apple");
  s.add("apple");
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s[id], "zebra");
  EXPECT_TRUE(s.contains(std::string_view("apple")));
  EXPECT_FALSE(s.contains(std::string_view("pear")));
  EXPECT_FALSE(s.contains(string_id("pear")));
  EXPECT_EQ(s.sorted(), (std::vector<std::string>{"apple", "zebra"}));
}

TEST(StringStore, UnknownHashIsValueError) {
  StringStore s;
  EXPECT_THROW(s[string_id("never added")], ValueError);
}

TEST(Vocab, LexemeNormDefaultsToLower) {
  Vocab v("en");
  const Lexeme& lex = v.get("Coffee");
  EXPECT_EQ(lex.orth, string_id("Coffee"));
  EXPECT_EQ(v.strings()[lex.lower], "coffee");
  EXPECT_EQ(lex.norm, lex.lower);
  EXPECT_TRUE(lex.has(IS_ALPHA));
  EXPECT_FALSE(lex.has(IS_PUNCT));
  EXPECT_TRUE(v.get("!").has(IS_PUNCT));
  EXPECT_EQ(v.find(string_id("Coffee")), &lex);
  EXPECT_EQ(v.find(string_id("absent")), nullptr);
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.lang(), "en");
}
