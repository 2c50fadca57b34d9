#include <gtest/gtest.h>

#include "trfpipe/error.hpp"
#include "trfpipe/example.hpp"

using namespace trfpipe;

namespace {
std::shared_ptr<Doc> make(std::shared_ptr<Vocab> v, std::vector<std::string> words,
                          std::vector<bool> spaces = {}) {
  return std::make_shared<Doc>(v, words, spaces);
}
}  // namespace

TEST(Example, AlignmentOneToManyAndCase) {
  auto v = std::make_shared<Vocab>("en");
  auto pred = make(v, {"I", "listened", "to", "obama", "'s", "podcasts", "."},
                   {true, true, true, false, true, false, false});
  auto ref = make(v, {"i", "listened", "to", "obama's", "podcasts."});
  Example eg(pred, ref);
  const auto& a = eg.alignment();
  ASSERT_EQ(a.x2y.size(), 7u);
  EXPECT_EQ(a.x2y[0], (std::vector<int64_t>{0}));
  EXPECT_EQ(a.x2y[3], (std::vector<int64_t>{3}));
  EXPECT_EQ(a.x2y[4], (std::vector<int64_t>{3}));
  EXPECT_EQ(a.x2y[6], (std::vector<int64_t>{4}));
  ASSERT_EQ(a.y2x.size(), 5u);
  EXPECT_EQ(a.y2x[3], (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(a.y2x[4], (std::vector<int64_t>{5, 6}));
}

TEST(Example, DifferentTextIsValueError) {
  auto v = std::make_shared<Vocab>("en");
  EXPECT_THROW(Example(make(v, {"a", "b"}), make(v, {"a", "c"})), ValueError);
  // Whitespace differences are allowed.
  EXPECT_NO_THROW(Example(make(v, {"ab"}), make(v, {"a", "b"})));
}

TEST(Example, AlignedTagsWhereUnambiguous) {
  auto v = std::make_shared<Vocab>("en");
  auto ref = make(v, {"New", "York", "rocks"});
  ref->token(0).set_tag("NNP");
  ref->token(1).set_tag("NNP");
  ref->token(2).set_tag("VBZ");
  auto pred = make(v, {"New York", "ro", "cks"}, {true, false, false});
  // "New York" is not one word form in real tokenizers, but any token text works here.
  Example eg(pred, ref);
  EXPECT_EQ(eg.get_aligned_tags(), (std::vector<std::string>{"NNP", "VBZ", "VBZ"}));
  ref->token(1).set_tag("NN");
  Example eg2(pred, ref);
  EXPECT_EQ(eg2.get_aligned_tags(), (std::vector<std::string>{"", "VBZ", "VBZ"}));
}

TEST(Example, AlignedNerBiluoWithMissing) {
  auto v = std::make_shared<Vocab>("en");
  auto ref = make(v, {"Ann", "Lee", "went", "to", "New", "York"});
  ref->set_ents({ref->span(0, 2, "PERSON"), ref->span(4, 6, "GPE")});
  auto pred = make(v, {"Ann", "Lee", "went", "to", "New", "Yo", "rk"},
                   {true, true, true, true, true, false, false});
  Example eg(pred, ref);
  EXPECT_EQ(eg.get_aligned_ner(),
            (std::vector<std::string>{"B-PERSON", "L-PERSON", "O", "O", "B-GPE", "I-GPE",
                                      "L-GPE"}));
  // Reference entity boundary inside a predicted token: those tokens are unknown ("-").
  auto pred2 = make(v, {"Ann", "Lee", "went", "to", "NewYork"}, {true, true, true, true, false});
  auto ref2 = make(v, {"Ann", "Lee", "went", "to", "New", "York"}, {true, true, true, true, false, false});
  ref2->set_ents({ref2->span(4, 5, "GPE")});
  Example eg2(pred2, ref2);
  auto ner2 = eg2.get_aligned_ner();
  EXPECT_EQ(ner2[0], "O");
  EXPECT_EQ(ner2[4], "-");
  // No NER annotation on the reference: all missing.
  Example eg3(make(v, {"a", "b"}), make(v, {"a", "b"}));
  EXPECT_EQ(eg3.get_aligned_ner(), (std::vector<std::string>{"-", "-"}));
}

TEST(Example, AlignedSentStarts) {
  auto v = std::make_shared<Vocab>("en");
  auto ref = make(v, {"Hi", ".", "Yo", "."});
  ref->token(1).set_is_sent_start(false);
  ref->token(2).set_is_sent_start(true);
  ref->token(3).set_is_sent_start(false);
  Example eg(Example::from_reference(ref));
  auto ss = eg.get_aligned_sent_starts();
  ASSERT_EQ(ss.size(), 4u);
  EXPECT_EQ(ss[0], std::optional<bool>(true));
  EXPECT_EQ(ss[1], std::optional<bool>(false));
  EXPECT_EQ(ss[2], std::optional<bool>(true));
  EXPECT_EQ(eg.predicted().text(), ref->text());
  EXPECT_EQ(eg.predicted().token(0).tag_(), "");
  Example none(make(v, {"a", "b"}), make(v, {"a", "b"}));
  EXPECT_EQ(none.get_aligned_sent_starts()[1], std::nullopt);
}

TEST(Example, CopyPredictedIsDeep) {
  auto v = std::make_shared<Vocab>("en");
  Example eg = Example::from_reference(make(v, {"a", "b"}));
  Example c = eg.copy_predicted();
  c.predicted().token(0).set_tag("X");
  EXPECT_EQ(eg.predicted().token(0).tag_(), "");
  EXPECT_EQ(&c.reference(), &eg.reference());
}
