// Shared helpers of the matcher tests: a vocab, Docs from space-separated words (spaCy's
// `Doc(vocab, words=text.split())`), and match texts/locations for assertions.
#pragma once
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "trfpipe/doc.hpp"
#include "trfpipe/matcher.hpp"

namespace trfpipe::testing {

using Json = nlohmann::ordered_json;
using Locs = std::vector<std::pair<size_t, size_t>>;

inline std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

inline Doc make_doc(const std::shared_ptr<Vocab>& vocab, const std::string& text) {
  return Doc(vocab, split_words(text));
}

inline Locs locs(const std::vector<Match>& matches) {
  Locs out;
  for (const Match& m : matches) out.emplace_back(m.start, m.end);
  return out;
}

inline std::vector<std::string> texts(const Doc& doc, const std::vector<Match>& matches,
                                      size_t offset = 0) {
  std::vector<std::string> out;
  for (const Match& m : matches)
    out.emplace_back(const_cast<Doc&>(doc).span(offset + m.start, offset + m.end).text());
  return out;
}

inline std::vector<std::string> keys(const Vocab& vocab, const std::vector<Match>& matches) {
  std::vector<std::string> out;
  for (const Match& m : matches) out.push_back(vocab.strings()[m.id]);
  return out;
}

// spaCy's annotation-check docs: "Test" with only a DEP, with TAG/POS/MORPH/LEMMA, with none.
struct AnnotatedDocs {
  Doc dep, tagged, bare;
  explicit AnnotatedDocs(const std::shared_ptr<Vocab>& vocab)
      : dep(vocab, {"Test"}), tagged(vocab, {"Test"}), bare(vocab, {"Test"}) {
    dep[0].set_dep("ROOT");
    tagged[0].set_tag("TAG");
    tagged[0].set_pos("X");
    tagged[0].set_morph("Feat=Val");
    tagged[0].set_lemma("LEMMA");
  }
};

class MatcherTestBase : public ::testing::Test {
 protected:
  std::shared_ptr<Vocab> vocab = std::make_shared<Vocab>("en");
  Doc doc(const std::string& text) { return make_doc(vocab, text); }
  Doc doc(const std::vector<std::string>& words) { return Doc(vocab, words); }
};

}  // namespace trfpipe::testing
