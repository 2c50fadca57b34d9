// Shared fixtures of the morphologizer and trainable_lemmatizer tests: spaCy's test data as
// Example.from_dict makes it (a morph "" is the set, empty analysis "_"; a pos or lemma "" is
// unset), a small CNN, and the training loop's step with its losses.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "components/register.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

namespace trfpipe::testing {

struct Annotated {
  std::vector<std::string> words;
  std::vector<std::string> morphs, pos, lemmas;  // empty vector: not annotated
};

inline std::shared_ptr<Doc> annotated_doc(Language& nlp, const Annotated& a) {
  auto doc = std::make_shared<Doc>(nlp.vocab_ptr(), a.words);
  for (size_t i = 0; i < a.words.size(); ++i) {
    if (!a.morphs.empty()) (*doc)[i].set_morph(a.morphs[i]);
    if (!a.pos.empty() && !a.pos[i].empty()) (*doc)[i].set_pos(a.pos[i]);
    if (!a.lemmas.empty() && !a.lemmas[i].empty()) (*doc)[i].set_lemma(a.lemmas[i]);
  }
  return doc;
}

inline std::vector<Example> annotated_examples(Language& nlp, const std::vector<Annotated>& data) {
  std::vector<Example> out;
  for (const Annotated& a : data) out.push_back(Example::from_reference(annotated_doc(nlp, a)));
  return out;
}

inline Json small_cnn(int64_t width = 32) {
  return Json{{"@architectures", "spacy.HashEmbedCNN.v2"}, {"pretrained_vectors", nullptr},
              {"width", width}, {"depth", 2}, {"embed_size", 300}, {"window_size", 1},
              {"maxout_pieces", 3}, {"subword_features", true}};
}

inline std::unique_ptr<Language> blank_en() {
  register_components();
  at::manual_seed(0);
  return Language::blank("en");
}

// overfit_fixture's train_step (the training loop's step), returning the step's losses.
inline Losses losses_of_step(Language& nlp, const std::vector<Example>& egs, Optimizer& opt) {
  Losses losses;
  train_step(nlp, egs, opt, {}, {}, &losses);
  return losses;
}

inline std::shared_ptr<Optimizer> test_adam(double learn_rate = 0.01) {
  OptimizerOptions o;
  o.learn_rate = learn_rate;
  o.use_averages = false;
  return Optimizer::adam(o);
}

// Runs `nlp` over the texts' words (the English tokenizer).
inline std::vector<Doc> run(Language& nlp, const std::vector<std::string>& texts) {
  return nlp.pipe(texts);
}

template <class F>
std::vector<std::string> per_token(const Doc& doc, F f) {
  std::vector<std::string> out;
  for (size_t i = 0; i < doc.size(); ++i) out.push_back(f(doc.token(i)));
  return out;
}

}  // namespace trfpipe::testing
