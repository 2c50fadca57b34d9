// spacy.CharacterEmbed.v2: the byte layout of Doc.to_utf8_array, the model's shape, and that its
// character table learns.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "components/tok2vec/tok2vec_models.hpp"
#include "tests/components/morph_fixture.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;

TEST(CharacterEmbed, Utf8ArrayTakesBytesFromBothEndsAsSpacy) {
  struct Row {
    const char* word;
    int64_t nC;
    std::vector<uint8_t> bytes;
  };
  const Row rows[] = {
      // spaCy's docstring: nC 4 of "jumping" uses j, u (start) and g, n (end), stored 0, -1, 1, -2.
      {"jumping", 4, {'j', 'g', 'u', 'n'}},
      {"jumping", 8, {'j', 'g', 'u', 'n', 'm', 'i', 'p', 255}},
      {"ab", 4, {'a', 'b', 255, 255}},
      {"a", 3, {'a', 255, 255}},
      {"\xC3\xA4x", 4, {0xC3, 'x', 0xA4, 255}},  // "äx": UTF-8 bytes, not characters
  };
  for (const Row& r : rows)
    EXPECT_EQ(CharacterEmbed::utf8_array(r.word, r.nC), r.bytes) << r.word << " " << r.nC;
}

TEST(CharacterEmbed, BuildsFromItsConfigAndItsCharacterTableLearns) {
  auto nlp = blank_en();
  nlp->add_pipe("tok2vec", "",
                Json{{"model", Json{{"@architectures", "spacy.Tok2Vec.v2"},
                                    {"embed", Json{{"@architectures", "spacy.CharacterEmbed.v2"},
                                                   {"width", 16},
                                                   {"rows", 100},
                                                   {"nM", 4},
                                                   {"nC", 3},
                                                   {"include_static_vectors", false}}},
                                    {"encode", Json{{"@architectures", "spacy.MaxoutWindowEncoder.v2"},
                                                    {"width", 16},
                                                    {"depth", 1},
                                                    {"window_size", 1},
                                                    {"maxout_pieces", 2}}}}}});
  NamedTensors ps = dynamic_cast<ParameterOwner&>(nlp->get_pipe("tok2vec")).named_parameters();
  at::Tensor E;
  for (const auto& [n, p] : ps)
    if (n.find("charembed.E") != std::string::npos) E = p;
  ASSERT_TRUE(E.defined());
  EXPECT_EQ(E.sizes(), (at::IntArrayRef{3, 256, 4}));
  EXPECT_EQ(E.abs().sum().item<float>(), 0.f);  // thinc allocates it zeroed
  // A morphologizer on top: its gradient flows into the character table.
  nlp->add_pipe("morphologizer", "",
                Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"},
                                    {"tok2vec", Json{{"@architectures", "spacy.Tok2VecListener.v1"},
                                                     {"width", 16}}}}}});
  auto egs = annotated_examples(
      *nlp, {{{"cats", "run"}, {"Number=Plur", "Tense=Pres"}, {"NOUN", "VERB"}, {}}});
  nlp->initialize([&] { return egs; });
  auto opt = test_adam();
  for (int i = 0; i < 3; ++i) losses_of_step(*nlp, egs, *opt);
  EXPECT_GT(E.abs().sum().item<float>(), 0.f);
  Doc doc = (*nlp)("cats run");
  EXPECT_EQ(doc.tensor().rows, 2);
  EXPECT_EQ(doc.tensor().cols, 16);
}

TEST(CharacterEmbed, BadSettingsAreConfigErrors) {
  auto nlp = blank_en();
  Json embed{{"@architectures", "spacy.CharacterEmbed.v2"}, {"width", 16}, {"rows", 100},
             {"nM", 4}, {"nC", 0}, {"include_static_vectors", false}};
  Json encode{{"@architectures", "spacy.MaxoutWindowEncoder.v2"}, {"width", 16}, {"depth", 1},
              {"window_size", 1}, {"maxout_pieces", 2}};
  auto model = [&](const Json& e) {
    return Json{{"model", Json{{"@architectures", "spacy.Tok2Vec.v2"}, {"embed", e}, {"encode", encode}}}};
  };
  EXPECT_THROW(nlp->add_pipe("tok2vec", "a", model(embed)), ConfigError);
  embed["nC"] = 8;
  embed["feature"] = "NOT_AN_ATTR";
  EXPECT_THROW(nlp->add_pipe("tok2vec", "b", model(embed)), ConfigError);
  embed["feature"] = "LOWER";
  // Static vectors are supported (static_vectors_test.cpp): the table is needed only to run.
  embed["include_static_vectors"] = true;
  EXPECT_NO_THROW(nlp->add_pipe("tok2vec", "c", model(embed)));
}
