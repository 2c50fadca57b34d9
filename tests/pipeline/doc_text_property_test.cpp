// Property: for every text in the shared golden set, the Doc that Language::make_doc builds keeps
// the input exactly (Doc.text == input), and its tokens' byte and character offsets slice it.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "trfpipe/language.hpp"

using namespace trfpipe;

namespace {

size_t count_chars(const std::string& s, size_t from, size_t to) {
  size_t n = 0;
  for (size_t i = from; i < to; ++i) n += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  return n;
}

}  // namespace

TEST(DocTextProperty, MakeDocKeepsEveryGoldenTextExactly) {
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/golden/tokenization/texts.jsonl");
  ASSERT_TRUE(in) << "texts.jsonl not found";
  auto nlp = Language::blank("en");
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    const std::string text = nlohmann::json::parse(line).at("text").get<std::string>();
    Doc doc = nlp->make_doc(text);
    ASSERT_EQ(doc.text(), text) << "text #" << n;
    std::string rebuilt;
    for (size_t i = 0; i < doc.size(); ++i) {
      Token t = doc[i];
      ASSERT_FALSE(t.text().empty()) << "text #" << n << " token " << i;
      ASSERT_EQ(text.substr(t.idx_bytes(), t.text().size()), t.text()) << "text #" << n;
      ASSERT_EQ(t.idx(), count_chars(text, 0, t.idx_bytes())) << "text #" << n << " token " << i;
      rebuilt += t.text_with_ws();
    }
    ASSERT_EQ(rebuilt, text) << "text #" << n;
    ++n;
  }
  EXPECT_EQ(n, 3658u);
}
