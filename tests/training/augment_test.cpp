// spaCy's augmenters (spacy/training/augment.py): lower case, orth variants, whitespace tokens,
// their registry entries and argument errors, determinism under the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "training/augment.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/registry.hpp"
#include "trfpipe/trfpipe.hpp"
#include "trfpipe/training.hpp"

namespace trfpipe {
namespace {

using Words = std::vector<std::string>;

// "Dr. Ann Lee said “ hi ” ." with tags, a parse (said is the root), Ann Lee as PERSON.
Example annotated(Language& nlp) {
  const Words words{"Dr.", "Ann", "Lee", "said", "\u201c", "hi", "\u201d", "."};
  const Words tags{"NNP", "NNP", "NNP", "VBD", "``", "UH", "''", "."};
  auto ref = std::make_shared<Doc>(nlp.vocab_ptr(), words,
                                   std::vector<bool>{true, true, true, true, true, true, true, false});
  for (size_t i = 0; i < words.size(); ++i) (*ref)[i].set_tag(tags[i]);
  std::vector<std::optional<size_t>> heads{2, 2, 3, 3, 5, 3, 5, 3};
  ref->set_parse(heads, {"compound", "compound", "nsubj", "ROOT", "punct", "intj", "punct", "punct"});
  ref->set_ents({ref->span(1, 3, "PERSON")});
  ref->cats()["POS"] = 1.0;
  auto predicted = std::make_shared<Doc>(nlp.make_doc(ref->text()));
  return Example(predicted, ref);
}

Words words_of(const Doc& doc) {
  Words out;
  for (size_t i = 0; i < doc.size(); ++i) out.emplace_back(doc.token(i).text());
  return out;
}

Json orth_variants() {
  return Json::parse(R"({"single": [{"tags": ["."], "variants": [".", "!", "?"]}],
                         "paired": [{"tags": ["``", "''"], "variants": [["\u201c", "\u201d"], ["'", "'"], ["\"", "\""]]}]})");
}

class Augment : public ::testing::Test {
 protected:
  void SetUp() override {
    register_all();
    nlp_ = Language::blank("en");
  }
  std::unique_ptr<Language> nlp_;
};

TEST_F(Augment, LowercaseKeepsEveryAnnotation) {
  Example eg = annotated(*nlp_);
  Example low = make_lowercase_variant(*nlp_, eg);
  Doc& ref = low.reference();
  EXPECT_EQ(words_of(ref), (Words{"dr.", "ann", "lee", "said", "\u201c", "hi", "\u201d", "."}));
  EXPECT_EQ(low.predicted().text(), "dr. ann lee said \u201c hi \u201d .");
  EXPECT_EQ(ref.token(2).tag_(), "NNP");
  EXPECT_EQ(ref.token(2).head().i(), 3u);
  EXPECT_EQ(ref.token(2).dep_(), "nsubj");
  ASSERT_EQ(ref.ents().size(), 1u);
  EXPECT_EQ(ref.ents()[0].text(), "ann lee");
  EXPECT_EQ(ref.cats().at("POS"), 1.0);
  EXPECT_EQ(words_of(eg.reference())[0], "Dr.");  // the input example is unchanged
}

TEST_F(Augment, OrthVariantsReplaceByTagAndKeepPairsTogether) {
  Example eg = annotated(*nlp_);
  const Words orig = words_of(eg.reference());
  std::set<std::string> ends, opens;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    reseed_augmenters(seed);
    const Words w = words_of(make_orth_variant(*nlp_, eg, orth_variants(), false).reference());
    ASSERT_EQ(w.size(), orig.size());
    for (size_t i : {0, 1, 2, 3, 5}) EXPECT_EQ(w[i], orig[i]);  // tags not in any entry
    ends.insert(w[7]);
    opens.insert(w[4]);
    // ``/'' tags pick the left and right of the same pair.
    const std::vector<std::pair<std::string, std::string>> pairs{
        {"\u201c", "\u201d"}, {"'", "'"}, {"\"", "\""}};
    EXPECT_NE(std::find(pairs.begin(), pairs.end(), std::make_pair(w[4], w[6])), pairs.end())
        << w[4] << " " << w[6];
  }
  EXPECT_EQ(ends, (std::set<std::string>{".", "!", "?"}));
  EXPECT_EQ(opens.size(), 3u);
  // Deterministic under the seed; `lower` lowercases too.
  reseed_augmenters(7);
  const Words a = words_of(make_orth_variant(*nlp_, eg, orth_variants(), true).reference());
  reseed_augmenters(7);
  const Words b = words_of(make_orth_variant(*nlp_, eg, orth_variants(), true).reference());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a[0], "dr.");
}

TEST_F(Augment, WhitespaceTokenFollowsSpacysAttachmentPolicy) {
  Example eg = annotated(*nlp_);
  // Inside the entity: I-PERSON, attached to the previous token, tag _SP, dep "dep".
  Example mid = make_whitespace_variant(*nlp_, eg, "\n", 2);
  Doc& ref = mid.reference();
  EXPECT_EQ(words_of(ref),
            (Words{"Dr.", "Ann", "\n", "Lee", "said", "\u201c", "hi", "\u201d", "."}));
  EXPECT_EQ(ref.token(2).tag_(), "_SP");
  EXPECT_EQ(ref.token(2).dep_(), "dep");
  EXPECT_EQ(ref.token(2).head().i(), 1u);
  EXPECT_EQ(ref.token(0).head().i(), 3u);  // heads after the insertion moved one on
  EXPECT_EQ(ref.token(3).head().i(), 4u);
  EXPECT_EQ(ref.token(2).ent_iob_(), "I");
  ASSERT_EQ(ref.ents().size(), 1u);
  EXPECT_EQ(ref.ents()[0].text(), "Ann \nLee");
  // After the entity: O.
  EXPECT_EQ(make_whitespace_variant(*nlp_, eg, " ", 3).reference().token(3).ent_iob_(), "O");
  // At the start of the doc it attaches to the next token.
  Example first = make_whitespace_variant(*nlp_, eg, " ", 0);
  EXPECT_EQ(first.reference().token(0).head().i(), 1u);
  EXPECT_EQ(first.reference().token(0).text(), " ");
  EXPECT_EQ(first.predicted().text(), first.reference().text());
  // Span groups leave the example as it was.
  eg.reference().spans().set("sc", {eg.reference().span(0, 1, "X")});
  EXPECT_EQ(make_whitespace_variant(*nlp_, eg, " ", 2).reference().size(), 8u);
}

TEST_F(Augment, RegisteredAugmentersResolveAndCheckTheirArguments) {
  registry::Value lower = registry::resolve(Json{{"@augmenters", "spacy.lower_case.v1"}, {"level", 1.0}});
  const Augmenter& always = lower.as<Augmenter>();
  std::vector<Example> out = always(*nlp_, annotated(*nlp_));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(words_of(out[0].reference())[1], "ann");

  registry::Value combined = registry::resolve(
      Json{{"@augmenters", "spacy.combined_augmenter.v1"}, {"lower_level", 0.0}, {"orth_level", 0.0},
           {"orth_variants", nullptr}, {"whitespace_level", 1.0}, {"whitespace_per_token", 0.3},
           {"whitespace_variants", {" ", "\t"}}});
  Example plain = annotated(*nlp_);
  plain.reference().spans().clear();
  out = combined.as<Augmenter>()(*nlp_, plain);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reference().size(), 8u + 2u);  // int(8 * 0.3) whitespace tokens

  auto error_path = [](const Json& block) {
    try {
      registry::resolve(block, {"corpora", "train", "augmenter"});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_path(Json{{"@augmenters", "spacy.lower_case.v1"}, {"level", 1.5}}).find("level"),
            std::string::npos);
  const std::string bad = error_path(Json{{"@augmenters", "spacy.orth_variants.v1"}, {"level", 0.1},
                                          {"lower", 0.0}, {"orth_variants", {{"single", "x"}}}});
  EXPECT_NE(bad.find("orth_variants"), std::string::npos) << bad;
  EXPECT_NE(bad.find("augmenter"), std::string::npos) << bad;
}

}  // namespace
}  // namespace trfpipe
